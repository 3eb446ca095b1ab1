"""The HTTP side of a Dynaspark request, imported on the first request.

Keeping it apart keeps ``import providerhub_dynaspark`` (which model resolution may do) free of
asyncio and aiohttp. Requests share one ``aiohttp.ClientSession`` per event loop (keep-alive),
closed when the loop shuts down. The provider's generator awaits the POST built here itself, so a
waiting request holds one frame of its own, not a coroutine under it.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from providerhub import (
    ProviderConnectionError,
    ProviderError,
    ProviderHubError,
    ProviderTimeoutError,
    ResponseError,
)
from providerhub.errors import name_list
from providerhub.http import env_proxy, is_html, loads_json, proxy_for, proxy_url, redact, redact_url, summarize
from providerhub.loop_local import LoopLocal
from providerhub.media import media_items, to_image_async
from providerhub.multipart import encode_form

from .provider import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from aiohttp import ClientSession, ClientTimeout
    from aiohttp.client import _RequestContextManager

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

    # No trust_env: it costs two worker-thread hops per request; the proxy variables are read per
    # request by ``providerhub.http.proxy_for`` instead.
    # Its timeout is the default one, so a request with that timeout passes none.
    return aiohttp.ClientSession(headers=_HEADERS, timeout=_timeout(DEFAULT_TIMEOUT))


async def _close_session(session: ClientSession) -> None:
    await session.close()
    await asyncio.sleep(0)  # lets the closed transports run their connection_lost callbacks


_sessions: LoopLocal[ClientSession] = LoopLocal(_new_session, _close_session)


async def _one_image(media: MediaListType | MediaType | None) -> Image | None:
    """The single image to upload, read (off the loop) and checked before anything is sent."""
    items = media_items(media)
    if not items:
        return None
    if len(items) > 1:
        # The request is valid, this service just cannot take it: another provider may.
        raise ProviderError(f"{_NAME} takes one image per request; got {len(items)}", provider=_NAME, retryable=False)
    source, filename = items[0]
    return await to_image_async(source, filename)


def answer(body: bytes, status: int, content_type: str | None, url: str) -> str:
    """The ``response`` text of a 2xx answer, or a ``ResponseError`` saying what came instead (``url`` masked there)."""

    def fail(what: str) -> ResponseError:
        shown = redact_url(url)
        message = f"{_NAME}: POST {shown} answered HTTP {status} {what}"
        return ResponseError(message, status=status, excerpt=summarize(body, status, content_type), url=shown)

    if content_type is not None and "html" in content_type.lower():
        raise fail(f"with {summarize(body, status, content_type)} instead of JSON")
    try:
        data = loads_json(body)
    except ValueError as exc:  # includes JSONDecodeError, UnicodeDecodeError and nesting too deep
        if is_html(body, content_type):  # sniffed only when the body is not JSON: a JSON text may mention <head>
            raise fail(f"with {summarize(body, status, content_type)} instead of JSON") from None
        detail = "nested too deeply" if "too deeply" in str(exc) else summarize(body, status, content_type)
        raise fail(f"with a body that is not JSON: {detail}") from None
    if not isinstance(data, dict):
        raise fail(
            f"with JSON {type(data).__name__}, not an object with 'response': {summarize(body, status, content_type)}"
        )
    if "response" not in data:
        error = data.get("error")
        said = f"; the service said: {str(error)[:200]!r}" if error else ""
        raise fail(
            f"with JSON that has no 'response' (keys: {name_list(repr(key[:40]) for key in data) or 'none'}){said}"
        )
    text = data["response"]
    if not isinstance(text, str):
        raise fail(f"with a 'response' that is {type(text).__name__}, not text")
    return text


_aiohttp: ModuleType | None = None


async def load() -> None:
    """Import aiohttp off the loop (an import would stall it) before the first request uses it."""
    global _aiohttp
    if "aiohttp" not in sys.modules:
        await asyncio.get_running_loop().run_in_executor(None, importlib.import_module, "aiohttp")
    import aiohttp

    _aiohttp = aiohttp


@functools.lru_cache(maxsize=16)
def _timeout(seconds: float) -> ClientTimeout:
    import aiohttp

    return aiohttp.ClientTimeout(total=seconds)


def request(
    url: str,
    prompt: str,
    model: str,
    media: MediaListType | MediaType | None,
    proxy: str | None,
    limit: float,
    session: ClientSession | None,
) -> _RequestContextManager | None:
    """The POST of one request, not yet sent; ``None`` when an image is to be read or the environment
    names a proxy, which ``prepare`` does first. Needs ``load()`` done."""
    if proxy is not None:
        proxy_url(proxy)  # an invalid proxy URL is the caller's error (OptionsError), not a failed connection
    elif env_proxy(url) is not None:
        return None
    if media:
        return None
    body, form_type = encode_form((("user_input", prompt), ("ai_model", model)))
    if session is None and proxy is None and limit == DEFAULT_TIMEOUT:  # the shared session's own settings
        return _sessions.get().post(url, data=body, headers={"Content-Type": form_type})
    return _post(url, (body, form_type), proxy, None, limit, session)


async def prepare(
    url: str,
    prompt: str,
    model: str,
    media: MediaListType | MediaType | None,
    proxy: str | None,
    limit: float,
    session: ClientSession | None,
) -> tuple[_RequestContextManager, str | None]:
    """The POST of a request ``request`` left: its image read and checked (within ``limit``) and the
    environment's proxy looked up; and the proxy it goes through."""
    budget = limit
    if media:  # no task and no timer for a request without one
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        try:
            image = await asyncio.wait_for(_one_image(media), limit)
        except asyncio.TimeoutError:
            raise ProviderTimeoutError(f"{_NAME}: reading the image took longer than {limit:g} s") from None
        budget = max(deadline - loop.time(), 0.001)
        files = [("file", image.filename, image.content_type, image.data)] if image is not None else []
        form = encode_form((("user_input", prompt), ("ai_model", model)), files)
        del image, files  # the image's bytes are in the body now: a waiting request holds them once
    else:
        form = encode_form((("user_input", prompt), ("ai_model", model)))
    proxy_auth = None
    if proxy is None:
        proxy, proxy_auth = await proxy_for(url)
    return _post(url, form, proxy, proxy_auth, budget, session), proxy


def _post(
    url: str, form: tuple[bytes, str], proxy: str | None, proxy_auth: Any, budget: float, session: ClientSession | None
) -> _RequestContextManager:
    body, form_type = form
    if session is not None:  # a caller's session gets the browser headers here; the shared ones carry them
        headers = {**_HEADERS, "Content-Type": form_type}
    else:
        headers = {"Content-Type": form_type}
        session = _sessions.get()
    return session.post(url, data=body, headers=headers, proxy=proxy, proxy_auth=proxy_auth, timeout=_timeout(budget))


def failures() -> tuple[type[BaseException], ...]:
    """What an exchange may raise that ``failure`` turns into a ``providerhub`` error."""
    aiohttp = _aiohttp or importlib.import_module("aiohttp")  # loaded already: a request was made
    return (asyncio.TimeoutError, TimeoutError, aiohttp.ClientError, OSError, ValueError)


def failure(
    exc: BaseException, url: str, proxy: str | None, limit: float
) -> tuple[ProviderHubError, BaseException | None]:
    """The error to raise for what an exchange with ``url`` raised, and its cause (``None`` when the
    original's message would show a secret): typed, readable, with ``url`` masked."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        shown = f"{redact_url(url)}{_via(proxy)}"
        return ProviderTimeoutError(f"{_NAME}: POST {shown} got no answer within {limit:g} s"), exc
    return _failure(exc, redact_url(url), _via(proxy)), (exc if redact(str(exc)) == str(exc) else None)


def _via(proxy: str | None) -> str:
    return f" through proxy {redact_url(proxy)}" if proxy else ""


def _failure(exc: BaseException, url: str, via: str) -> ProviderHubError:
    """A typed, readable error for what aiohttp raised (never its ``0, message=''``), secrets masked."""
    import aiohttp

    if isinstance(exc, aiohttp.TooManyRedirects):
        last = exc.history[-1].status if exc.history else exc.status
        return ResponseError(
            f"{_NAME}: POST {url} kept redirecting ({len(exc.history)} redirects, the last HTTP {last})",
            status=last or None,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return ProviderConnectionError(
            f"{_NAME}: cannot reach {url}{via}: the proxy answered HTTP {exc.status} {str(exc.message)[:80]}".rstrip(),
            status=exc.status,
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        return ResponseError(
            f"{_NAME}: POST {url} sent an answer that is not valid HTTP: {redact(str(exc.message))[:200]}",
            status=exc.status or None,
            url=url,
        )
    if isinstance(exc, getattr(aiohttp, "NonHttpUrlClientError", ())) or (
        isinstance(exc, aiohttp.InvalidURL) and not str(exc.url).lower().startswith(("http:", "https:"))
    ):
        what = redact_url(getattr(exc, "url", url))
        return ProviderConnectionError(f"{_NAME}: cannot reach {url}{via}: {what!r} is not an http:// or https:// URL")
    if isinstance(exc, aiohttp.InvalidURL):
        return ProviderConnectionError(f"{_NAME}: cannot reach {url}{via}: invalid URL {redact_url(exc.url)!r}")
    detail = redact(str(exc))[:300] or type(exc).__name__
    return ProviderConnectionError(f"{_NAME}: cannot reach {url}{via}: {detail}")
