"""The command line with the OpenAI plugin: ``providerhub chat`` against the stand-in, listings, failures."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import Script as CLI
from support.cli import one_error_line
from support.images import PNG
from support.net import ForwardProxy
from support.openai_standin import OpenAIStandin
from support.threads import serve_in_thread


def test_chat_streams_the_answer(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    result = aimed.run("chat", "-m", "standin-1", "--system", "Be brief.", "Hello there", SK="sk-test")
    assert (result.stdout, result.stderr, result.returncode) == ("echo: Hello there\n", "", 0)
    (received,) = threaded_server.requests
    assert received.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ]
    assert received.authorization == "Bearer sk-test"


def test_chat_with_a_local_preset_by_prefix(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    result = aimed.run("chat", "-m", "ollama/llama3.2", "Why is the sky blue?")
    assert (result.stdout, result.returncode) == ("echo: Why is the sky blue?\n", 0), result.stderr
    assert threaded_server.requests[0].model == "llama3.2"
    assert threaded_server.requests[0].authorization is None


def test_chat_sends_an_image(aimed: CLI, threaded_server: OpenAIStandin, tmp_path: Path) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(PNG)
    result = aimed.run("chat", "-m", "ollama/llama3.2-vision", "--image", str(image), "What is this?")
    assert (result.stdout, result.returncode) == ("echo: What is this? [1 images]\n", 0), result.stderr
    assert [i.data for i in threaded_server.requests[0].images] == [PNG]


def test_a_missing_key_is_one_error_line_before_any_request(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    result = aimed.run("chat", "-m", "groq/llama-3.3-70b-versatile", "Hi")
    assert result.returncode == 4
    line = one_error_line(result)
    assert "groq needs a key" in line and "GROQ_API_KEY" in line
    assert threaded_server.requests == []
    result = aimed.run("chat", "-m", "groq/llama-3.3-70b-versatile", "Hi", GROQ_API_KEY="gsk-test")
    assert (result.stdout, result.returncode) == ("echo: Hi\n", 0), result.stderr
    assert threaded_server.requests[0].authorization == "Bearer gsk-test"


def test_refused_credentials_exit_4_with_the_services_message(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    threaded_server.respond_with(status=401)
    result = aimed.run("chat", "-m", "standin-1", "Hi", SK="sk-wrong")
    assert result.returncode == 4
    line = one_error_line(result)
    assert "HTTP 401" in line and "SK" in line and "sk-wrong" not in line
    assert result.stdout == ""


def test_a_dropped_answer_keeps_the_text_already_printed(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    threaded_server.respond_with(break_after=2)
    result = aimed.run("chat", "-m", "ollama", "one two three four")
    assert result.returncode == 4
    assert result.stdout == "echo: one \n"
    assert "connection closed in the middle of the answer" in one_error_line(result)


def test_providers_lists_the_presets_and_which_need_a_key(command: CLI) -> None:
    result = command.run("providers", "--json")
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert {"groq", "openrouter", "deepseek", "mistral", "together", "ollama", "lmstudio", "vllm", "llamacpp"} <= set(
        listed
    )
    assert listed["groq"]["needs_auth"] is True and listed["ollama"]["needs_auth"] is False


def test_providers_shows_which_keys_are_missing(command: CLI) -> None:
    result = command.run("providers", GROQ_API_KEY="gsk-test")
    assert result.returncode == 0, result.stderr
    header, *rows = (line.split() for line in result.stdout.splitlines())
    assert header[:7] == ["PROVIDER", "MODELS", "PRIORITY", "WORKING", "AUTH", "KEY", "STREAM"]
    keys = {row[0]: (row[4], row[5]) for row in rows}
    assert keys["groq"] == ("yes", "$GROQ_API_KEY")
    assert keys["openai"] == keys["mistral"] == ("yes", "missing")
    assert keys["ollama"] == ("no", "-")
    listed = {p["name"]: p for p in json.loads(command.run("providers", "--json", GROQ_API_KEY="gsk").stdout)}
    assert (listed["groq"]["key_found"], listed["openai"]["key_found"], listed["ollama"]["key_found"]) == (
        True,
        False,
        False,
    )
    assert listed["groq"]["key_source"] == "GROQ_API_KEY" and listed["openai"]["key_source"] is None


def test_chat_goes_through_the_proxy_given(aimed: CLI, threaded_server: OpenAIStandin) -> None:
    with serve_in_thread(lambda: ForwardProxy().start(), ForwardProxy.close, "forward-proxy") as proxy:
        result = aimed.run("chat", "-m", "ollama/llama3.2", "--proxy", proxy.url, "Hi")
        assert (result.stdout, result.returncode) == ("echo: Hi\n", 0), result.stderr
        assert proxy.request_lines == [f"POST {threaded_server.url} HTTP/1.1"]
