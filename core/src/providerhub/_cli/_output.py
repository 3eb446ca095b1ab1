"""Writing: plain-text tables and JSON, control characters shown rather than sent to the terminal,
stdout failures told apart from a provider's, and plugin warnings as one line each."""

from __future__ import annotations

import io
import os
from itertools import repeat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TextIO

PROG = "providerhub"

# Patterns as text, compiled (and cached by ``re``) on first use: most commands never need them.
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
CONTROL_IN_ANSWER = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # newlines and tabs are kept


def printable(text: str, pattern: str = CONTROL) -> str:
    """``text`` with control characters shown as ``\\xNN``: no escape sequence from upstream reaches a terminal."""
    if text.isascii() and text.isprintable():
        return text  # no control character in it; ``re`` is left unimported (5 ms of a start)
    import re

    return re.sub(pattern, lambda m: f"\\x{ord(m.group(0)):02x}", text)


def not_utf8(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8: Python keeps them as lone surrogates, the
    only code points UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class OutputError(Exception):
    """Writing to stdout failed: it is closed or full, or its reader went away."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class Output(io.TextIOBase):
    """stdout, whose write failures are an ``OutputError`` (told apart from a provider's ``OSError``)."""

    def __init__(self, stream: TextIO):
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except (OSError, ValueError) as exc:
            raise OutputError(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise OutputError(exc) from None

    def isatty(self) -> bool:
        return isatty(self.stream)

    def close(self) -> None:
        """Nothing to close: stdout stays the interpreter's (and its failures were reported)."""


def quiet_stdout(out: TextIO | None) -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of a failed stdout stays silent."""
    import contextlib

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno() if out is not None else 1)


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def write_table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO) -> None:
    """Aligned plain-text columns; the last column is not padded. Built a column at a time (a
    listing has thousands of rows) and written in pieces."""
    if rows:
        columns = [[h, *_cells(column)] for h, column in zip(headers, zip(*rows, strict=True), strict=True)]
    else:
        columns = [[h] for h in headers]
    for column in columns[:-1]:
        column[:] = map(str.ljust, column, repeat(max(map(len, column))))
    lines = list(map("  ".join, zip(*columns, strict=True)))
    for start in range(0, len(lines), _LINES_PER_WRITE):
        out.write("\n".join(lines[start : start + _LINES_PER_WRITE]) + "\n")


_LINES_PER_WRITE = 256
"""A listing is written in pieces this size: few writes, and a reader that goes away (``| head``)
still ends the next one with a broken pipe."""


def _cells(column: Sequence[object]) -> Sequence[str]:
    """A column's values as shown: text as it is, ``-`` for nothing; checked a column at a time, as
    a listing has thousands of rows."""
    if set(map(type, column)) == {str} and "" not in column:
        return column  # type: ignore[return-value]  # every value is a non-empty str
    return ["-" if c is None or c == "" else str(c) for c in column]


def one_line(text: str | None) -> str | None:
    """A plugin's error as one table row, whatever line breaks its exception held."""
    return None if text is None else " ".join(text.split())


def write_json(data: object, out: TextIO) -> None:
    import json

    out.write(json.dumps(data, indent=2) + "\n")


class Warnings:
    """Plugin warnings as one ``providerhub: warning:`` line each (once), or held for a listing."""

    def __init__(self, err: TextIO):
        self.err = err
        self.shown: set[str] = set()
        self.held: list[str] | None = None

    def show(self, message: Warning | str, *_: object, **__: object) -> None:
        from providerhub.http import redact  # here: a start without warnings need not import it

        text = printable(redact(" ".join(str(message).split())))
        if self.held is not None:
            self.held.append(text)
        elif text not in self.shown:
            self.shown.add(text)
            self.err.write(f"{PROG}: warning: {text}\n")

    def hold(self) -> None:
        self.held = []

    def release(self, listed: Sequence[str | None]) -> None:
        """Show the held warnings that a listing did not already show."""
        held, self.held = self.held or [], None
        for text in held:
            if text not in {" ".join(e.split()) for e in listed if e}:
                self.show(text)


class Context:
    """One invocation: its arguments and where it writes."""

    __slots__ = ("args", "err", "out", "warnings")

    def __init__(self, args: Any, out: TextIO, err: TextIO, warnings: Warnings) -> None:
        self.args = args
        """The parsed arguments: argparse's ``Namespace``, or the same from ``_quick``."""
        self.out = out
        self.err = err
        self.warnings = warnings
