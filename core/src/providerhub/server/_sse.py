"""A streamed answer as server-sent events, with the status line held until the first text.

Until the provider has produced text, nothing is sent: a failure then still gets a real HTTP
status and an OpenAI error body. After that, a failure is one ``data: {"error": ...}`` event and
the stream ends without ``[DONE]``, which OpenAI clients raise as an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from ..events import FinishReason, Usage
from ..types import Chunk
from . import _keys as keys
from ._errors import describe
from ._shapes import ChunkWriter, error_event

HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Events:
    """The typed events seen in an answer so far."""

    __slots__ = ("reason", "usage")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.usage: Usage | None = None

    def record(self, chunk: Chunk) -> None:
        if isinstance(chunk, Usage):
            self.usage = chunk
        elif isinstance(chunk, FinishReason):
            self.reason = chunk.reason


async def next_text(answer: AsyncIterator[Chunk], events: Events) -> str | None:
    """The next non-empty text chunk (events on the way are recorded); ``None`` at the end."""
    while True:
        try:
            chunk = await answer.__anext__()
        except StopAsyncIteration:
            return None
        if isinstance(chunk, str):
            if chunk:
                return chunk
        else:
            events.record(chunk)


async def send(
    request: web.Request,
    answer: AsyncIterator[Chunk],
    writer: ChunkWriter,
    headers: Mapping[str, str],
) -> web.StreamResponse:
    """Stream ``answer``; exceptions before the first text propagate (for a real error response)."""
    events = Events()
    first = await next_text(answer, events)
    response = web.StreamResponse(headers={**HEADERS, **headers})
    await response.prepare(request)
    try:
        if first is None:
            await response.write_eof(writer.first("") + writer.end(events.reason, events.usage))
            return response
        await response.write(writer.first(first))  # sent with the headers
        while True:
            try:
                text = await next_text(answer, events)
            except Exception as exc:
                described = describe(exc)
                request[keys.ERROR] = described.code
                await response.write_eof(error_event(described.body))
                return response
            if text is None:
                # the last events and the end of the body in one write
                await response.write_eof(writer.end(events.reason, events.usage))
                return response
            await response.write(writer.text(text))
    except ConnectionResetError:
        request[keys.ERROR] = "client_disconnected"
        return response
