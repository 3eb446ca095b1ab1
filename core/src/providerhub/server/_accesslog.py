"""One line on stderr per request (method, path, status, model, provider, duration), and the server's own notices.

The lines of requests that end in the same turn of the event loop go out in one write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from . import _keys as keys


def _printable(text: str, limit: int = 200) -> str:
    text = text[:limit]
    return text if text.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


_stamp: list[Any] = [0, ""]


def _now() -> str:
    """The time in UTC to the second (formatted once a second)."""
    second = int(time.time())
    if second != _stamp[0]:
        _stamp[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))]
    return str(_stamp[1])


class _Lines:
    """Lines waiting for the end of this turn of the event loop, then written to stderr at once."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def add(self, line: str) -> None:
        self.pending.append(line)
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        lines, self.pending = self.pending, []
        if not lines:
            return
        # writes of at most PIPE_BUF bytes stay whole when several workers share one pipe
        batch: list[str] = []
        size = 0
        for line in lines:
            if batch and size + len(line) >= 4000:
                _write("\n".join(batch) + "\n")
                batch, size = [], 0
            batch.append(line)
            size += len(line) + 1
        _write("\n".join(batch) + "\n")


def _write(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr is gone: serving matters more than logging
        pass


_lines = _Lines()
flush = _lines.flush


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access-log hook, writing ``text`` or ``json`` lines (chosen by the log format)."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        self.as_json = log_format == "json"

    @property
    def enabled(self) -> bool:
        return True

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        peer = request.remote or "-"
        model = request.get(keys.MODEL)
        provider = request.get(keys.PROVIDER)
        error = request.get(keys.ERROR)
        if self.as_json:
            line = json.dumps(
                {
                    "time": _now(),
                    "remote": peer,
                    "method": request.method,
                    "path": request.path[:200],
                    "status": response.status,
                    "model": model,
                    "provider": provider,
                    "duration_ms": round(time * 1000, 2),
                    "error": error,
                }
            )
        else:
            parts = [_now(), peer, request.method, _printable(request.path), str(response.status)]
            if model is not None:
                parts.append(f"model={_printable(model, 80)}")
            if provider is not None:
                parts.append(f"provider={provider}")
            parts.append(f"{time * 1000:.1f}ms")
            if error is not None:
                parts.append(f"error={error}")
            line = " ".join(parts)
        _lines.add(line)


def notice(message: str, log_format: str, **fields: Any) -> None:
    """A line about the server itself (listening, stopping), in the access log's format."""
    flush()
    if log_format == "json":
        line = json.dumps({"time": _now(), "event": message, **fields})
    else:
        detail = " ".join(f"{key}={value}" for key, value in fields.items())
        line = f"providerhub: {message}" + (f" ({detail})" if detail else "")
    _write(line + "\n")
