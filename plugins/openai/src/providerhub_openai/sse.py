"""An incremental, bounded reader of server-sent events (the WHATWG ``text/event-stream`` format).

Bytes go in as they arrive, in pieces of any size; whole events come out. A line or an event
larger than its cap is an ``EventStreamError`` (an upstream that never ends a line cannot grow
the buffer without bound). It has no I/O of its own, so it is tested by itself.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["MAX_EVENT_BYTES", "MAX_LINE_BYTES", "Event", "EventStreamError", "EventStreamReader"]

MAX_LINE_BYTES = 1 << 20
"""The longest line accepted (1 MiB)."""

MAX_EVENT_BYTES = 1 << 20
"""The most ``data`` one event may carry (1 MiB)."""

_EOL = re.compile(rb"\r\n|\r|\n")


class Event(NamedTuple):
    """One dispatched event: its type (``"message"`` unless an ``event:`` field said otherwise) and data."""

    event: str
    data: str


class EventStreamError(ValueError):
    """The stream broke the format's bounds (a line or an event over its cap)."""


class EventStreamReader:
    """Feed it bytes with ``feed``; it returns the events they complete. ``close`` at the end of the stream."""

    def __init__(self, *, max_line: int = MAX_LINE_BYTES, max_event: int = MAX_EVENT_BYTES) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self._buffer = bytearray()
        self._skip_lf = False  # the last piece ended with CR: an LF starting the next one ends no line
        self._event = ""
        self._data: list[str] = []
        self._size = 0

    def feed(self, piece: bytes) -> list[Event]:
        """The events completed by ``piece``; comments and fields other than ``event`` and ``data`` are dropped."""
        if self._skip_lf and piece[:1] == b"\n":
            piece = piece[1:]
        self._skip_lf = False
        buffer = self._buffer
        buffer += piece
        events: list[Event] = []
        start = 0
        while (eol := _EOL.search(buffer, start)) is not None:
            if eol.start() - start > self.max_line:
                raise EventStreamError(f"an event-stream line is longer than {self.max_line} bytes")
            self._line(bytes(buffer[start : eol.start()]), events)
            start = eol.end()
            if eol.group() == b"\r" and start == len(buffer):
                self._skip_lf = True
        del buffer[:start]
        if len(buffer) > self.max_line:
            raise EventStreamError(f"an event-stream line is longer than {self.max_line} bytes")
        return events

    def close(self) -> list[Event]:
        """The events left at the end of the stream: an unterminated last line and event still count."""
        events: list[Event] = []
        if self._buffer:
            self._line(bytes(self._buffer), events)
            self._buffer.clear()
        self._line(b"", events)
        return events

    def _line(self, raw: bytes, events: list[Event]) -> None:
        if not raw:
            if self._data:
                events.append(Event(self._event or "message", "\n".join(self._data)))
            self._event, self._data, self._size = "", [], 0
            return
        if raw.startswith(b":"):  # a comment: keep-alives are sent this way
            return
        line = raw.decode("utf-8", "replace")
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._size += len(raw)
            if self._size > self.max_event:
                raise EventStreamError(f"an event-stream event carries more than {self.max_event} bytes")
            self._data.append(value)
        elif field == "event":
            self._event = value
