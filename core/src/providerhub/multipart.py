"""Encoding a small multipart/form-data form (RFC 7578) into one buffer.

A form of a few text fields and at most a few files is sent as one ``bytes`` body: one write
on the wire, where a streaming writer issues one per part header, value and separator.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable

__all__ = [
    "encode_form",
]

# Quotes and every control character (C0, DEL, C1) are percent-escaped, as browsers do for quotes
# and newlines: a name can neither end its header early nor carry terminal escape sequences.
_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in ['"', *map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0))]})


def _quoted(value: str) -> str:
    return value.translate(_ESCAPES)


@functools.lru_cache(maxsize=64)
def _field_head(name: str) -> bytes:
    """A text field's part header (a form's field names repeat request after request)."""
    return f'Content-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()


def encode_form(
    fields: Iterable[tuple[str, str]],
    files: Iterable[tuple[str, str, str, bytes]] = (),
) -> tuple[bytes, str]:
    """The body and ``Content-Type`` header of a form of ``(name, text)`` fields and
    ``(name, filename, content_type, data)`` files."""
    boundary = os.urandom(16).hex().encode()
    dash = b"--" + boundary + b"\r\n"
    pieces: list[bytes] = []  # per part: boundary line, part header, value, line end
    for name, value in fields:  # a plain loop: cheaper than comprehensions for two or three parts
        pieces += (dash, _field_head(name), value.encode(), b"\r\n")
    for name, filename, content_type, data in files:
        head = (
            f'Content-Disposition: form-data; name="{_quoted(name)}"; filename="{_quoted(filename)}"\r\n'
            f"Content-Type: {_quoted(content_type)}\r\n\r\n"
        )
        # "replace": a name from an undecodable path stays sendable
        pieces += (dash, head.encode("utf-8", "replace"), data, b"\r\n")
    pieces.append(b"--" + boundary + b"--\r\n")
    body = b"".join(pieces)
    # The boundary is hex and every line of ours around it is not, so each extra occurrence is one
    # inside a part: astronomically rare, and then a new boundary makes the form unambiguous.
    while body.count(boundary) != len(pieces) // 4 + 1:
        boundary = os.urandom(16).hex().encode()
        pieces[0:-1:4] = [b"--" + boundary + b"\r\n"] * (len(pieces) // 4)
        pieces[-1] = b"--" + boundary + b"--\r\n"
        body = b"".join(pieces)
    return body, "multipart/form-data; boundary=" + boundary.decode()
