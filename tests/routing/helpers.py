"""Calling through a router in the tests, and reading what came back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

import providerhub
from providerhub._resolution import Candidate
from providerhub._router import Router
from providerhub._settings import RouterSettings
from providerhub._state import MemoryState, StateBackend

MODEL = "fault-1"
MESSAGES: providerhub.Messages = [{"role": "user", "content": "Hi"}]

Install = Callable[..., None]
"""The ``faults`` fixture: ``faults(A=[step, ...], B=[...])`` installs fault providers, preferred in that order."""


def fast_router(state: StateBackend | None = None, **settings: Any) -> Router:
    """A router with test-sized waits (1 ms backoff) and its own in-memory state."""
    router = Router(RouterSettings(**settings), state or MemoryState())
    router.backoff = 0.001
    return router


def routed(router: Router, model: str = MODEL, **kwargs: Any) -> AsyncIterator[providerhub.Chunk]:
    """``router`` answering ``model`` with the installed providers."""
    found = providerhub.resolve(model)

    def attempt(candidate: Candidate, timeout: float | None) -> AsyncIterator[providerhub.Chunk]:
        provider = providerhub.get_provider(f"{candidate.provider}/{candidate.model}")
        answer: AsyncIterator[providerhub.Chunk] = provider.create_async_generator(  # type: ignore[attr-defined]
            candidate.model, MESSAGES, timeout=timeout
        )
        return answer

    return router.stream(found, attempt, **kwargs)


class Outcome(NamedTuple):
    text: str
    events: list[Any]
    error: BaseException | None


async def collect(answer: AsyncIterator[providerhub.Chunk]) -> Outcome:
    """Everything the caller received, and the error that ended it, if any."""
    text, events = [], []
    try:
        async for chunk in answer:
            if isinstance(chunk, str):
                text.append(chunk)
            else:
                events.append(chunk)
    except providerhub.ProviderHubError as exc:
        return Outcome("".join(text), events, exc)
    return Outcome("".join(text), events, None)


def calls(name: str, model: str = MODEL) -> int:
    """How many times fault provider ``name`` was called."""
    return len(providerhub.get_provider(f"{name}/{model}").calls)  # type: ignore[attr-defined]
