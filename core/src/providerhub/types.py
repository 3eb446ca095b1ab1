"""The shapes of what flows into and out of a provider."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import IO, Literal, TypedDict, Union

from .events import FinishReason, Usage

__all__ = [
    "AsyncResult",
    "Chunk",
    "CreateResult",
    "MediaListType",
    "MediaType",
    "Message",
    "Messages",
    "TextPart",
]


class TextPart(TypedDict):
    """One text part of a multi-part message content (OpenAI's shape)."""

    type: Literal["text"]
    text: str


class Message(TypedDict):
    """One chat message: ``{"role": "user", "content": "Hi"}``."""

    role: str
    content: Union[str, list[TextPart]]


Messages = list[Message]
"""A conversation, oldest message first."""

MediaType = Union[bytes, str, "os.PathLike[str]", IO[bytes]]
"""An image: raw bytes, a file path, a ``data:`` URI, or a binary file object."""

MediaListType = list[tuple[MediaType, Union[str, None]]]
"""Images with their file names (``None`` lets the provider pick one)."""

Chunk = Union[str, Usage, FinishReason]
"""One item of an answer: a text chunk, or a typed event."""

AsyncResult = AsyncIterator[Chunk]
"""What ``create_async_generator`` returns: text chunks (and events) as they arrive."""

CreateResult = Iterator[Chunk]
"""What ``create_completion`` returns: text chunks (and events) as they arrive."""
