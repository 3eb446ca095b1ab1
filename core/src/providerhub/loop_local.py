"""One resource per event loop, closed when that loop shuts down.

For plugin authors: keep a provider's HTTP session in a ``LoopLocal`` so every request on a loop
reuses one connection pool, and no session outlives its loop or leaks a warning at exit.

Network clients such as an HTTP session belong to the loop they were made on and must be
closed on it. ``LoopLocal`` makes one on first use in each loop and closes it when the loop's
async generators are shut down, which ``asyncio.run`` and ``asyncio.Runner`` always do, so
a plain script needs no cleanup code and leaves nothing open.

How: each resource is watched by a tiny "keeper" async generator, advanced once inside the
loop so the loop's first-iteration hook registers it. ``loop.shutdown_asyncgens()`` then closes
the keeper, whose ``finally`` awaits the resource's close function.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["LoopLocal"]


class LoopLocal(Generic[T]):
    """A resource made by ``factory`` once per event loop and closed by ``close`` at loop shutdown.

    ``get()`` must be called from a coroutine; it never awaits. Entries of loops that closed
    without shutting down their async generators are dropped on a later ``get()`` (their
    resource could not be closed on a closed loop).
    """

    def __init__(self, factory: Callable[[], T], close: Callable[[T], Awaitable[object]]) -> None:
        self._factory = factory
        self._close = close
        self._entries: dict[asyncio.AbstractEventLoop, tuple[T, AsyncGenerator[None, None]]] = {}
        self._lock = threading.Lock()

    def get(self) -> T:
        """The running loop's resource, made on first use; raises ``RuntimeError`` outside a loop."""
        loop = asyncio.get_running_loop()
        entry = self._entries.get(loop)
        if entry is not None:
            return entry[0]
        self._purge()
        resource = self._factory()
        keeper = self._keep(loop, resource)
        with contextlib.suppress(StopIteration):  # runs to the keeper's ``yield``: the loop now tracks it
            keeper.__anext__().send(None)
        with self._lock:
            self._entries[loop] = (resource, keeper)
        return resource

    def peek(self) -> T | None:
        """The running loop's resource if one was made, without making one."""
        entry = self._entries.get(asyncio.get_running_loop())
        return entry[0] if entry is not None else None

    async def aclose(self) -> None:
        """Close the running loop's resource now; the next ``get()`` makes a new one."""
        with self._lock:
            entry = self._entries.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()

    def __len__(self) -> int:
        """How many loops hold a resource."""
        return len(self._entries)

    async def _keep(self, loop: asyncio.AbstractEventLoop, resource: T) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                entry = self._entries.get(loop)
                if entry is not None and entry[0] is resource:
                    del self._entries[loop]
            await self._close(resource)

    def _purge(self) -> None:
        with self._lock:
            for loop in [loop for loop in self._entries if loop.is_closed()]:
                del self._entries[loop]
