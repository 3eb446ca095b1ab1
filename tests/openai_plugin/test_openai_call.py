"""Through the call API: providerhub.stream and complete resolve a name and reach the service."""

from __future__ import annotations

from pathlib import Path

import pytest

import providerhub
from providerhub import FinishReason, MissingCredentialsError, ProviderError, Usage
from support.images import PNG
from support.openai_standin import OpenAIStandin

from .helpers import HELLO, aimed_at, texts


async def answer(model: str, **kwargs: object) -> list[object]:
    return [chunk async for chunk in providerhub.stream(model, HELLO, **kwargs)]  # type: ignore[arg-type]


async def test_stream_resolves_and_streams_text_then_events(server: OpenAIStandin) -> None:
    providerhub.register_provider(aimed_at(server, models=["standin-1"], default_model="standin-1", any_model=False))
    chunks = await answer("standin-1", temperature=0.25)
    assert chunks == ["echo: ", "Hello ", "there", FinishReason("stop"), Usage(2, 3, 5)]
    assert server.requests[0].model == "standin-1"
    assert server.requests[0].options == {"temperature": 0.25}


async def test_stream_sends_media_to_a_vision_model(server: OpenAIStandin) -> None:
    provider = aimed_at(
        server, models=["eye-1"], vision_models=["eye-1"], default_model="eye-1", default_vision_model="eye-1"
    )
    providerhub.register_provider(provider)
    chunks = await answer("eye-1", media=[(PNG, "pixel.png")])
    assert "".join(texts(chunks)) == "echo: Hello there [1 images]"
    assert [i.data for i in server.requests[0].images] == [PNG]


async def test_stream_errors_name_the_provider_and_model(server: OpenAIStandin) -> None:
    providerhub.register_provider(aimed_at(server, models=["standin-1"], default_model="standin-1", any_model=False))
    server.respond_with(status=503)
    with pytest.raises(ProviderError) as caught:
        await answer("standin/standin-1")
    assert (caught.value.provider, caught.value.model, caught.value.retryable) == ("standin", "standin-1", True)


def test_complete_from_sync_code(threaded_server: OpenAIStandin) -> None:
    providerhub.register_provider(aimed_at(threaded_server, models=["standin-1"], default_model="standin-1"))
    chunks = list(providerhub.complete("standin-1", HELLO))
    assert "".join(texts(chunks)) == "echo: Hello there"


async def test_a_local_preset_takes_its_declared_models_by_prefix(configured: Path, server: OpenAIStandin) -> None:
    chunks = await answer("ollama/llama3.2")
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert server.requests[0].model == "llama3.2"
    assert "authorization" not in server.requests[0].headers


@pytest.mark.parametrize("model", ["ollama/qwen2.5-coder:7b", "ollama/library/some-model:latest"])
async def test_any_model_passes_an_unlisted_name_through(configured: Path, server: OpenAIStandin, model: str) -> None:
    chunks = await answer(model)
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert server.requests[0].model == model.split("/", 1)[1]


async def test_a_derived_provider_from_the_configuration_file(
    configured: Path, server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SK", "sk-configured")
    chunks = await answer("standin-1", max_tokens=5)
    assert "".join(texts(chunks)) == "echo: Hello there"
    (received,) = server.requests
    assert (received.model, received.authorization, received.options) == (
        "standin-1",
        "Bearer sk-configured",
        {"max_completion_tokens": 5},
    )
    assert providerhub.get_provider("standin-1").name == "standin"


async def test_a_configured_hosted_preset_still_needs_its_key(configured: Path, server: OpenAIStandin) -> None:
    with pytest.raises(MissingCredentialsError, match="GROQ_API_KEY"):
        await answer("groq/llama-3.1-8b-instant")
    assert server.requests == []
