"""Running a loopback server on its own event loop in a daemon thread, for sync code and subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

S = TypeVar("S")


@contextlib.contextmanager
def serve_in_thread(
    start: Callable[[], Awaitable[S]], close: Callable[[S], Awaitable[Any]], name: str = "standin"
) -> Iterator[S]:
    """``await start()`` on a new loop in a thread, yield what it returned, then ``await close(it)`` there."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        server = await start()
        state.update(server=server, stop=stop, loop=asyncio.get_running_loop())
        ready.set()
        try:
            await stop.wait()
        finally:
            await close(server)

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the caller waiting on ``ready``
            state["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    ready.wait()
    if "server" not in state:
        thread.join()
        raise RuntimeError(f"the {name} server did not start: {state.get('error')!r}")
    try:
        yield state["server"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join()
