"""Reading media inputs into bytes and telling which image format they hold."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .errors import MediaError
from .types import MediaType

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


class Image(NamedTuple):
    """An image ready to upload."""

    data: bytes
    filename: str
    content_type: str


def describe(media: Any) -> str:
    """A short name for a media input, for error messages."""
    if isinstance(media, (bytes, bytearray, memoryview)):
        return f"bytes input ({len(media)} bytes)"
    if isinstance(media, str) and media.startswith("data:"):
        return f"data URI {media[:40]!r}{'...' if len(media) > 40 else ''}"
    if isinstance(media, (str, os.PathLike)):
        return f"file {os.fspath(media)!r}"
    name = getattr(media, "name", None)
    if isinstance(name, str):
        return f"file object {name!r}"
    return f"{type(media).__name__} input"


def _from_data_uri(uri: str) -> bytes:
    header, sep, payload = uri.partition(",")
    if not sep:
        raise MediaError(f"{describe(uri)} has no ',' between header and data")
    if header.endswith(";base64"):
        import base64
        import binascii

        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MediaError(f"{describe(uri)} is not valid base64: {exc}") from None
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(payload)


def to_bytes(media: MediaType) -> bytes:
    """The bytes of ``media``: bytes, a path, a ``data:`` URI, or a binary file object."""
    if isinstance(media, (bytes, bytearray, memoryview)):
        data = bytes(media)
    elif isinstance(media, str) and media.startswith("data:"):
        data = _from_data_uri(media)
    elif isinstance(media, str) and media.startswith(("http://", "https://")):
        raise MediaError(f"{media[:80]!r} is a URL; pass the image's bytes, path or data URI instead")
    elif isinstance(media, (str, os.PathLike)):
        try:
            with open(media, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise MediaError(f"cannot read {describe(media)}: {exc.strerror or exc}") from None
    elif hasattr(media, "read"):
        try:
            data = media.read()
        except (OSError, ValueError) as exc:
            raise MediaError(f"cannot read {describe(media)}: {exc}") from None
        if not isinstance(data, (bytes, bytearray)):
            raise MediaError(f"{describe(media)} is opened in text mode; open it with 'rb'")
        data = bytes(data)
    else:
        raise MediaError(f"unsupported media {describe(media)}: give bytes, a path, a data: URI or a file object")
    if not data:
        raise MediaError(f"{describe(media)} is empty")
    return data


def image_type(data: bytes, source: Any = None) -> str:
    """The MIME type of an image (png, jpeg, gif or webp) from its magic bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    what = describe(source if source is not None else data)
    raise MediaError(f"{what} is not a png, jpeg, gif or webp image (starts with {data[:8]!r})")


def to_image(media: MediaType, filename: str | None = None) -> Image:
    """Read ``media`` and check it is an image; the file name defaults to the path's or ``image.<ext>``."""
    data = to_bytes(media)
    content_type = image_type(data, media)
    if not filename:
        path = (
            media
            if isinstance(media, (str, os.PathLike)) and not str(media).startswith("data:")
            else getattr(media, "name", None)
        )
        filename = os.path.basename(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else ""
        filename = filename or f"image.{_EXTENSIONS[content_type]}"
    return Image(data, filename, content_type)
