"""Shared pieces of the Dynaspark tests: sample images and a refused endpoint (ports and the proxy: support.net)."""

from __future__ import annotations

from providerhub import Messages
from support.net import ForwardProxy, free_port, wait_until

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

HELLO: Messages = [{"role": "user", "content": "Hello"}]


def closed_endpoint() -> str:
    """An endpoint URL on a loopback port that refuses connections."""
    return f"http://127.0.0.1:{free_port()}/generate_response"


__all__ = [
    "GIF",
    "HELLO",
    "IMAGES",
    "JPEG",
    "PNG",
    "WEBP",
    "ForwardProxy",  # shared with other tests from support.net, still importable from here
    "closed_endpoint",
    "free_port",
    "wait_until",
]
