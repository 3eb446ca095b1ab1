"""``providerhub chat``: against fixture providers, and end to end against the Dynaspark stand-in."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from support.cli import CLI, one_error_line, run_on_terminal
from support.net import wait_until_blocking

SPINNER_FRAMES = set("|/-\\")

Standin = tuple[CLI, Any]


# -- fixture providers (the core alone) ---------------------------------------------------------


def test_chat_prints_the_answer_of_the_preferred_provider(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", "hello")
    assert (result.returncode, result.stdout, result.stderr) == (0, "Alpha:gpt-4o\n", "")


def test_provider_option_forces_that_provider(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", "--provider", "beta", "hello")
    assert (result.returncode, result.stdout) == (0, "Beta:gpt-4o\n"), result.stderr
    result = catalog.run("chat", "--provider", "Beta", "-m", "llama", "hello")
    assert result.stdout == "Beta:llama-3\n", result.stderr


def test_unknown_provider_exits_3_naming_it(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", "--provider", "betta", "hello")
    assert result.returncode == 3
    assert one_error_line(result) == "providerhub: error: no provider named 'betta'; did you mean 'Beta'?"


def test_unknown_model_exits_3(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "lama", "hello")
    assert result.returncode == 3
    assert "did you mean 'llama'" in one_error_line(result)


def test_a_provider_without_the_model_exits_3(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "llama-3", "--provider", "alpha", "hello")
    assert result.returncode == 3
    assert "provider Alpha has no model 'llama-3'" in one_error_line(result)


def test_image_picks_a_vision_provider(catalog: CLI, png: Path) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", "--image", str(png), "what is this?")
    assert (result.returncode, result.stdout) == (0, "Alpha:gpt-4o\n"), result.stderr
    result = catalog.run("chat", "-m", "gpt-4o", "--provider", "beta", "--image", str(png), "what is this?")
    assert result.returncode == 3
    assert "with image input" in one_error_line(result)


@pytest.mark.parametrize("content", [None, b"", b"not an image at all"], ids=["missing", "empty", "not-an-image"])
def test_unreadable_image_exits_2(catalog: CLI, tmp_path: Path, content: bytes | None) -> None:
    image = tmp_path / "photo.png"
    if content is not None:
        image.write_bytes(content)
    result = catalog.run("chat", "-m", "gpt-4o", "--image", str(image), "what is this?")
    assert result.returncode == 2
    assert "photo.png" in one_error_line(result)
    assert result.stdout == ""


@pytest.mark.parametrize("stdin", ["", "  \n\n"])
def test_empty_prompt_exits_2(catalog: CLI, stdin: str) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", stdin=stdin)
    assert result.returncode == 2
    assert one_error_line(result) == "providerhub: error: the prompt is empty"


def test_chunks_are_streamed_as_they_arrive_and_ctrl_c_exits_130(catalog: CLI, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    catalog.extra["SLOW_CLOSED_FILE"] = str(closed)
    proc = catalog.popen(
        "chat", "-m", "slow-gap", "hi", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.read(6) == b"first "  # printed while the answer is still coming
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert out == b"\n"  # the partial line is ended, nothing else
    assert err == b""
    assert closed.read_text() == "closed"  # the provider's generator was closed


def test_a_provider_raising_a_stray_exception_exits_4_and_debug_shows_the_traceback(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "faulty-1", "hi")
    assert result.returncode == 4
    line = one_error_line(result)
    assert line == "providerhub: error: provider Faulty failed: RuntimeError: the provider broke"
    for debug in (["--debug", "chat"], ["chat", "--debug"]):
        result = catalog.run(*debug, "-m", "faulty-1", "hi")
        assert result.returncode == 4
        assert "RuntimeError: the provider broke\n\nThe above exception was the direct cause" in result.stderr
        assert result.stderr.splitlines()[-1] == line
    result = catalog.run("chat", "-m", "faulty-1", "hi", PROVIDERHUB_DEBUG="1")
    assert "Traceback (most recent call last)" in result.stderr


def test_spinner_on_a_terminal_is_erased_before_the_answer(catalog: CLI) -> None:
    code, terminal, out = run_on_terminal(catalog, "chat", "-m", "slow-1", "hi", stream="stderr")
    assert code == 0, terminal
    assert out == "first second\n"
    assert SPINNER_FRAMES & set(terminal), terminal
    assert terminal.endswith("\r \r")  # erased: nothing of it is left on the line


def test_no_spinner_when_stderr_is_not_a_terminal(catalog: CLI) -> None:
    result = catalog.run("chat", "-m", "slow-1", "hi")
    assert (result.returncode, result.stdout, result.stderr) == (0, "first second\n", "")


# -- end to end: the installed Dynaspark plugin against the local stand-in ----------------------


@pytest.mark.installed
def test_prompt_as_argument(standin: Standin) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-2-flash", "Name a colour.")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "echo[gemini-2.0-flash]: Name a colour.\n"
    (request,) = server.requests
    assert (request.ai_model, request.user_input, request.file) == ("gemini-2.0-flash", "Name a colour.", None)


@pytest.mark.installed
@pytest.mark.parametrize("args", [(), ("-",)], ids=["omitted", "dash"])
def test_prompt_from_stdin(standin: Standin, args: tuple[str, ...]) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-1.5-flash", *args, stdin="Line one\nline two\n")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "echo[gemini-1.5-flash]: Line one\nline two\n"
    assert server.requests[0].user_input == "Line one\nline two"


@pytest.mark.installed
def test_system_message_comes_first_in_the_conversation(standin: Standin) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-flash", "--system", "Answer in French.", "Name a colour.")
    assert result.returncode == 0, result.stderr
    assert server.requests[0].user_input == "System: Answer in French.\nUser: Name a colour.\nAssistant:"


@pytest.mark.installed
def test_provider_option_with_the_installed_plugin(standin: Standin) -> None:
    cli, server = standin
    result = cli.run("chat", "--provider", "dynaspark", "-m", "gemini-2-flash-lite", "hi")
    assert result.returncode == 0, result.stderr
    assert server.requests[0].ai_model == "gemini-2.0-flash-lite"


@pytest.mark.installed
def test_image_is_uploaded_with_its_name_and_type(standin: Standin, png: Path) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-1.5-flash", "--image", str(png), "What is this?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo[gemini-1.5-flash]: What is this? [file pixel.png]\n"
    (request,) = server.requests
    assert request.file == ("pixel.png", "image/png", png.read_bytes())


@pytest.mark.installed
def test_upstream_html_error_page_exits_4_in_one_line(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(
        status=500, body="<html><title>Server Error</title><p>boom</p></html>", content_type="text/html"
    )
    result = cli.run("chat", "-m", "gemini-1.5-flash", "hi")
    assert result.returncode == 4
    line = one_error_line(result)
    assert "Dynaspark" in line and "500" in line and "Server Error" in line
    assert "<html" not in line and "<p>" not in line
    assert result.stdout == ""


@pytest.mark.installed
def test_upstream_error_with_debug_shows_the_traceback(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(status=503, json={"error": "overloaded"})
    result = cli.run("--debug", "chat", "-m", "gemini-1.5-flash", "hi")
    assert result.returncode == 4
    assert "Traceback (most recent call last)" in result.stderr
    assert "ResponseError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("providerhub: error: Dynaspark: ")


@pytest.mark.installed
def test_timeout_exits_4(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(delay=2)
    started = time.monotonic()
    result = cli.run("chat", "-m", "gemini-1.5-flash", "--timeout", "0.5", "hi")
    assert result.returncode == 4
    assert "0.5 s" in one_error_line(result)
    assert time.monotonic() - started < 10


@pytest.mark.installed
def test_unreachable_proxy_exits_4(standin: Standin) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-1.5-flash", "--proxy", "http://127.0.0.1:9", "hi")
    assert result.returncode == 4
    assert "through proxy http://127.0.0.1:9" in one_error_line(result)
    assert server.requests == []


@pytest.mark.installed
def test_ctrl_c_while_waiting_exits_130_cleanly(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(delay=30)
    proc = cli.popen(
        "chat", "-m", "gemini-1.5-flash", "hi", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    wait_until_blocking(lambda: len(server.requests) == 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"Unclosed" not in err, err
    assert (out, err) == (b"", b"")
    wait_until_blocking(lambda: server.disconnects == 1)


@pytest.mark.installed
def test_spinner_against_a_slow_service(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(delay=0.6)
    code, terminal, out = run_on_terminal(cli, "chat", "-m", "gemini-1.5-flash", "hi", stream="stderr")
    assert code == 0, terminal
    assert out == "echo[gemini-1.5-flash]: hi\n"
    assert SPINNER_FRAMES & set(terminal)
    assert terminal.endswith("\r \r")
    result = cli.run("chat", "-m", "gemini-1.5-flash", "hi")
    assert (result.returncode, result.stderr) == (0, "")
