"""Crossing between sync and async iteration, whatever loop the caller runs.

A sync call made where no event loop runs is driven on a private loop of the calling thread,
made on its first sync call and kept: the call costs a task, not a thread hand-over, and
connections a provider keeps per loop stay alive from one call to the next. Loops of threads
that have ended are closed at the next sync call that makes a loop, and every loop at
interpreter exit (async generators first, so loop-local sessions close cleanly).

A sync call made inside a running loop (which it cannot block) runs on one shared private loop
in a daemon thread instead, made on first use and shut down at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import queue
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = 0, 1, 2
LOOP_THREAD = "providerhub-sync-loop"
SHUTDOWN_SECONDS = 5.0
"""How long interpreter exit waits for the sync loop to close what its calls left open."""


async def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """What a private loop runs last: cancel what is left, close async generators, stop the executor."""
    for task in asyncio.all_tasks(loop):
        if task is not asyncio.current_task():
            task.cancel()
    await asyncio.sleep(0)
    await loop.shutdown_asyncgens()
    await loop.shutdown_default_executor()


class _CallerLoops:
    """Each calling thread's private loop; a thread's loop is closed once the thread has ended."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops: list[tuple[threading.Thread, asyncio.AbstractEventLoop]] = []
        self._registered = False

    def get(self) -> asyncio.AbstractEventLoop:
        """This thread's loop, made on its first sync call."""
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is not None and not loop.is_closed():
            return loop
        loop = self._local.loop = asyncio.new_event_loop()
        with self._lock:
            ended = [lp for t, lp in self._loops if not t.is_alive()]
            self._loops = [(t, lp) for t, lp in self._loops if t.is_alive()]
            self._loops.append((threading.current_thread(), loop))
            if not self._registered:
                self._registered = True
                atexit.register(self.close)
        for old in ended:
            _close(old)
        return loop

    def close(self) -> None:
        """Close every loop not running now (at interpreter exit)."""
        with self._lock:
            loops, self._loops = self._loops, []
        for _, loop in loops:
            _close(loop)

    def forget(self) -> None:
        """In a forked child: the parent's loops share its file descriptors and are not the child's to run or close."""
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops = []


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close a private loop that no thread runs, what it holds first."""
    if loop.is_closed() or loop.is_running():
        return
    with contextlib.suppress(Exception):
        loop.run_until_complete(_finish(loop))
    loop.close()


_callers = _CallerLoops()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_callers.forget)


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

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_finish(loop), loop).result(SHUTDOWN_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(SHUTDOWN_SECONDS)
        if not thread.is_alive():
            loop.close()


_shared = _SyncLoop()


def iterate(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Yield what ``make()`` yields, from sync code: on this thread's private loop, or on the
    shared loop thread when a loop already runs here.

    Nothing starts before the first ``next()``. Closing the returned iterator early (or an
    exception in the consumer) cancels the iteration and waits until its generator is closed, so
    its connections are back in their pool before this returns. Called on the shared loop's own
    thread (a sync call inside an answer driven there), it runs on a loop of its own in a new
    thread instead, as waiting on the shared loop there would wait forever.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        yield from _iterate_here(make)
        return
    loop = _shared.get()
    items: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    cancel = _start_on(loop, make, items) if loop is not None else _start_on_own_loop(make, items)
    finished = False

    def take() -> tuple[int, Any]:
        nonlocal finished
        entry = items.get()
        finished = entry[0] != _ITEM
        return entry

    try:
        yield from _consume(take)
    finally:
        if not finished:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                cancel()
            while items.get()[0] == _ITEM:  # until the generator is closed
                pass


def _consume(take: Callable[[], tuple[int, Any]]) -> Iterator[Any]:
    """Yield the items ``take()`` hands over; at the outcome, re-raise its error or return."""
    while True:
        kind, value = take()
        if kind == _ITEM:
            yield value
        elif kind == _ERROR:
            raise value
        else:
            return


async def _pump(make: Callable[[], AsyncIterator[T]], put: Callable[[tuple[int, Any]], object]) -> None:
    """Iterate ``make()``, handing each item and then the outcome to ``put``; never raises, so
    nothing escapes into a loop the caller does not own, and the generator is always closed."""
    outcome: tuple[int, Any] = (_END, None)
    agen: AsyncIterator[T] | None = None
    try:
        agen = make()
        async for item in agen:
            put((_ITEM, item))
    except BaseException as exc:  # handed to the consumer, re-raised there
        outcome = (_ERROR, exc)
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            try:
                await aclose()
            except BaseException as exc:
                if outcome[0] == _END:
                    outcome = (_ERROR, exc)
        put(outcome)


def _iterate_here(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """``iterate`` on this thread's loop, run only while the consumer waits for an item.

    The loop stops as soon as an item or the outcome is ready, so a one-item answer costs one
    run of the loop and a stream is read at most one loop pass ahead of its consumer.
    """
    loop = _callers.get()
    items: deque[tuple[int, Any]] = deque()
    waiting = False  # whether the consumer runs the loop for an item (and only then is it stopped)

    def put(entry: tuple[int, Any]) -> None:
        items.append(entry)
        if waiting:
            loop.stop()

    finished = False

    def take() -> tuple[int, Any]:
        nonlocal waiting, finished
        while not items:
            waiting = True
            try:
                _run(loop)
            finally:
                waiting = False
        entry = items.popleft()
        finished = entry[0] != _ITEM
        return entry

    task = loop.create_task(_pump(make, put))
    try:
        yield from _consume(take)
    finally:
        if not finished:
            _cancel(loop, task)


def _cancel(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    """Cancel an answer and, when this thread can run its loop now, wait until the answer is closed."""
    if loop.is_running():  # another thread runs it: the answer is cancelled and closed there
        loop.call_soon_threadsafe(task.cancel)
        return
    task.cancel()
    # CancelledError: cancelled before it first ran; RuntimeError: another loop runs on this thread
    # (the answer is then closed on this loop's next run, or at exit)
    with contextlib.suppress(asyncio.CancelledError, RuntimeError):
        loop.run_until_complete(task)


_TWO_THREADS = "a sync answer is being iterated in two threads at once; iterate it in one thread at a time"


def _run(loop: asyncio.AbstractEventLoop) -> None:
    """Run ``loop`` until something stops it, with a clear error if another thread is running it."""
    if loop.is_running():
        raise RuntimeError(_TWO_THREADS)
    loop.run_forever()


def _start_on(
    loop: asyncio.AbstractEventLoop, make: Callable[[], AsyncIterator[T]], items: queue.SimpleQueue[tuple[int, Any]]
) -> Callable[[], object]:
    """Start iterating ``make()`` on ``loop``, each item and then the outcome put in ``items``; returns a canceller."""
    tasks: list[asyncio.Task[None]] = []

    def settle(task: asyncio.Task[None]) -> None:
        if task.cancelled():  # cancelled before it first ran: ``pump`` never reached its ``finally``
            items.put((_ERROR, asyncio.CancelledError()))

    def start() -> None:
        task = loop.create_task(_pump(make, items.put))
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
