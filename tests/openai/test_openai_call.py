"""Through the call API: providerhub.stream and complete resolve a name and reach the service."""

from __future__ import annotations

import pytest

import providerhub
from providerhub import FinishReason, ProviderError, Usage
from providerhub_openai import LOCAL
from support.openai_standin import OpenAIStandin
from support.plugins import PluginSite

from .helpers import HELLO, PNG, aimed_at, plugin_source, texts


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


async def test_a_local_preset_takes_its_declared_models_by_prefix(
    server: OpenAIStandin, plugin_site: PluginSite
) -> None:
    plugin_site.add("local", plugin_source({"ollama": {"from": "ollama", "api_base": server.base}}))
    chunks = await answer("ollama/llama3.2")
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert server.requests[0].model == "llama3.2"
    assert "authorization" not in server.requests[0].headers


async def test_any_model_passes_an_unlisted_name_through(server: OpenAIStandin, plugin_site: PluginSite) -> None:
    plugin_site.add("local", plugin_source({"ollama": {"from": "ollama", "api_base": server.base}}))
    chunks = await answer("ollama/qwen2.5-coder:7b")
    assert "".join(texts(chunks)) == "echo: Hello there"
    assert server.requests[0].model == "qwen2.5-coder:7b"


def test_every_local_preset_is_any_model() -> None:
    assert all(p.any_model for p in LOCAL)
