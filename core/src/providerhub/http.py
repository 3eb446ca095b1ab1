"""Reading upstream HTTP answers safely: bounded bodies, typed errors, no secrets in messages.

For plugin authors: ``raise_for_status`` / ``error_for_status`` turn a status into the error a
router understands (429 ``RateLimitError`` with ``retry_after``, 401/403 ``AuthenticationError``);
``read_body``, ``iter_body`` and ``iter_lines`` read an answer within a size cap; ``loads_json``
parses it with every failure a ``ValueError``; ``is_html`` and ``summarize`` name an error page
instead of dumping it; ``redact_url`` / ``redact`` keep keys out of messages; ``timeout_seconds``
and ``proxy_url`` check those options.

Duck-typed: aiohttp is not imported. A response is anything with ``status``, ``headers``,
``url``, ``method`` and an aiohttp-like ``content`` stream (or a ``read()`` coroutine).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import AsyncIterator, Mapping

from .errors import AuthenticationError, OptionsError, RateLimitError, ResponseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_BODY_ENV",
    "MAX_ERROR_BODY_BYTES",
    "MAX_LINE_BYTES",
    "byte_limit",
    "error_for_status",
    "env_proxy",
    "getenv",
    "is_html",
    "iter_body",
    "iter_lines",
    "loads_json",
    "proxy_for",
    "proxy_url",
    "raise_for_status",
    "read_body",
    "read_excerpt_body",
    "redact",
    "redact_url",
    "retry_after",
    "summarize",
    "timeout_seconds",
]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Default cap on an answer's body, counted after decompression (``PROVIDERHUB_MAX_RESPONSE_BYTES``)."""
MAX_ERROR_BODY_BYTES = 64 * 1024
"""How much of an error answer is read; only its excerpt is kept."""
MAX_BODY_ENV = "PROVIDERHUB_MAX_RESPONSE_BYTES"
"""The environment variable that overrides ``MAX_BODY_BYTES``."""

_TITLE = rb"(?is)<title[^>]*>(.*?)</title>"  # patterns compiled on first use (re caches them)
_EXCERPT_CHARS = 200
_CHUNK = 64 * 1024


# -- secrets ------------------------------------------------------------------------------------

_MASK = "***"
_URL_IN_TEXT = r"""[A-Za-z][A-Za-z0-9+.-]*://[^\s'"<>`]*"""


def redact_url(url: object) -> str:
    """``url`` fit to show: user-info removed and every query value masked (``?key=***``)."""
    from urllib.parse import SplitResult, urlsplit  # here: resolving a model never needs it

    text = str(url)
    try:
        parts = urlsplit(text)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:  # not parseable (a bad IPv6 host): drop what could be user-info and query
        scheme, sep, rest = text.partition("://")
        rest = rest.rpartition("@")[2] if sep else rest
        return f"{scheme}{sep}{rest.split('?', 1)[0].split('#', 1)[0]}" + ("?..." if "?" in text else "")
    query = "&".join(
        f"{name}={_MASK}" if sep else name for name, sep, _ in (item.partition("=") for item in parts.query.split("&"))
    )
    return SplitResult(parts.scheme, netloc, parts.path, query if parts.query else "", "").geturl()


def redact(text: str) -> str:
    """``text`` with every URL in it passed through ``redact_url`` (for messages written by others)."""
    import re  # here, as in the other functions using it: a start that resolves a model never needs it

    return re.sub(_URL_IN_TEXT, lambda m: redact_url(m.group(0)), text)


def proxy_url(value: object) -> str:
    """``value`` if it is a proxy URL providers can use (``http://`` or ``https://`` with a host),
    else an ``OptionsError`` showing it without secrets."""
    if not isinstance(value, str):
        raise OptionsError(f"proxy must be a URL string, not {type(value).__name__}")
    from urllib.parse import urlsplit

    text = value
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise OptionsError(f"invalid proxy URL {redact_url(text)!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionsError(f"proxy {redact_url(text)!r:.120} is not an http:// or https:// URL with a host")
    return text


# The os.environ mapping and its storage, read directly: ``os.environ.get`` encodes the name,
# raises and catches a KeyError for a missing variable and decodes a present one on every call
# (about 1 us), and a request reads several variables. Writes through ``os.environ`` (setenv,
# ``monkeypatch``, ``mock.patch.dict``) update that storage, so nothing read here goes stale.
_ENVIRON = os.environ
_STORE: dict[Any, Any] | None = getattr(_ENVIRON, "_data", None)
_ENCODE_KEY = getattr(_ENVIRON, "encodekey", None)
_DECODE_VALUE = getattr(_ENVIRON, "decodevalue", None)
if not (isinstance(_STORE, dict) and callable(_ENCODE_KEY) and callable(_DECODE_VALUE)):  # not CPython's mapping
    _STORE = None
_KEYS: dict[str, Any] = {}  # a name to its key in the storage (names asked for are a fixed few)
_VALUES: dict[str, tuple[Any, str]] = {}  # a name to (stored value, its text): one str per value, not per read


def getenv(name: str) -> str | None:
    """``os.environ.get(name)`` at a fraction of its cost, for variables read on every request.

    The value is read at each call (a change between two calls is seen by the second); the text
    of an unchanged value is the same ``str`` object each time, so a waiting request holds none.
    """
    store = _STORE
    if store is None or os.environ is not _ENVIRON:  # another mapping put in place of os.environ
        return os.environ.get(name)
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = _ENCODE_KEY(name)  # type: ignore[misc]
    raw = store.get(key)
    if raw is None:
        return None
    known = _VALUES.get(name)
    if known is not None and known[0] is raw:  # the very value decoded before (held here, so not a reused id)
        return known[1]
    value: str = _DECODE_VALUE(raw)  # type: ignore[misc]
    _VALUES[name] = (raw, value)
    return value


# The proxy variables by URL scheme: lower-case name (which wins), upper-case name.
_PROXY_NAMES = {"http": ("http_proxy", "HTTP_PROXY"), "https": ("https_proxy", "HTTPS_PROXY")}


def env_proxy(url: str) -> str | None:
    """The proxy ``HTTP_PROXY`` / ``HTTPS_PROXY`` (or ``http_proxy`` / ``https_proxy``, which win) name
    for ``url``, unless ``NO_PROXY`` exempts its host; else ``None``.

    A few environment look-ups (``getenv``), cheap enough for every request: aiohttp's ``trust_env``
    instead re-reads the whole environment and ``~/.netrc`` in worker threads on each request.
    """
    scheme, sep, _ = url.partition("://")
    if not sep:
        return None
    names = _PROXY_NAMES.get(scheme)
    if names is None:
        scheme = scheme.lower()
        names = _PROXY_NAMES.get(scheme) or (f"{scheme}_proxy", f"{scheme.upper()}_PROXY")
    value = getenv(names[0])
    if value is None:  # a lower-case variable, even empty, wins over the upper-case one
        value = getenv(names[1])
        if value and names[0] == "http_proxy" and getenv("REQUEST_METHOD") is not None:
            value = None  # CGI: HTTP_PROXY may come from a request header
    if not value:
        return None
    no_proxy = getenv("no_proxy")
    if no_proxy is None:
        no_proxy = getenv("NO_PROXY")
    if no_proxy:
        from urllib.parse import urlsplit
        from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]  # not in the stubs

        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        if host and proxy_bypass_environment(host, {"no": no_proxy}):
            return None
    return value


# -- bounds ---------------------------------------------------------------------------------------


async def proxy_for(url: str, proxy: str | None = None) -> tuple[str | None, Any]:
    """The proxy for a request to ``url`` and its credentials (aiohttp's ``BasicAuth`` or ``None``).

    ``proxy`` when a call names one; else what the environment chooses (``env_proxy``), with
    ``~/.netrc`` credentials read as aiohttp's ``trust_env`` reads them, off the loop and only
    when a proxy applies: a request without one pays a few look-ups. Needs aiohttp.
    """
    if proxy is not None or env_proxy(url) is None:
        return proxy, None
    import asyncio

    from aiohttp.helpers import get_env_proxy_for_url
    from yarl import URL

    try:
        found, auth = await asyncio.to_thread(get_env_proxy_for_url, URL(url))
    except (LookupError, ValueError):  # no proxy after all, or not a URL (the request itself says so)
        return None, None
    return str(found), auth


def byte_limit(env: str, default: int) -> int:
    """A size cap from the environment variable ``env`` (a positive whole number of bytes), else ``default``."""
    raw = getenv(env)
    if raw is None:  # the common case, asked on every request: nothing more to do
        return default
    raw = raw.strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise OptionsError(f"{env} must be a positive whole number of bytes, not {raw[:40]!r}")
    return value


def timeout_seconds(value: object, name: str = "timeout") -> float:
    """``value`` as a number of seconds, or an ``OptionsError`` (a ``ValueError``) if not finite and positive."""
    if type(value) is float and 0.0 < value < math.inf:  # the common case, asked on every request (NaN fails it)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionsError(f"{name} must be a number of seconds, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if not (math.isfinite(seconds) and seconds > 0):
        raise OptionsError(f"{name} must be a finite, positive number of seconds, not {value!r:.40}")
    return seconds


async def iter_body(response: Any, limit: int | None = None, *, provider: str | None = None) -> AsyncIterator[bytes]:
    """The body of an aiohttp response in chunks as they arrive (decompressed), ending with a
    ``ResponseError`` once more than ``limit`` bytes came (default: ``MAX_BODY_BYTES``).

    The building block for streamed answers as well as whole ones.
    """
    cap = byte_limit(MAX_BODY_ENV, MAX_BODY_BYTES) if limit is None else limit
    total = 0
    content = getattr(response, "content", None)
    chunks = content.iter_any() if content is not None else _whole(response)
    async for chunk in chunks:
        total += len(chunk)
        if total > cap:
            _release(response)
            raise _error(response, provider, f"answered more than {cap:,} bytes; the answer was cut off")
        yield chunk


async def _whole(response: Any) -> AsyncIterator[bytes]:
    yield await response.read()


def _release(response: Any) -> None:
    close = getattr(response, "close", None)  # drops the connection: the rest is never read
    if close is not None:
        close()


async def read_body(response: Any, limit: int | None = None, *, provider: str | None = None) -> bytes:
    """The whole body of an aiohttp response (decompressed), or a ``ResponseError`` past ``limit`` bytes.

    A body framed by a ``Content-Length`` within the cap and not compressed is read in one go
    (the framing bounds it); any other is counted chunk by chunk.
    """
    cap = byte_limit(MAX_BODY_ENV, MAX_BODY_BYTES) if limit is None else limit
    length = getattr(response, "content_length", None)
    if type(length) is int and 0 <= length <= cap and hasattr(response, "read"):
        headers = getattr(response, "headers", None)
        encoding = headers.get("Content-Encoding") if headers is not None else None
        if not encoding or str(encoding).strip().lower() == "identity":  # not compressed: it cannot grow
            body: bytes = await response.read()
            if len(body) > cap:  # a framing that did not hold: refused as a long stream is
                raise _error(response, provider, f"answered more than {cap:,} bytes; the answer was cut off")
            return body
    return b"".join([chunk async for chunk in iter_body(response, cap, provider=provider)])


MAX_LINE_BYTES = 1024 * 1024
"""Default cap on one line of a streamed answer (an SSE or NDJSON event)."""


async def iter_lines(
    response: Any, limit: int | None = None, *, max_line: int = MAX_LINE_BYTES, provider: str | None = None
) -> AsyncIterator[bytes]:
    """The lines of a streamed body (server-sent events, NDJSON) without their line ends, as they
    arrive; a line longer than ``max_line`` or a body past ``limit`` bytes is a ``ResponseError``."""
    parts: list[bytes] = []  # the unfinished line's pieces: joined once its end comes, never re-copied
    size = 0
    async for chunk in iter_body(response, limit, provider=provider):
        if b"\n" not in chunk:
            size += len(chunk)
            if size > max_line:
                _release(response)
                raise _error(response, provider, f"sent a line longer than {max_line:,} bytes")
            parts.append(chunk)
            continue
        if parts:
            parts.append(chunk)
            chunk = b"".join(parts)
        lines = chunk.split(b"\n")
        rest = lines.pop()
        for line in lines:
            if len(line) > max_line:
                _release(response)
                raise _error(response, provider, f"sent a line longer than {max_line:,} bytes")
            yield line.removesuffix(b"\r")
        parts = [rest] if rest else []
        size = len(rest)
        if size > max_line:
            _release(response)
            raise _error(response, provider, f"sent a line longer than {max_line:,} bytes")
    if parts:
        yield b"".join(parts).removesuffix(b"\r")


async def read_excerpt_body(response: Any, limit: int = MAX_ERROR_BODY_BYTES) -> bytes:
    """At most ``limit`` bytes of a body read only for an error message; never raises."""
    parts: list[bytes] = []
    size = 0
    try:
        content = getattr(response, "content", None)
        chunks = content.iter_any() if content is not None else _whole(response)
        async for chunk in chunks:
            parts.append(chunk[: limit - size])
            size += len(parts[-1])
            if size >= limit:
                _release(response)
                break
    except Exception:  # the body is only for the message; the status says what matters
        pass
    return b"".join(parts)


_decoder: Any = None  # json's decoder with no options (what json.loads uses), made on first use


def loads_json(body: bytes | str) -> Any:
    """``json.loads`` whose every failure, nesting too deep included, is a ``ValueError``.

    An object (the usual answer) is scanned directly: the same result as ``json.loads`` without its
    encoding sniffing and whitespace patterns, which cost more than scanning a short answer.
    """
    decoder = _decoder or _make_decoder()
    try:
        if type(body) is bytes:
            if body[:1] != b"{" or body[1:2] == b"\x00":  # not UTF-8 starting an object: json.loads sniffs
                return _json().loads(body)
            text = body.decode("utf-8", "surrogatepass")  # what json.loads decodes such a body with
        elif type(body) is str and body[:1] == "{":
            text = body
        else:
            return _json().loads(body)
        value, end = decoder.raw_decode(text)
        if end != len(text):
            rest = text[end:]
            tail = rest.lstrip(" \t\n\r")
            if tail:
                raise _json().JSONDecodeError("Extra data", text, end + len(rest) - len(tail))
        return value
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _json() -> Any:
    import json  # here: importing this module (as a provider's does) need not import json and re

    return json


def _make_decoder() -> Any:
    global _decoder
    _decoder = _json().JSONDecoder()
    return _decoder


# -- Retry-After ----------------------------------------------------------------------------------

_MAX_RETRY_AFTER = 7 * 24 * 3600.0


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date), else ``None``.

    A date in the past is 0; nonsense is ``None``; anything past a week is a week.
    """
    if not headers:
        return None
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    text = str(raw).strip()[:64]
    import re

    if re.fullmatch(r"\d+(\.\d+)?", text):
        return min(float(text), _MAX_RETRY_AFTER)
    from email.utils import parsedate_to_datetime  # only for an HTTP-date: it imports socket and more

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


# -- messages -------------------------------------------------------------------------------------


def is_html(body: bytes, content_type: str | None = None) -> bool:
    """Whether a body is an HTML page (an error page or a bot challenge, not an API answer)."""
    if content_type and "html" in content_type.lower():
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head


def summarize(body: bytes, status: int | None, content_type: str | None = None) -> str:
    """A short, single-line excerpt of a body; an HTML page is named, never dumped."""
    if is_html(body, content_type):
        import re

        match = re.search(_TITLE, body[:8192])
        title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
        where = f", status {status}" if status is not None else ""
        return f"HTML page{where}" + (f": {title[:80]!r}" if title else "")
    text = " ".join(body[: _EXCERPT_CHARS * 4].decode("utf-8", "replace").split())
    if not text:
        return "empty body"
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "..."


def error_for_status(
    status: int, message: str, *, excerpt: str = "", url: str | None = None, retry_after: float | None = None
) -> ResponseError:
    """The error class matching an HTTP status: 429 rate limit, 401/403 authentication, else ``ResponseError``."""
    cls = RateLimitError if status == 429 else AuthenticationError if status in (401, 403) else ResponseError
    return cls(message, status=status, excerpt=excerpt, url=url, retry_after=retry_after)


def _error(response: Any, provider: str | None, what: str) -> ResponseError:
    status = int(response.status)
    url = redact_url(response.url)
    who = f"{provider}: " if provider else ""
    return ResponseError(f"{who}{response.method} {url} {what}", status=status, url=url)


async def raise_for_status(response: Any, provider: str | None = None) -> None:
    """Raise the matching ``ResponseError`` if an aiohttp response has an error status (>= 400)."""
    status = int(response.status)
    if status < 400:
        return
    body = await read_excerpt_body(response)
    excerpt = summarize(body, status, response.headers.get("Content-Type"))
    url = redact_url(response.url)
    who = f"{provider}: " if provider else ""
    reason = f" {str(response.reason)[:80]}" if getattr(response, "reason", None) else ""
    raise error_for_status(
        status,
        f"{who}{response.method} {url} answered HTTP {status}{reason}: {excerpt}",
        excerpt=excerpt,
        url=url,
        retry_after=retry_after(response.headers),
    )
