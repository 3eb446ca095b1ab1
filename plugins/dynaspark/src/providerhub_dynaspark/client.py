"""The HTTP exchange with the Dynaspark service, imported on the first request.

Keeping it apart keeps ``import providerhub_dynaspark`` (which model resolution may do) free of
asyncio and aiohttp. Requests share one ``aiohttp.ClientSession`` per event loop (keep-alive),
closed when the loop shuts down.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from providerhub import (
    ProviderConnectionError,
    ProviderError,
    ProviderHubError,
    ProviderTimeoutError,
    ResponseError,
    raise_for_status,
    to_image,
)
from providerhub.http import is_html, summarize
from providerhub.loop_local import LoopLocal
from providerhub.multipart import encode_form

if TYPE_CHECKING:
    from aiohttp import ClientSession, ClientTimeout

    from providerhub import Image, MediaListType, MediaType

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

    return aiohttp.ClientSession(headers=_HEADERS)


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
        # The request is valid, this service just cannot take it: another provider may.
        raise ProviderError(f"{_NAME} takes one image per request; got {len(items)}", provider=_NAME, retryable=False)
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

    def fail(what: str) -> ResponseError:
        message = f"{_NAME}: POST {url} answered HTTP {status} {what}"
        return ResponseError(message, status=status, excerpt=summarize(body, status, content_type), url=url)

    if is_html(body, content_type):
        raise fail(f"with {summarize(body, status, content_type)} instead of JSON")
    try:
        data = json.loads(body)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        raise fail(f"with a body that is not JSON: {summarize(body, status, content_type)}") from None
    if not isinstance(data, dict):
        raise fail(
            f"with JSON {type(data).__name__}, not an object with 'response': {summarize(body, status, content_type)}"
        )
    if "response" not in data:
        keys = ", ".join(map(repr, data)) or "none"
        error = data.get("error")
        said = f"; the service said: {error!r:.200}" if error else ""
        raise fail(f"with JSON that has no 'response' (keys: {keys}){said}")
    text = data["response"]
    if not isinstance(text, str):
        raise fail(f"with a 'response' that is {type(text).__name__}, not text")
    return text


@functools.lru_cache(maxsize=16)
def _timeout(seconds: float) -> ClientTimeout:
    import aiohttp

    return aiohttp.ClientTimeout(total=seconds)


async def post(
    url: str,
    prompt: str,
    model: str,
    media: MediaListType | MediaType | None,
    proxy: str | None,
    limit: float,
    session: ClientSession | None,
) -> str:
    """Send one request and return the answer's text; every fault is a ``providerhub`` error."""
    image = _one_image(media)
    if "aiohttp" not in sys.modules:  # first request: import off the loop, which must not stall
        await asyncio.get_running_loop().run_in_executor(None, importlib.import_module, "aiohttp")
    import aiohttp

    files = [("file", image.filename, image.content_type, image.data)] if image is not None else []
    body, form_type = encode_form([("user_input", prompt), ("ai_model", model)], files)
    # The shared sessions carry the browser headers already; a caller's session gets them here.
    headers = {"Content-Type": form_type} if session is None else {**_HEADERS, "Content-Type": form_type}
    client = session if session is not None else _sessions.get()
    via = f" through proxy {_without_credentials(proxy)}" if proxy else ""
    try:
        async with client.post(url, data=body, headers=headers, proxy=proxy, timeout=_timeout(limit)) as response:
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
    return _answer(body, status, content_type, url)
