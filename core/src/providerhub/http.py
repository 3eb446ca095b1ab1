"""Turning upstream HTTP answers into providerhub errors (duck-typed: aiohttp is not imported)."""

from __future__ import annotations

import re
from typing import Any

from .errors import AuthenticationError, RateLimitError, ResponseError

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_EXCERPT_CHARS = 200


def is_html(body: bytes, content_type: str | None = None) -> bool:
    """Whether a body is an HTML page (an error page or a bot challenge, not an API answer)."""
    if content_type and "html" in content_type.lower():
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head


def summarize(body: bytes, status: int | None, content_type: str | None = None) -> str:
    """A short, single-line excerpt of a body; an HTML page is named, never dumped."""
    if is_html(body, content_type):
        match = _TITLE.search(body[:8192])
        title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
        where = f", status {status}" if status is not None else ""
        return f"HTML page{where}" + (f": {title[:80]!r}" if title else "")
    text = " ".join(body[: _EXCERPT_CHARS * 4].decode("utf-8", "replace").split())
    if not text:
        return "empty body"
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "..."


def error_for_status(status: int, message: str, *, excerpt: str = "", url: str | None = None) -> ResponseError:
    """The error class matching an HTTP status: 429 rate limit, 401/403 authentication, else ``ResponseError``."""
    cls = RateLimitError if status == 429 else AuthenticationError if status in (401, 403) else ResponseError
    return cls(message, status=status, excerpt=excerpt, url=url)


async def raise_for_status(response: Any, provider: str | None = None) -> None:
    """Raise the matching ``ResponseError`` if an aiohttp response has an error status (>= 400)."""
    status = int(response.status)
    if status < 400:
        return
    try:
        body = await response.read()
    except Exception:  # the body is only for the message; the status says what matters
        body = b""
    excerpt = summarize(body, status, response.headers.get("Content-Type"))
    url = str(response.url)
    who = f"{provider}: " if provider else ""
    reason = f" {response.reason}" if getattr(response, "reason", None) else ""
    raise error_for_status(
        status,
        f"{who}{response.method} {url} answered HTTP {status}{reason}: {excerpt}",
        excerpt=excerpt,
        url=url,
    )
