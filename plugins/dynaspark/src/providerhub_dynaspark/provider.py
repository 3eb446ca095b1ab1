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
shuts down. aiohttp is imported on the first request, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from providerhub import (
    AsyncGeneratorProvider,
    MediaError,
    ProviderConnectionError,
    ProviderHubError,
    ProviderModelMixin,
    ProviderTimeoutError,
    ResponseError,
    format_prompt,
    raise_for_status,
    to_image,
    validate_messages,
)
from providerhub.http import is_html, summarize
from providerhub.loop_local import LoopLocal

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from providerhub import AsyncResult, Image, MediaListType, MediaType, Messages

__all__ = ["DEFAULT_TIMEOUT", "ENDPOINT_ENV", "Dynaspark"]

ENDPOINT_ENV = "DYNASPARK_API_ENDPOINT"
"""Environment variable that overrides the endpoint URL (read at each call)."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a whole request may take unless ``timeout=`` says otherwise."""

_NAME = "Dynaspark"
_SITE = "https://dynaspark.onrender.com"
# The service answers browser-like XHR requests from its own page.
_HEADERS: Mapping[str, str] = {
    "accept": "*/*",
    "accept-language": "en-US,en;q=0.9",
    "origin": _SITE,
    "referer": f"{_SITE}/",
    "user-agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36"
    ),
    "x-requested-with": "XMLHttpRequest",
}


def _new_session() -> ClientSession:
    import aiohttp

    return aiohttp.ClientSession()


async def _close_session(session: ClientSession) -> None:
    await session.close()
    await asyncio.sleep(0)  # lets the closed transports run their connection_lost callbacks


_sessions: LoopLocal[ClientSession] = LoopLocal(_new_session, _close_session)


def _one_image(media: MediaListType | MediaType | None) -> Image | None:
    """The single image to upload, read and checked before anything is sent."""
    if media is None:
        return None
    items: Sequence[Any] = media if isinstance(media, (list, tuple)) else [media]  # a bare image is a list of one
    if not items:
        return None
    if len(items) > 1:
        raise MediaError(f"{_NAME} takes one image per request; got {len(items)}")
    item = items[0]
    source, filename = item if isinstance(item, tuple) else (item, None)
    return to_image(source, filename)


def _without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` removed, fit for an error message."""
    scheme, sep, rest = url.partition("://")
    host = rest.rpartition("@")[2] if sep else url.rpartition("@")[2]
    return f"{scheme}{sep}{host}" if sep else host


def _answer(body: bytes, status: int, content_type: str | None, url: str) -> str:
    """The ``response`` text of a 2xx answer, or a ``ResponseError`` saying what came instead."""
    excerpt = summarize(body, status, content_type)

    def fail(what: str) -> ResponseError:
        message = f"{_NAME}: POST {url} answered HTTP {status} {what}"
        return ResponseError(message, status=status, excerpt=excerpt, url=url)

    if is_html(body, content_type):
        raise fail(f"with {excerpt} instead of JSON")
    try:
        data = json.loads(body)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        raise fail(f"with a body that is not JSON: {excerpt}") from None
    if not isinstance(data, dict):
        raise fail(f"with JSON {type(data).__name__}, not an object with 'response': {excerpt}")
    if "response" not in data:
        keys = ", ".join(map(repr, data)) or "none"
        error = data.get("error")
        said = f"; the service said: {error!r:.200}" if error else ""
        raise fail(f"with JSON that has no 'response' (keys: {keys}){said}")
    text = data["response"]
    if not isinstance(text, str):
        raise fail(f"with a 'response' that is {type(text).__name__}, not text")
    return text


class Dynaspark(AsyncGeneratorProvider, ProviderModelMixin):
    """Gemini 1.5/2.0 Flash models through the Dynaspark web service; no key needed, one image allowed."""

    url: ClassVar[str | None] = _SITE
    login_url: ClassVar[str | None] = None
    api_endpoint: ClassVar[str | None] = f"{_SITE}/generate_response"

    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    use_nodriver: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False

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
        """The URL to post to: ``api_endpoint``, else ``$DYNASPARK_API_ENDPOINT``, else the class default."""
        return api_endpoint or os.environ.get(ENDPOINT_ENV, "").strip() or str(cls.api_endpoint)

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
        image = _one_image(media)
        limit = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if not limit > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        url = cls.endpoint(api_endpoint)
        if "aiohttp" not in sys.modules:  # first request: import off the loop, which must not stall
            await asyncio.get_running_loop().run_in_executor(None, importlib.import_module, "aiohttp")
        import aiohttp

        form = aiohttp.FormData(default_to_multipart=True)  # multipart even without a file
        form.add_field("user_input", prompt)
        form.add_field("ai_model", model)
        if image is not None:
            form.add_field("file", image.data, filename=image.filename, content_type=image.content_type)
        client = session if session is not None else _sessions.get()
        via = f" through proxy {_without_credentials(proxy)}" if proxy else ""
        try:
            async with client.post(
                url,
                data=form,
                headers=dict(_HEADERS),
                proxy=proxy,
                timeout=aiohttp.ClientTimeout(total=limit),
            ) as response:
                await raise_for_status(response, _NAME)
                body = await response.read()
                status, content_type = response.status, response.headers.get("Content-Type")
        except ProviderHubError:
            raise
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise ProviderTimeoutError(f"{_NAME}: POST {url}{via} got no answer within {limit:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            if isinstance(exc, aiohttp.InvalidURL):
                detail = f"invalid URL {str(exc.url)!r}"
            else:
                detail = str(exc) or type(exc).__name__
            raise ProviderConnectionError(f"{_NAME}: cannot reach {url}{via}: {detail}") from exc
        yield _answer(body, status, content_type, url)
