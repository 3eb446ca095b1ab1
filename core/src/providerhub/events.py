"""Typed events a provider may yield between its text chunks.

Consumers that want text keep ``isinstance(chunk, str)``; these tell the rest of the story.
"""

from ._records import NamedTuple

__all__ = [
    "FinishReason",
    "Usage",
]


class Usage(NamedTuple):
    """Token counts of one answer, as the upstream service reported them."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class FinishReason(NamedTuple):
    """Why the answer ended: ``"stop"``, ``"length"``, ``"content_filter"``, ..."""

    reason: str
