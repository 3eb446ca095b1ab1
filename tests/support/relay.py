"""Relay: a small HTTP provider written the way the contract kit asks, for the kit's own tests.

It speaks a made-up streaming protocol (POST ``{api_base}/answer`` with JSON, answered with
server-sent events ``{"delta": text}`` then ``[DONE]``), needs a key, takes images, and does
every part right: key and media checked before the request, one session per event loop,
responses released however the answer ends, every fault a providerhub error. The tests derive
broken variants from it, one bug each, and expect the matching check to catch the bug. This
module is also installed as a real plugin (its source, in a plugin folder) for the
registration checks.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from providerhub import (
    AsyncGeneratorProvider,
    ProviderConnectionError,
    ProviderHubError,
    ProviderModelMixin,
    ProviderTimeoutError,
    ResponseError,
    hookimpl,
    raise_for_status,
    to_image,
    validate_messages,
)
from providerhub.http import is_html, summarize
from providerhub.loop_local import LoopLocal


def _new_session() -> Any:
    import aiohttp

    return aiohttp.ClientSession()


async def _close_session(session: Any) -> None:
    await session.close()
    await asyncio.sleep(0)


_sessions: LoopLocal[Any] = LoopLocal(_new_session, _close_session)


class Relay(AsyncGeneratorProvider, ProviderModelMixin):
    """Streams answers over server-sent events; needs a key; ``relay-vision`` takes images."""

    api_base = "https://relay.invalid/v1"
    needs_auth = True
    api_key_env = "RELAY_API_KEY"
    default_model = "relay-1"
    models = ["relay-1", "relay-vision"]
    vision_models = ["relay-vision"]
    model_aliases = {"relay": "relay-1"}

    @classmethod
    def standin_reply(cls, request: Any, pieces: Sequence[str]) -> Any:
        from providerhub.testing import Reply

        return Reply.sse([*({"delta": piece} for piece in pieces), "[DONE]"])

    @classmethod
    def request_body(cls, model: str, messages: Any, media: Any) -> dict[str, Any]:
        """The JSON body; reads (and so checks) every image first."""
        images = [to_image(source, name) for source, name in media or []]
        return {
            "model": model,
            "messages": validate_messages(messages),
            "images": [base64.b64encode(image.data).decode() for image in images],
        }

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Any,
        proxy: str | None = None,
        media: Any = None,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        model = cls.get_model(model)
        key = cls.require_api_key(api_key)
        body = cls.request_body(model, messages, media)
        async for text in cls.post(f"{cls.api_base}/answer", body, key, proxy, timeout):
            yield text

    @classmethod
    async def post(cls, url: str, body: Any, key: Any, proxy: Any, timeout: float) -> AsyncIterator[str]:
        """Send the request and yield the text of each event; every fault becomes a providerhub error."""
        import aiohttp

        headers = {"Authorization": f"Bearer {key}"}
        limit = aiohttp.ClientTimeout(total=timeout)
        try:
            async with _sessions.get().post(url, json=body, headers=headers, proxy=proxy, timeout=limit) as response:
                await cls.check_status(response)
                async for text in cls.events(response):
                    yield text
        except ProviderHubError:
            raise
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise ProviderTimeoutError(f"{cls.name}: POST {url} got no answer within {timeout:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ProviderConnectionError(f"{cls.name}: cannot reach {url}: {exc or type(exc).__name__}") from exc

    @classmethod
    async def check_status(cls, response: Any) -> None:
        await raise_for_status(response, cls.name)
        content_type = response.headers.get("Content-Type", "")
        if "text/event-stream" not in content_type:
            body = await response.read()
            excerpt = summarize(body, response.status, content_type)
            what = "an HTML page" if is_html(body, content_type) else "no event stream"
            raise ResponseError(
                f"{cls.name}: answered HTTP {response.status} with {what}: {excerpt}",
                status=response.status,
                excerpt=excerpt,
            )

    @classmethod
    async def events(cls, response: Any) -> AsyncIterator[str]:
        async for line in response.content:
            data = line.decode().strip()
            if not data.startswith("data:"):
                continue
            data = data[5:].strip()
            if data == "[DONE]":
                return
            text = json.loads(data).get("delta")
            if isinstance(text, str) and text:
                yield text


@hookimpl
def register_providers() -> list[type[AsyncGeneratorProvider]]:
    return [Relay]
