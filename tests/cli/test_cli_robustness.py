"""The command line under hostile conditions: bad bytes, a gone or full stdout, SIGTERM, escape sequences, secrets."""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cli import CLI, one_error_line, run_on_terminal
from support.plugins import PluginSite, provider_source

Standin = tuple[CLI, Any]
PASSWORD, TOKEN = "pa55-PLANTED", "tok-PLANTED"


def run_bytes(cli: CLI, *args: str, stdin: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cli.argv(*args), input=stdin, env=env, cwd=cli.cwd, capture_output=True, timeout=60)


@pytest.fixture
def many_models(cli: CLI, plugin_site: PluginSite) -> CLI:
    """One provider with far more output than a pipe holds."""
    names = [f"model-{i:05d}-" + "x" * 60 for i in range(4000)]
    plugin_site.add("big", provider_source("Big", names))
    cli.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="big")
    return cli


# -- bad bytes in -------------------------------------------------------------------------------


def test_an_argument_that_is_not_utf8_exits_2(catalog: CLI) -> None:
    result = catalog.process(  # a real process: the interpreter itself turns argv's bytes into text
        "chat", "-m", "gpt-4o", os.fsdecode(b"caf\xe9 au lait")
    )
    assert result.returncode == 2
    assert one_error_line(result) == "providerhub: error: an argument is not valid UTF-8: caf\\xe9 au lait"


def test_stdin_that_is_not_utf8_exits_2(catalog: CLI) -> None:
    for env in ({"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C"}, {"PYTHONIOENCODING": "utf-8"}):
        result = run_bytes(catalog, "chat", "-m", "gpt-4o", stdin=b"caf\xe9\n", env=catalog.environ(**env))
        assert result.returncode == 2
        assert result.stderr.decode() == "providerhub: error: stdin is not valid UTF-8 text\n"


@pytest.mark.parametrize("value", ["inf", "nan", "1e999", "-1", "0"])
def test_a_timeout_that_is_not_finite_and_positive_exits_2(catalog: CLI, value: str) -> None:
    result = catalog.run("chat", "-m", "gpt-4o", "--timeout", value, "hi")
    assert result.returncode == 2
    assert "is not a finite, positive number of seconds" in one_error_line(result)


# -- stdout gone, full, or closed ---------------------------------------------------------------


def test_a_reader_that_exits_early_ends_it_quietly(many_models: CLI) -> None:
    proc = many_models.popen("models", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"MODEL")
    proc.stdout.close()  # as ``| head -1`` does
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert err == b""


def test_a_real_shell_pipe_into_head(many_models: CLI) -> None:
    script = f'set -o pipefail; "{many_models.argv()[0]}" models | head -n 2'
    result = subprocess.run(
        ["bash", "-c", script], env=many_models.environ(), capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (141, "")
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("models",), ("chat", "-m", "gpt-4o", "hi")], ids=["listing", "chat"])
def test_a_full_stdout_exits_74_in_one_line(catalog: CLI, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            catalog.argv(*args), env=catalog.environ(), stdin=subprocess.DEVNULL, stdout=full,
            stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 74
    assert result.stderr == "providerhub: error: cannot write the output: No space left on device\n"


def test_a_closed_stdout_exits_74_in_one_line(catalog: CLI) -> None:
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *catalog.argv("models")],
        env=catalog.environ(), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 74
    assert result.stderr == "providerhub: error: cannot write the output: stdout is closed\n"


# -- SIGTERM -------------------------------------------------------------------------------------


def test_sigterm_during_chat_cleans_up_like_ctrl_c(catalog: CLI, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    catalog.extra["SLOW_CLOSED_FILE"] = str(closed)
    proc = catalog.popen(
        "chat", "-m", "slow-gap", "hi", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.read(6) == b"first "
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert (out, err) == (b"\n", b"")
    assert closed.read_text() == "closed"


# -- escape sequences from upstream --------------------------------------------------------------


@pytest.mark.installed
def test_escape_sequences_in_an_upstream_error_are_neutralised(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(status=500, body="\x1b]0;pwned\x07\x1b[2Jgone", content_type="text/plain")
    result = cli.run("chat", "-m", "gemini-1.5-flash", "hi")
    assert result.returncode == 4
    line = one_error_line(result)
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b]0;pwned\\x07\\x1b[2Jgone" in line


@pytest.mark.installed
def test_escape_sequences_in_an_answer_are_neutralised_on_a_terminal_only(standin: Standin) -> None:
    cli, server = standin
    server.respond_with(json={"response": "red\x1b[31m\ttext\x9b2J"})
    code, terminal, _ = run_on_terminal(cli, "chat", "-m", "gemini-1.5-flash", "hi", stream="stdout")
    assert code == 0
    assert "\x1b" not in terminal and "\x9b" not in terminal
    assert terminal.replace("\r\n", "\n") == "red\\x1b[31m\ttext\\x9b2J\n"
    result = cli.run("chat", "-m", "gemini-1.5-flash", "hi")
    assert result.stdout == "red\x1b[31m\ttext\x9b2J\n"  # a pipe gets the answer as it came


# -- secrets ------------------------------------------------------------------------------------


class _Refuse407(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def proxy_407() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Refuse407)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://user:{PASSWORD}@127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.installed
def test_no_planted_secret_reaches_any_output(standin: Standin, proxy_407: str) -> None:
    cli, server = standin
    endpoint = server.url.replace("http://", f"http://user:{PASSWORD}@") + f"?key={TOKEN}"
    server.respond_with(status=500, json={"error": "boom"})
    cases: list[tuple[dict[str, str], tuple[str, ...]]] = [
        ({"DYNASPARK_API_ENDPOINT": endpoint}, ()),  # the endpoint's own error
        ({"DYNASPARK_API_ENDPOINT": endpoint.replace(server.url.split("/generate")[0], "http://127.0.0.1:9")}, ()),
        ({}, ("--proxy", f"http://user:{PASSWORD}@127.0.0.1:9/?token={TOKEN}")),  # unreachable proxy
        ({"DYNASPARK_API_ENDPOINT": "https://127.0.0.1:1/generate_response"}, ("--proxy", proxy_407)),  # 407 to CONNECT
        ({"DYNASPARK_API_ENDPOINT": f"ftp://user:{PASSWORD}@127.0.0.1/x?key={TOKEN}"}, ()),
    ]
    for env, extra in cases:
        for debug in ((), ("--debug",)):
            result = cli.run(*debug, "chat", "-m", "gemini-1.5-flash", *extra, "hi", **env)
            assert result.returncode == 4, result.stderr
            output = result.stdout + result.stderr
            assert PASSWORD not in output and TOKEN not in output, output
            assert ("Traceback" in result.stderr) == bool(debug)
    result = cli.run("chat", "-m", "gemini-1.5-flash", "--proxy", f"http://user:{PASSWORD}@[bad/?k={TOKEN}", "hi")
    assert result.returncode == 2  # an invalid proxy URL is refused before any request, without its secrets
    assert PASSWORD not in result.stderr and TOKEN not in result.stderr
    assert one_error_line(result).startswith("providerhub: error: argument --proxy: invalid proxy URL 'http://[bad/")
