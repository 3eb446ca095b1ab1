"""Stored conversations, so the command line can continue the last one (``chat -c``).

The file is ``conversations.json`` in the user data directory, written whole (mode 0600) after
each answer. It keeps the newest ``MAX_CONVERSATIONS`` conversations, each with its newest
``MAX_MESSAGES`` messages (a leading system message stays), within ``MAX_BYTES`` in all. Only
messages' roles and text are kept, with the provider and model that answered: never keys,
options or images.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from ._userfiles import TooLarge, data_dir, read_capped, remove, write_private
from .errors import UserFileError
from .types import Message

FILENAME = "conversations.json"
MAX_BYTES = 4 * 1024 * 1024
MAX_CONVERSATIONS = 20
MAX_MESSAGES = 200
_ROLES = ("system", "user", "assistant")


class Conversation(NamedTuple):
    """One conversation: the ``model`` it continues with (``provider/model``), when it last changed, its messages."""

    id: str
    model: str
    updated: float
    messages: tuple[Message, ...]

    def add(self, *messages: Message, model: str | None = None) -> Conversation:
        """This conversation with ``messages`` appended (and the model that answered them)."""
        return self._replace(
            model=model or self.model, updated=time.time(), messages=(*self.messages, *map(_plain, messages))
        )


def new(model: str, messages: Sequence[Message] = ()) -> Conversation:
    import uuid

    return Conversation(uuid.uuid4().hex[:12], model, time.time(), tuple(map(_plain, messages)))


def _plain(message: Message) -> Message:
    return {"role": str(message["role"]), "content": str(message["content"])}


def path() -> str:
    """Where the conversations are, or would be."""
    return os.path.join(data_dir(), FILENAME)


def load(file: str | None = None) -> list[Conversation]:
    """The stored conversations, newest first; none when the file does not exist.

    A file that cannot be read, is too large or is not what this module writes is a
    ``UserFileError`` naming it (``providerhub history --clear`` removes it).
    """
    file = path() if file is None else file
    try:
        data = read_capped(file, MAX_BYTES)
    except TooLarge:
        raise _damaged(file, f"is larger than {MAX_BYTES:,} bytes") from None
    except OSError as exc:
        raise UserFileError(f"conversation file {file} cannot be read: {exc.strerror or exc}", path=file) from None
    if data is None:
        return []
    try:
        stored = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _damaged(file, "is not valid JSON") from None
    items = stored.get("conversations") if isinstance(stored, dict) else None
    if not isinstance(items, list):
        raise _damaged(file, "has no list of conversations")
    return [_conversation(item, file, i) for i, item in enumerate(items)]


def _damaged(file: str, what: str) -> UserFileError:
    return UserFileError(f"conversation file {file} {what}; 'providerhub history --clear' removes it", path=file)


def _conversation(item: Any, file: str, i: int) -> Conversation:
    fields = ("id", "model", "updated", "messages")
    if not isinstance(item, dict) or not all(key in item for key in fields):
        raise _damaged(file, f"holds a conversation (#{i + 1}) without {', '.join(fields)}")
    ok = isinstance(item["id"], str) and isinstance(item["model"], str)
    ok = ok and isinstance(item["updated"], (int, float)) and isinstance(item["messages"], list)
    messages = item["messages"] if ok else []
    for message in messages:
        ok = ok and isinstance(message, dict) and message.get("role") in _ROLES
        ok = ok and isinstance(message.get("content"), str)
    if not ok:
        raise _damaged(file, f"holds a conversation (#{i + 1}) that is not in the expected shape")
    return Conversation(item["id"], item["model"], float(item["updated"]), tuple(map(_plain, messages)))


def _trimmed(conversation: Conversation, keep: int) -> Conversation:
    """The conversation with at most ``keep`` messages: the newest, after a leading system message."""
    messages = conversation.messages
    if len(messages) <= keep:
        return conversation
    head = messages[:1] if messages and messages[0]["role"] == "system" else ()
    tail = messages[len(messages) - (keep - len(head)) :] if keep > len(head) else ()
    return conversation._replace(messages=(*head, *tail))


def _encode(conversations: Sequence[Conversation]) -> bytes:
    listing = [c._asdict() | {"messages": list(c.messages)} for c in conversations]
    return (json.dumps({"conversations": listing}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def save(conversation: Conversation, file: str | None = None) -> None:
    """Store ``conversation`` as the newest (replacing an older copy of it), within the bounds."""
    file = path() if file is None else file
    others = [c for c in load(file) if c.id != conversation.id]
    kept = [_trimmed(c, MAX_MESSAGES) for c in [conversation, *others][:MAX_CONVERSATIONS]]
    data = _encode(kept)
    while len(data) > MAX_BYTES and len(kept) > 1:
        kept.pop()  # the oldest conversation goes first
        data = _encode(kept)
    while len(data) > MAX_BYTES and len(kept[0].messages) > 1:
        kept[0] = _trimmed(kept[0], len(kept[0].messages) - 1)  # then the newest one's oldest turns
        data = _encode(kept)
    if len(data) > MAX_BYTES:
        return  # one message larger than the whole store is not kept
    try:
        write_private(file, data)
    except OSError as exc:
        raise UserFileError(f"conversation file {file} cannot be written: {exc.strerror or exc}", path=file) from None


def last(file: str | None = None) -> Conversation | None:
    """The most recently continued conversation, if any."""
    stored = load(file)
    return stored[0] if stored else None


def clear(file: str | None = None) -> bool:
    """Remove every stored conversation; whether there were any."""
    file = path() if file is None else file
    try:
        return remove(file)
    except OSError as exc:
        raise UserFileError(f"conversation file {file} cannot be removed: {exc.strerror or exc}", path=file) from None
