"""What a plugin's per-loop client sessions must do, checked the same way for every plugin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from providerhub.loop_local import LoopLocal


def assert_one_session_per_loop(call: Callable[[], Awaitable[Any]], sessions: LoopLocal[Any]) -> None:
    """``call`` on two loops in turn: each loop gets a session of its own, closed when that loop ends,
    and the entries of finished loops are dropped."""
    seen: list[Any] = []
    before = len(sessions)  # the sync callers' long-lived loop may hold one from an earlier test

    async def main() -> None:
        await call()
        session = sessions.peek()
        assert session is not None
        seen.append(session)

    asyncio.run(main())
    asyncio.run(main())
    first, second = seen
    assert first is not second
    assert first.closed and second.closed
    assert len(sessions) == before, "entries of finished loops are dropped"
