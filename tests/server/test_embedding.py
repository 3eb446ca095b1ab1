"""The gateway embedded in a program's own aiohttp server, serving a hub of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from providerhub import AsyncGeneratorProvider, FinishReason, Hub, ProviderModelMixin
from providerhub.server import Settings, create_app
from support.apps import serve_app


class Inline(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "inline-1"
    models = ["inline-1"]

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, proxy: Any = None, media: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        yield "from the hub's own provider"
        yield FinishReason("stop")


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[str]:
    hub = Hub(plugins=[], config=tmp_path / "absent.toml", cache_dir=tmp_path / "cache")
    hub.register_provider(Inline)
    async with serve_app(create_app(Settings(), hub)) as url:
        yield url


async def test_the_app_serves_the_hub_it_is_given(embedded: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(embedded + "/v1/models") as response:
            assert [m["id"] for m in (await response.json())["data"]] == ["inline-1"]
        body = {"model": "inline-1", "messages": [{"role": "user", "content": "hi"}]}
        async with session.post(embedded + "/v1/chat/completions", json=body) as response:
            answer = await response.json()
            assert answer["choices"][0]["message"]["content"] == "from the hub's own provider"
            assert response.headers["x-providerhub-provider"] == "Inline"
        body["model"] = "gemini-1.5-flash"  # installed, but not in this hub
        async with session.post(embedded + "/v1/chat/completions", json=body) as response:
            assert response.status == 404
