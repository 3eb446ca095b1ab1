"""Sample images: the smallest bytes each image kind is recognised by, and data URIs of them."""

from __future__ import annotations

import base64

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
IMAGES = {
    "png": (PNG, "image/png"),
    "jpeg": (JPEG, "image/jpeg"),
    "gif": (GIF, "image/gif"),
    "webp": (WEBP, "image/webp"),
}
"""Sample images by kind: (bytes, the content type they must be sent with)."""


def data_uri(data: bytes, kind: str = "image/png") -> str:
    """``data`` as a base64 ``data:`` URI of type ``kind``."""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"
