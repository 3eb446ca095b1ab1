"""``providerhub chat`` for daily use: pipes, options, --json, several images, proxies."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from support.cli import CLI, Terminal, one_error_line
from support.dynaspark_standin import serve_in_thread
from support.net import ForwardProxy
from support.threads import serve_in_thread as run_in_thread

Standin = tuple[CLI, Any]


class _Seconds:
    """Equal to any non-negative number of seconds (an attempt's duration)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (int, float)) and not isinstance(other, bool) and other >= 0

    def __repr__(self) -> str:
        return "<seconds>"


ANY_SECONDS = _Seconds()


def received(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """What Echo received, from its answer."""
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# -- pipes --------------------------------------------------------------------------------------


def test_piped_text_comes_first_then_the_prompt(echo: CLI) -> None:
    seen = received(echo.run("chat", "-m", "echo-1", "Summarize:", stdin="line one\nline two\n"))
    assert seen["messages"] == [{"role": "user", "content": "line one\nline two\n\nSummarize:"}]


@pytest.mark.parametrize("args", [(), ("-",)], ids=["no-prompt", "dash"])
def test_stdin_alone_is_the_prompt(echo: CLI, args: tuple[str, ...]) -> None:
    seen = received(echo.run("chat", "-m", "echo-1", *args, stdin="just this\n"))
    assert seen["messages"] == [{"role": "user", "content": "just this"}]


def test_nothing_piped_sends_the_prompt_alone(echo: CLI) -> None:
    for stdin in ("", "\n"):
        seen = received(echo.run("chat", "-m", "echo-1", "only the prompt", stdin=stdin))
        assert seen["messages"] == [{"role": "user", "content": "only the prompt"}]
    argv, env = echo.argv("chat", "-m", "echo-1", "hi"), echo.environ()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["messages"] == [{"role": "user", "content": "hi"}]


def test_a_piped_file_is_sent_too(echo: CLI, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("the document\n")
    with doc.open() as stdin:
        argv, env = echo.argv("chat", "-m", "echo-1", "Title?"), echo.environ()
        proc = subprocess.run(argv, env=env, stdin=stdin, capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["messages"] == [{"role": "user", "content": "the document\n\nTitle?"}]


# -- options ------------------------------------------------------------------------------------


def test_options_are_converted_to_their_declared_types(echo: CLI) -> None:
    options = ["-o", "temperature", "0.5", "-o", "max_tokens", "10", "--option", "stop", "a,b", "-o", "verbose", "yes"]
    seen = received(echo.run("chat", "-m", "echo-1", *options, "hi"))
    assert seen["options"] == {"temperature": 0.5, "max_tokens": 10, "stop": ["a", "b"], "verbose": True}


def test_a_list_option_given_twice_collects_both(echo: CLI) -> None:
    seen = received(echo.run("chat", "-m", "echo-1", "-o", "stop", "x", "-o", "stop", "y", "hi"))
    assert seen["options"] == {"stop": ["x", "y"]}


def test_an_unknown_option_exits_2_listing_the_valid_ones(echo: CLI) -> None:
    result = echo.run("chat", "-m", "echo-1", "-o", "temprature", "0.5", "hi")
    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith("providerhub: error: provider Echo takes no option 'temprature'; its options are: ")
    for option in ("max_tokens (int)", "stop (list[str])", "temperature (float)", "verbose (bool)"):
        assert option in line
    assert result.stdout == ""


@pytest.mark.parametrize(("name", "value"), [("temperature", "warm"), ("max_tokens", "1.5"), ("verbose", "maybe")])
def test_an_ill_typed_option_exits_2_naming_it(echo: CLI, name: str, value: str) -> None:
    result = echo.run("chat", "-m", "echo-1", "-o", name, value, "hi")
    assert result.returncode == 2
    assert one_error_line(result).startswith(f"providerhub: error: option '{name}' takes ")
    assert result.stdout == ""


def test_models_options_lists_each_models_options(echo: CLI) -> None:
    result = echo.run("models", "--options")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert result.stdout.splitlines()[0].split() == ["MODEL", "PROVIDER", "OPTIONS"]
    assert rows["echo-1"].split(None, 2)[2] == "max_tokens (int), stop (list[str]), temperature (float), verbose (bool)"
    assert rows["locked-1"].split() == ["locked-1", "Locked", "-"]
    listing = json.loads(echo.run("models", "--options", "--json").stdout)
    by_id = {m["id"]: m for m in listing}
    assert by_id["echo-1"]["options"] == {
        "max_tokens": "int",
        "stop": "list[str]",
        "temperature": "float",
        "verbose": "bool",
    }
    assert by_id["locked-1"]["options"] == {}
    assert "options" not in json.loads(echo.run("models", "--json").stdout)[0]


# -- --json -------------------------------------------------------------------------------------


def test_json_is_one_object_at_the_end(echo: CLI) -> None:
    plain = echo.run("chat", "-m", "echo-1", "hi")
    result = echo.run("chat", "-m", "echo-1", "--json", "hi")
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "text": plain.stdout.rstrip("\n"),
        "provider": "Echo",
        "model": "echo-1",
        "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        "finish_reason": "stop",
        "attempts": [{"provider": "Echo", "model": "echo-1", "error": None, "seconds": ANY_SECONDS}],
    }


def test_json_without_events_has_nulls(echo: CLI) -> None:
    result = echo.run("chat", "-m", "locked-1", "--key", "k", "--json", "hi")
    assert json.loads(result.stdout) == {
        "text": "key=k",
        "provider": "Locked",
        "model": "locked-1",
        "usage": None,
        "finish_reason": None,
        "attempts": [{"provider": "Locked", "model": "locked-1", "error": None, "seconds": ANY_SECONDS}],
    }


def test_json_shows_no_spinner_on_a_terminal(echo: CLI) -> None:
    shown = Terminal(echo, "chat", "-m", "echo-wait", "hi", stdout=subprocess.DEVNULL)
    shown.expect("\r|")  # without --json the spinner turns on stderr while the answer is awaited
    shown.proc.send_signal(signal.SIGINT)
    assert shown.finish() == 130
    quiet = Terminal(echo, "chat", "-m", "echo-wait", "--json", "hi", stdout=subprocess.DEVNULL)
    time.sleep(1)
    quiet.proc.send_signal(signal.SIGINT)
    assert quiet.finish() == 130
    assert quiet.seen == b""


def test_json_on_failure_prints_no_json(echo: CLI) -> None:
    result = echo.run("chat", "-m", "locked-1", "--json", "hi")
    assert (result.returncode, result.stdout) == (4, "")
    assert "needs a key" in one_error_line(result)


# -- images -------------------------------------------------------------------------------------


def test_several_images_reach_a_provider_that_takes_them(echo: CLI, png: Path) -> None:
    seen = received(echo.run("chat", "-m", "echo-vision", "--image", str(png), "--image", str(png), "compare"))
    assert seen["images"] == 2


def test_a_provider_taking_one_image_exits_2_naming_the_limit(echo: CLI, png: Path) -> None:
    result = echo.run("chat", "-m", "single-vision", "--image", str(png), "--image", str(png), "compare")
    assert result.returncode == 2
    assert one_error_line(result) == "providerhub: error: provider Single takes at most 1 image per request; got 2"
    assert received(echo.run("chat", "-m", "single-vision", "--image", str(png), "one"))["images"] == 1


@pytest.mark.installed
def test_dynaspark_with_two_images_exits_2_before_any_request(standin: Standin, png: Path) -> None:
    cli, server = standin
    result = cli.run("chat", "-m", "gemini-1.5-flash", "--image", str(png), "--image", str(png), "compare")
    assert result.returncode == 2
    assert one_error_line(result) == "providerhub: error: provider Dynaspark takes at most 1 image per request; got 2"
    assert server.requests == []


# -- proxies ------------------------------------------------------------------------------------

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.mark.installed
def test_the_proxy_variables_are_honoured_and_proxy_overrides_them(cli: CLI) -> None:
    proxies = run_in_thread(lambda: ForwardProxy().start(), ForwardProxy.close, "forward-proxy")
    with serve_in_thread() as server, proxies as proxy:
        cli.extra.update(PROVIDERHUB_PLUGINS="providerhub-dynaspark", DYNASPARK_API_ENDPOINT=server.url)
        for name in ("HTTP_PROXY", "http_proxy"):
            result = cli.run("chat", "-m", "gemini-1.5-flash", "via env", **{name: proxy.url})
            assert result.returncode == 0, result.stderr
        assert [line.split()[1] for line in proxy.request_lines] == [server.url, server.url]
        result = cli.run("chat", "-m", "gemini-1.5-flash", "--proxy", proxy.url, "hi", HTTP_PROXY=UNREACHABLE)
        assert result.returncode == 0, result.stderr  # --proxy wins over the variable
        assert len(proxy.request_lines) == 3
        result = cli.run("chat", "-m", "gemini-1.5-flash", "bypass", HTTP_PROXY=proxy.url, NO_PROXY="127.0.0.1")
        assert result.returncode == 0, result.stderr
        assert len(proxy.request_lines) == 3  # NO_PROXY: straight to the service
        assert len(server.requests) == 4
        result = cli.run("chat", "-m", "gemini-1.5-flash", "hi", HTTP_PROXY=UNREACHABLE)
        assert result.returncode == 4
        assert len(server.requests) == 4


@pytest.mark.parametrize(
    "proxy", ["socks5://127.0.0.1:1080", "127.0.0.1:8080", "http://", "http://host:99999", "http://[::1"]
)
def test_an_invalid_proxy_url_exits_2(echo: CLI, proxy: str) -> None:
    result = echo.run("chat", "-m", "echo-1", "--proxy", proxy, "hi")
    assert result.returncode == 2
    assert one_error_line(result).startswith("providerhub: error: argument --proxy: ")
    assert result.stdout == ""
