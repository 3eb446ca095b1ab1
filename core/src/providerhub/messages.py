"""Checking message lists and flattening them into one prompt.

For plugin authors: ``validate_messages`` at the top of ``create_async_generator`` gives the
caller a ``MessagesError`` naming the bad message before any request is made; ``format_prompt``
serves an upstream that takes one text; ``content_text`` reads one message's text either way
it may be written.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import MessagesError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .types import Message, Messages

__all__ = [
    "content_text",
    "format_prompt",
    "validate_messages",
]


def content_text(content: Any, where: str = "content") -> str:
    """The text of a message content: a string, or a list of ``{"type": "text", "text": ...}`` parts
    joined by newlines; anything else is a ``MessagesError`` naming ``where`` it is."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                raise MessagesError(
                    f"{where}[{i}] is not a text part: expected {{'type': 'text', 'text': str}}, got {part!r:.80}"
                )
        return "\n".join(texts)
    raise MessagesError(f"{where} must be a string or a list of text parts, not {type(content).__name__}")


def validate_messages(messages: Any) -> Messages:
    """Return ``messages`` if it is a non-empty list of ``{"role", "content"}`` dicts, else raise ``MessagesError``."""
    if type(messages) is list and messages:  # the common shape, checked on every request: plain dicts of text
        for message in messages:
            if type(message) is not dict:
                break
            role = message.get("role")
            if type(role) is not str or not role or type(message.get("content")) is not str:
                break
        else:
            return list(messages)
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise MessagesError(f"messages must be a list of {{'role', 'content'}} dicts, not {type(messages).__name__}")
    if not messages:
        raise MessagesError("messages is empty: give at least one {'role': 'user', 'content': ...}")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise MessagesError(f"messages[{i}] must be a dict with 'role' and 'content', not {type(message).__name__}")
        missing = [key for key in ("role", "content") if key not in message]
        if missing:
            raise MessagesError(f"messages[{i}] has no {' or '.join(repr(k) for k in missing)}")
        if not isinstance(message["role"], str) or not message["role"]:
            raise MessagesError(f"messages[{i}]['role'] must be a non-empty string, not {message['role']!r:.40}")
        content_text(message["content"], f"messages[{i}]['content']")
    return list(messages)


def format_prompt(messages: Sequence[Message]) -> str:
    """One prompt for services that take a single text: a lone message is its own text,
    a conversation becomes ``Role: text`` lines ending with ``Assistant:``."""
    if len(messages) == 1:
        content = messages[0]["content"]
        return content if type(content) is str else content_text(content)
    lines = [f"{m['role'].capitalize()}: {content_text(m['content'])}" for m in messages]
    lines.append("Assistant:")
    return "\n".join(lines)
