"""Reading media inputs into bytes and telling which image format they hold.

For plugin authors: ``media_items`` takes the ``media`` argument in any shape a caller may give;
``to_image_async`` reads one item into an ``Image`` (bytes, file name, content type) without
blocking the loop; ``describe`` names an input in an error message without quoting its bytes.

Everything read is capped (``MAX_IMAGE_BYTES``, ``PROVIDERHUB_MAX_IMAGE_BYTES``); only regular
files are opened; a message names an input as the caller gave it and never quotes its bytes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from .errors import MediaError, OptionsError
from .http import byte_limit
from .types import MediaListType, MediaType

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_ENV",
    "Image",
    "describe",
    "image_type",
    "max_image_bytes",
    "media_items",
    "off_loop",
    "to_bytes",
    "to_image",
    "to_image_async",
]

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Default cap on one image's size in bytes."""
MAX_IMAGE_ENV = "PROVIDERHUB_MAX_IMAGE_BYTES"
"""The environment variable that overrides ``MAX_IMAGE_BYTES``."""

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
T = TypeVar("T")


class Image(NamedTuple):
    """An image ready to upload."""

    data: bytes
    filename: str
    content_type: str


def max_image_bytes() -> int:
    """The image size cap: ``$PROVIDERHUB_MAX_IMAGE_BYTES`` or ``MAX_IMAGE_BYTES``."""
    try:
        return byte_limit(MAX_IMAGE_ENV, MAX_IMAGE_BYTES)
    except OptionsError as exc:
        raise MediaError(str(exc)) from None


def describe(media: Any) -> str:
    """A short name for a media input, for error messages (the input as given, never its content)."""
    if isinstance(media, (bytes, bytearray, memoryview)):
        return f"bytes input ({len(media)} bytes)"
    if isinstance(media, str) and media[:5].lower() == "data:":
        return f"data URI {media[:40]!r}{'...' if len(media) > 40 else ''}"
    if isinstance(media, (str, os.PathLike)):
        try:
            path = os.fspath(media)
        except TypeError:
            return f"{type(media).__name__} input"
        return f"file {path[:200]!r}{'...' if len(path) > 200 else ''}"
    name = getattr(media, "name", None)
    if isinstance(name, str):
        return f"file object {name[:200]!r}"
    return f"{type(media).__name__} input"


def _too_big(media: Any, cap: int) -> MediaError:
    return MediaError(f"{describe(media)} is larger than {cap:,} bytes (the cap is set by {MAX_IMAGE_ENV})")


def _from_data_uri(uri: str, cap: int) -> bytes:
    header, sep, payload = uri.partition(",")
    if not sep:
        raise MediaError(f"{describe(uri)} has no ',' between header and data")
    if header.rstrip().lower().endswith(";base64"):
        import base64
        import binascii

        text = "".join(payload.split())  # browsers ignore whitespace, and missing padding
        if len(text) * 3 // 4 > cap:
            raise _too_big(uri, cap)
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise MediaError(f"{describe(uri)} is not valid base64") from None
    from urllib.parse import unquote_to_bytes

    if len(payload) > cap * 3:  # "%XX" is the longest spelling of a byte
        raise _too_big(uri, cap)
    data = unquote_to_bytes(payload)
    if len(data) > cap:
        raise _too_big(uri, cap)
    return data


def _from_path(media: str | os.PathLike[str], cap: int) -> bytes:
    """A regular file's bytes; a FIFO, device or directory is refused without blocking on it."""
    try:
        fd = os.open(media, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise MediaError(f"cannot read {describe(media)}: {exc.strerror or type(exc).__name__}") from None
    except (ValueError, TypeError):  # a NUL byte in the path, a path of the wrong type
        raise MediaError(f"{describe(media)} is not a valid path") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MediaError(f"{describe(media)} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            data = f.read(cap + 1)
    except OSError as exc:
        raise MediaError(f"cannot read {describe(media)}: {exc.strerror or type(exc).__name__}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > cap:
        raise _too_big(media, cap)
    return data


def _from_file_object(media: Any, cap: int) -> bytes:
    try:
        data = media.read(cap + 1)
    except Exception as exc:  # a file object is the caller's code: whatever it raises is a bad input
        raise MediaError(f"cannot read {describe(media)}: {type(exc).__name__}") from None
    if isinstance(data, str):
        raise MediaError(f"{describe(media)} is opened in text mode; open it with 'rb'")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MediaError(f"{describe(media)}: read() returned {type(data).__name__}, not bytes")
    if len(data) > cap:
        raise _too_big(media, cap)
    return bytes(data)


def to_bytes(media: MediaType) -> bytes:
    """The bytes of ``media``: bytes, a path, a ``data:`` URI, or a binary file object (at most the cap)."""
    cap = max_image_bytes()
    if isinstance(media, (bytes, bytearray, memoryview)):
        if len(media) > cap:
            raise _too_big(media, cap)
        data = bytes(media)
    elif isinstance(media, str) and media[:5].lower() == "data:":
        data = _from_data_uri(media, cap)
    elif isinstance(media, str) and media[:8].lower().startswith(("http://", "https://")):
        raise MediaError(f"{media[:80]!r} is a URL; pass the image's bytes, path or data URI instead")
    elif isinstance(media, (str, os.PathLike)):
        data = _from_path(media, cap)
    elif hasattr(media, "read"):
        data = _from_file_object(media, cap)
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
    raise MediaError(f"{what} is not a png, jpeg, gif or webp image")


def to_image(media: MediaType, filename: str | None = None) -> Image:
    """Read ``media`` and check it is an image; the file name defaults to the path's or ``image.<ext>``."""
    if filename is not None and not isinstance(filename, str):
        raise MediaError(f"the file name of {describe(media)} must be a string, not {type(filename).__name__}")
    data = to_bytes(media)
    content_type = image_type(data, media)
    if not filename:
        path = (
            media
            if isinstance(media, (str, os.PathLike)) and str(media)[:5].lower() != "data:"
            else getattr(media, "name", None)
        )
        filename = os.path.basename(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else ""
        filename = filename or f"image.{_EXTENSIONS[content_type]}"
    return Image(data, filename, content_type)


def media_items(media: MediaListType | MediaType | None) -> list[tuple[MediaType, str | None]]:
    """``media`` as a list of ``(source, filename)`` pairs, whatever shape the caller gave (a bare image,
    a list of images or of pairs); a malformed pair is a ``MediaError``."""
    if media is None:
        return []
    items: Any = media if isinstance(media, (list, tuple)) else [media]
    pairs: list[tuple[MediaType, str | None]] = []
    for index, item in enumerate(items):
        if isinstance(item, tuple):
            if len(item) != 2:
                raise MediaError(f"media[{index}] must be a (source, filename) pair, not a {len(item)}-tuple")
            source, filename = item
            if filename is not None and not isinstance(filename, str):
                raise MediaError(f"media[{index}]: the file name must be a string, not {type(filename).__name__}")
            pairs.append((source, filename))
        else:
            pairs.append((item, None))
    return pairs


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a daemon thread, so a slow or blocking source never freezes the loop.

    Unlike the loop's default executor, a thread still stuck when the caller gave up (a timeout)
    does not hold up the loop's shutdown.
    """
    import asyncio  # here, not at the top: resolving a model never needs it

    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = function(*args), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="providerhub-media", daemon=True).start()
    return await future


async def to_image_async(media: MediaType, filename: str | None = None) -> Image:
    """``to_image`` read in a thread, for async providers (bound its time with the request's timeout)."""
    if isinstance(media, (bytes, bytearray, memoryview)):
        return to_image(media, filename)  # already in memory: nothing can block
    return await off_loop(to_image, media, filename)
