"""Iterating an async generator from sync code, whatever loop the caller runs."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = 0, 1, 2


def iterate_in_thread(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Yield what ``make()`` yields, driving it on a private event loop in a worker thread.

    Closing the returned iterator early (or an exception in the consumer) cancels the
    worker's task, so its connections are released before this returns.
    """
    items: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    started = threading.Event()
    running: dict[str, Any] = {}

    async def pump() -> None:
        running["loop"] = asyncio.get_running_loop()
        running["task"] = asyncio.current_task()
        started.set()
        agen = make()
        try:
            async for item in agen:
                items.put((_ITEM, item))
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                await aclose()

    def run() -> None:
        try:
            asyncio.run(pump())
        except BaseException as exc:  # handed to the consumer, re-raised there
            items.put((_ERROR, exc))
        else:
            items.put((_END, None))
        finally:
            started.set()

    worker = threading.Thread(target=run, name="providerhub-sync", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            kind, value = items.get()
            if kind == _ITEM:
                yield value
            elif kind == _ERROR:
                finished = True
                raise value
            else:
                finished = True
                return
    finally:
        if not finished:
            started.wait()
            loop, task = running.get("loop"), running.get("task")
            if loop is not None and task is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    loop.call_soon_threadsafe(task.cancel)
        worker.join()
