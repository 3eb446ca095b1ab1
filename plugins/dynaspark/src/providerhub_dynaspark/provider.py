"""The Dynaspark provider: Gemini models behind one multipart form endpoint.

The service takes the whole conversation as one prompt and at most one image, and answers
with JSON ``{"response": text}``; the answer arrives in one chunk. Example:

```python
import asyncio

from providerhub_dynaspark import Dynaspark


async def main() -> None:
    messages = [{"role": "user", "content": "Name a colour."}]
    async for chunk in Dynaspark.create_async_generator("gemini-2-flash", messages):
        print(chunk)


asyncio.run(main())
```

Requests share one ``aiohttp.ClientSession`` per event loop (keep-alive), closed when the loop
shuts down. The HTTP side (``client``, with asyncio and aiohttp) is imported on the first
request, so importing this module, as model resolution may, stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

from providerhub import AsyncGeneratorProvider, ProviderHubError, ProviderModelMixin, format_prompt, validate_messages
from providerhub.http import getenv, raise_for_status, read_body, timeout_seconds  # http: no lazy import on a start

TYPE_CHECKING = False  # not typing's: resolving a model imports this module, and need not import typing
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from aiohttp import ClientSession

    from providerhub import AsyncResult, MediaListType, Messages
    from providerhub.testing import Reply, Request

__all__ = ["DEFAULT_TIMEOUT", "ENDPOINT_ENV", "Dynaspark"]

ENDPOINT_ENV = "DYNASPARK_API_ENDPOINT"
"""Environment variable that overrides the endpoint URL (read at each call)."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a whole request may take unless ``timeout=`` says otherwise."""

_NAME = "Dynaspark"
_SITE = "https://dynaspark.onrender.com"
_ENDPOINT = f"{_SITE}/generate_response"


_client: ModuleType | None = None


async def _load_client() -> ModuleType:
    """The HTTP side, imported on the first request (aiohttp off the loop) and kept: an import
    statement per call costs."""
    global _client
    from . import client

    await client.load()
    _client = client
    return client


class Dynaspark(AsyncGeneratorProvider, ProviderModelMixin):
    """Gemini 1.5/2.0 Flash models through the Dynaspark web service; no key needed, one image allowed."""

    url: ClassVar[str | None] = _SITE
    login_url: ClassVar[str | None] = None
    api_endpoint: ClassVar[str | None] = _ENDPOINT

    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    use_nodriver: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    max_images: ClassVar[int | None] = 1

    default_model: ClassVar[str] = "gemini-1.5-flash"
    default_vision_model: ClassVar[str | None] = default_model
    vision_models: ClassVar[Sequence[str]] = [
        "gemini-1.5-flash",
        "gemini-1.5-flash-8b",
        "gemini-2.0-flash",
        "gemini-2.0-flash-lite",
    ]
    models: ClassVar[Sequence[str]] = vision_models
    model_aliases: ClassVar[Mapping[str, str]] = {
        "gemini-flash": "gemini-1.5-flash",
        "gemini-flash-8b": "gemini-1.5-flash-8b",
        "gemini-2-flash": "gemini-2.0-flash",
        "gemini-2-flash-lite": "gemini-2.0-flash-lite",
    }

    @classmethod
    def endpoint(cls, api_endpoint: str | None = None) -> str:
        """The URL to post to: ``api_endpoint``, else a configured ``api_endpoint`` declaration, else
        ``$DYNASPARK_API_ENDPOINT``, else the service's own endpoint."""
        if api_endpoint:
            return api_endpoint
        declared = cls.api_endpoint
        if declared and declared != _ENDPOINT:  # set through configure()
            return declared
        configured = getenv(ENDPOINT_ENV)
        return (configured and configured.strip()) or str(declared)

    @classmethod
    def standin_reply(cls, request: Request, pieces: Sequence[str]) -> Reply:
        """How the service answers ``pieces`` (for ``providerhub.testing``): all of it in one JSON object."""
        from providerhub.testing import Reply

        return Reply.json({"response": "".join(pieces)})

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        media: MediaListType | None = None,
        *,
        api_endpoint: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        session: ClientSession | None = None,
        **kwargs: Any,
    ) -> AsyncResult:
        """Ask ``model`` to answer ``messages`` (with at most one image in ``media``); yields the answer.

        ``timeout`` bounds the whole request in seconds; ``session`` is a caller's
        ``aiohttp.ClientSession`` to use (and leave open). Other keywords are accepted and ignored.
        Every failure is a ``providerhub`` error naming Dynaspark and the endpoint.
        """
        model = cls.get_model(model)
        prompt = format_prompt(validate_messages(messages))
        if timeout is not DEFAULT_TIMEOUT:  # the default needs no check
            timeout = DEFAULT_TIMEOUT if timeout is None else timeout_seconds(timeout)
        client = _client or await _load_client()
        url = cls.endpoint(api_endpoint)
        # The exchange runs in this generator: a waiting request holds this one frame, no coroutine under it.
        request = client.request(url, prompt, model, media, proxy, timeout, session)
        if request is None:  # an image to read, or a proxy from the environment to look up, first
            request, proxy = await client.prepare(url, prompt, model, media, proxy, timeout, session)
        try:
            async with request as response:
                status = response.status
                if status >= 400:
                    await raise_for_status(response, _NAME)
                body = await read_body(response, provider=_NAME)
                content_type = response.headers.get("Content-Type")
        except ProviderHubError:
            raise
        except client.failures() as exc:
            error, cause = client.failure(exc, url, proxy, timeout)
            raise error from cause
        yield client.answer(body, status, content_type, url)
