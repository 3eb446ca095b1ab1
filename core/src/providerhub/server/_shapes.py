"""OpenAI's response objects: a ``chat.completion``, its streamed chunks, models.

Streamed chunks are written from templates made once per answer: only the text changes
between them, so each costs one ``json.dumps`` of that text.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ..events import Usage


def dumps(value: Any) -> str:
    """Compact JSON, as every body and event is written."""
    return json.dumps(value, separators=(",", ":"))


def json_response(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response written compactly."""
    return web.Response(body=dumps(body).encode(), status=status, headers=headers, content_type="application/json")


FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})


def completion_id() -> str:
    return "chatcmpl-" + os.urandom(12).hex()


def finish_reason(reason: str | None) -> str:
    """The provider's reason if OpenAI defines it, else ``stop`` (typed clients reject other values)."""
    return reason if reason in FINISH_REASONS else "stop"


def usage(found: Usage | None) -> dict[str, int] | None:
    return None if found is None else found._asdict()


def completion(model: str, text: str, reason: str | None, found: Usage | None) -> dict[str, Any]:
    """A whole ``chat.completion`` object."""
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason(reason),
            }
        ],
        "usage": usage(found),
        "system_fingerprint": None,
    }


class ChunkWriter:
    """The bytes of one streamed answer's server-sent events."""

    def __init__(self, model: str, include_usage: bool):
        head = {"id": completion_id(), "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        self._head = dumps(head)[:-1] + ',"system_fingerprint":null,"choices":['
        self._tail = "]" + (',"usage":null' if include_usage else "") + "}\n\n"
        self._include_usage = include_usage

    def _event(self, choice: str) -> str:
        return "data: " + self._head + choice + self._tail

    def first(self, text: str) -> bytes:
        """The first chunk: the role, and the first text."""
        delta = '{"role":"assistant","content":' + dumps(text) + "}"
        return self._event('{"index":0,"delta":' + delta + ',"logprobs":null,"finish_reason":null}').encode()

    def text(self, text: str) -> bytes:
        delta = '{"content":' + dumps(text) + "}"
        return self._event('{"index":0,"delta":' + delta + ',"logprobs":null,"finish_reason":null}').encode()

    def end(self, reason: str | None, found: Usage | None) -> bytes:
        """The chunk with the finish reason, the usage chunk when asked, and ``[DONE]``."""
        events = self._event(
            '{"index":0,"delta":{},"logprobs":null,"finish_reason":' + dumps(finish_reason(reason)) + "}"
        )
        if self._include_usage:
            events += "data: " + self._head + "]" + ',"usage":' + dumps(usage(found)) + "}\n\n"
        return (events + "data: [DONE]\n\n").encode()


def error_event(body: dict[str, Any]) -> bytes:
    """An error after text was sent: one ``data: {"error": ...}`` event (the stream then ends without ``[DONE]``)."""
    return b"data: " + dumps(body).encode() + b"\n\n"


def model(model_id: str, owner: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owner}
