"""Server-sent events (the WHATWG ``text/event-stream`` format) assembled from a stream's lines.

For a plugin whose upstream streams its answer as events: ``providerhub.http.iter_lines`` reads
the lines as they arrive, each bounded, and an ``EventAssembler`` turns them into ``Event`` values,
each bounded too (``MAX_EVENT_BYTES``), so an upstream that never ends an event cannot grow it
without limit. It does no I/O of its own::

    assembler = EventAssembler()
    async for line in iter_lines(response, provider=cls.__name__):
        event = assembler.line(line)
        if event is not None:
            ...  # event.event, event.data
    event = assembler.close()  # the last one, if the stream ended without a blank line
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MAX_EVENT_BYTES", "Event", "EventAssembler", "EventStreamError"]

MAX_EVENT_BYTES = 1 << 20
"""The most ``data`` one event may carry (1 MiB)."""


class Event(NamedTuple):
    """One dispatched event: its type (``"message"`` unless an ``event:`` field said otherwise) and data."""

    event: str
    data: str


class EventStreamError(ValueError):
    """An event carries more data than its cap; a plugin turns it into a ``ResponseError`` naming its upstream."""


class EventAssembler:
    """Turns the lines of one event stream into events: give it each line (without its line end) with
    ``line``, which returns the event a blank line ends; one assembler per stream."""

    def __init__(self, *, max_event: int = MAX_EVENT_BYTES) -> None:
        self.max_event = max_event
        self._event = ""
        self._data: list[str] = []
        self._size = 0

    def line(self, raw: bytes) -> Event | None:
        """The event ``raw`` completes, if any; comments and fields other than ``event`` and ``data`` are dropped."""
        if not raw:
            return self.close()
        if raw.startswith(b"data:"):  # nearly every line: no general field parsing
            self._size += len(raw)
            if self._size > self.max_event:
                raise EventStreamError(f"an event carries more than {self.max_event:,} bytes")
            self._data.append((raw[6:] if raw[5:6] == b" " else raw[5:]).decode("utf-8", "replace"))
            return None
        if raw.startswith(b":"):  # a comment: keep-alives are sent this way
            return None
        field, colon, value = raw.decode("utf-8", "replace").partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._size += len(raw)
            if self._size > self.max_event:
                raise EventStreamError(f"an event carries more than {self.max_event:,} bytes")
            self._data.append(value)
        elif field == "event":
            self._event = value
        return None

    def close(self) -> Event | None:
        """The pending event, if it has data (at a blank line, or at the end of the stream)."""
        data = self._data
        event = None
        if data:
            event = Event(self._event or "message", data[0] if len(data) == 1 else "\n".join(data))
            self._data = []
        self._event, self._size = "", 0
        return event
