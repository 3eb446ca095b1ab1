"""Crossing between sync and async iteration, whatever loop the caller runs.

Sync callers share one private event loop in a daemon thread, made on first use and shut down
at interpreter exit (its async generators closed first, so loop-local sessions close cleanly).
Every sync call runs on it, so connections a provider keeps per loop stay alive from one call
to the next, and a call costs a task, not a thread, a loop and a TCP connection.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = 0, 1, 2
LOOP_THREAD = "providerhub-sync-loop"
SHUTDOWN_SECONDS = 5.0
"""How long interpreter exit waits for the sync loop to close what its calls left open."""


class _SyncLoop:
    """The loop thread sync callers share; remade after ``fork`` (the child has no such thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._registered = False

    def get(self) -> asyncio.AbstractEventLoop | None:
        """The running shared loop; ``None`` when called on its own thread (the caller must not wait on it)."""
        if not self._alive():
            with self._lock:
                if not self._alive():
                    self._start()
        return None if self._thread is threading.current_thread() else self._loop

    def _alive(self) -> bool:
        thread = self._thread
        return self._loop is not None and self._pid == os.getpid() and thread is not None and thread.is_alive()

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=run, name=LOOP_THREAD, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread, self._pid = loop, thread, os.getpid()
        if not self._registered:
            self._registered = True
            atexit.register(self.close)

    def close(self) -> None:
        """Finish the loop: close its async generators (and with them loop-local sessions), then stop it."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or self._pid != os.getpid() or not thread.is_alive():
            return

        async def finish() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            await asyncio.sleep(0)
            await loop.shutdown_asyncgens()
            await loop.shutdown_default_executor()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(finish(), loop).result(SHUTDOWN_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(SHUTDOWN_SECONDS)
        if not thread.is_alive():
            loop.close()


_shared = _SyncLoop()


def iterate_in_thread(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Yield what ``make()`` yields, driving it on the shared private loop of sync callers.

    Nothing starts before the first ``next()``. Closing the returned iterator early (or an
    exception in the consumer) cancels the iteration's task and waits until its generator is
    closed, so its connections are back in their pool before this returns. Called on the shared
    loop's own thread (a sync call inside an answer driven there), it runs on a loop of its own
    in a new thread instead, as waiting on the shared loop there would wait forever.
    """
    loop = _shared.get()
    items: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    cancel = _start_on(loop, make, items) if loop is not None else _start_on_own_loop(make, items)
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
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                cancel()
            while items.get()[0] == _ITEM:  # until the generator is closed
                pass


def _start_on(
    loop: asyncio.AbstractEventLoop, make: Callable[[], AsyncIterator[T]], items: queue.SimpleQueue[tuple[int, Any]]
) -> Callable[[], object]:
    """Start iterating ``make()`` on ``loop``, each item and then the outcome put in ``items``; returns a canceller."""
    tasks: list[asyncio.Task[None]] = []

    async def pump() -> None:
        outcome: tuple[int, Any] = (_END, None)
        agen: AsyncIterator[T] | None = None
        try:
            agen = make()
            async for item in agen:
                items.put((_ITEM, item))
        except BaseException as exc:  # handed to the consumer, re-raised there; never out of the shared loop
            outcome = (_ERROR, exc)
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except BaseException as exc:
                    if outcome[0] == _END:
                        outcome = (_ERROR, exc)
            items.put(outcome)

    def settle(task: asyncio.Task[None]) -> None:
        if task.cancelled():  # cancelled before it first ran: ``pump`` never reached its ``finally``
            items.put((_ERROR, asyncio.CancelledError()))

    def start() -> None:
        task = loop.create_task(pump())
        task.add_done_callback(settle)
        tasks.append(task)

    loop.call_soon_threadsafe(start)
    return lambda: loop.call_soon_threadsafe(lambda: tasks[0].cancel())


def _start_on_own_loop(
    make: Callable[[], AsyncIterator[T]], items: queue.SimpleQueue[tuple[int, Any]]
) -> Callable[[], object]:
    """``_start_on`` a new loop in a new thread."""
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

    def cancel() -> None:
        started.wait()
        loop, task = running.get("loop"), running.get("task")
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    threading.Thread(target=run, name="providerhub-sync", daemon=True).start()
    return cancel


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
