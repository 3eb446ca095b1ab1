"""The whole way: the official ``openai`` client, ``providerhub serve``, this plugin, the stand-in service."""

from __future__ import annotations

from pathlib import Path

from support.gateway import serve
from support.openai_standin import OpenAIStandin
from support.processes import clean_environ

from .conftest import aim


def test_the_gateway_streams_an_ollama_answer_from_the_plugin(threaded_server: OpenAIStandin, tmp_path: Path) -> None:
    import openai  # the server tests' dependency (tox installs it)

    config = aim(tmp_path / "providerhub.toml", threaded_server)
    env = clean_environ(tmp_path / "cache", PROVIDERHUB_PLUGINS="providerhub-openai", PROVIDERHUB_CONFIG=str(config))
    with (
        serve(env=env) as gateway,
        openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0) as client,
    ):
        stream = client.chat.completions.create(
            model="ollama/llama3.2",
            messages=[{"role": "user", "content": "one two three"}],
            stream=True,
            temperature=0.5,
        )
        deltas = [
            chunk.choices[0].delta.content for chunk in stream if chunk.choices and chunk.choices[0].delta.content
        ]
    assert "".join(deltas) == "echo: one two three"
    (received,) = threaded_server.requests
    assert (received.model, received.options, received.authorization) == ("llama3.2", {"temperature": 0.5}, None)
