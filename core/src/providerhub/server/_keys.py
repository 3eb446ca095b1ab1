"""What a request's handling leaves on it for the access log and the error responses."""

from __future__ import annotations

from typing import Any

from aiohttp import web

_Key: Any = getattr(web, "RequestKey", None)  # typed keys in newer aiohttp; plain strings before


def _key(name: str, kind: type) -> Any:
    return _Key(name, kind) if _Key is not None else name


MODEL = _key("providerhub.model", str)
"""The model the request asked for."""
PROVIDER = _key("providerhub.provider", str)
"""The provider that answers it."""
HEADERS = _key("providerhub.headers", dict)
"""Headers every response to it carries (who answers), errors included."""
ERROR = _key("providerhub.error", str)
"""The error code it ended with, if any."""
