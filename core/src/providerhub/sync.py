"""Crossing between sync and async iteration with a worker thread, whatever loop the caller runs."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
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


async def drive_in_thread(make: Callable[[], Iterable[T]], name: str = "providerhub-sync-provider") -> AsyncIterator[T]:
    """Yield what the sync iterable ``make()`` yields, advancing it in a worker thread one item per request.

    The event loop never waits on the iterator. When the consumer stops (``aclose``, cancellation
    or an error), the iterator is closed in its own thread: at once if it is idle (and this waits
    for its clean-up), else as soon as the item it is producing arrives.
    """
    loop = asyncio.get_running_loop()
    requests: queue.SimpleQueue[asyncio.Future[tuple[int, Any]] | None] = queue.SimpleQueue()
    closed: asyncio.Future[BaseException | None] = loop.create_future()

    def settle(future: asyncio.Future[Any], value: Any) -> None:
        def set_result() -> None:
            if not future.done():
                future.set_result(value)

        with contextlib.suppress(RuntimeError):  # the consumer's loop has closed: nobody is waiting
            loop.call_soon_threadsafe(set_result)

    def work() -> None:
        iterator: Iterator[T] | None = None
        try:
            while (request := requests.get()) is not None:
                try:
                    if iterator is None:
                        iterator = iter(make())
                    outcome: tuple[int, Any] = (_ITEM, next(iterator))
                except StopIteration:
                    outcome = (_END, None)
                except BaseException as exc:  # handed to the consumer, re-raised there
                    outcome = (_ERROR, exc)
                settle(request, outcome)
                if outcome[0] != _ITEM:
                    return
        finally:
            failure: BaseException | None = None
            try:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            except BaseException as exc:  # re-raised by the consumer if it is still waiting
                failure = exc
            settle(closed, failure)

    threading.Thread(target=work, name=name, daemon=True).start()
    busy = False
    try:
        while True:
            request: asyncio.Future[tuple[int, Any]] = loop.create_future()
            busy = True
            requests.put(request)
            kind, value = await request
            busy = False
            if kind == _ITEM:
                yield value
            elif kind == _ERROR:
                raise value
            else:
                return
    finally:
        requests.put(None)
        if not busy and (failure := await closed) is not None:
            raise failure
