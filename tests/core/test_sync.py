"""Sync iteration of async answers: the calling thread's own loop, or the shared loop thread inside a running loop."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from providerhub._sync import LOOP_THREAD, iterate


def counting(n: int, produced: list[int], finished: list[str] | None = None) -> Callable[[], AsyncIterator[int]]:
    """An answer of ``n`` items, each after a loop pass; records what it produced and that it was closed."""

    async def answer() -> AsyncIterator[int]:
        try:
            for i in range(n):
                await asyncio.sleep(0)
                produced.append(i)
                yield i
        finally:
            if finished is not None:
                finished.append("closed")

    return answer


def loop_of_each_call(calls: int) -> list[asyncio.AbstractEventLoop]:
    """The loop each of ``calls`` sync calls ran on."""

    async def which() -> AsyncIterator[asyncio.AbstractEventLoop]:
        yield asyncio.get_running_loop()

    return [next(iter(iterate(which))) for _ in range(calls)]


def sync_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("providerhub-sync"))


def test_a_sync_call_runs_on_the_calling_threads_loop_kept_across_calls() -> None:
    before = threading.active_count()
    loops = loop_of_each_call(3)
    assert len(set(map(id, loops))) == 1, "one loop for every call of this thread"
    assert not loops[0].is_closed() and not loops[0].is_running()
    assert threading.active_count() == before, "no thread was made for the calls"


def test_each_thread_has_its_own_loop_and_an_ended_threads_loop_is_closed_at_the_next_new_loop() -> None:
    seen: dict[str, list[asyncio.AbstractEventLoop]] = {}
    finished: list[str] = []

    all_made = threading.Barrier(3, timeout=5)

    def calls(name: str) -> None:
        seen[name] = loop_of_each_call(2)
        all_made.wait()  # no thread ends before every one has its loop
        produced: list[int] = []
        it = iterate(counting(3, produced, finished))
        assert next(it) == 0  # left open: the thread ends with its answer suspended on its loop

    threads = [threading.Thread(target=calls, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loops = [seen[f"t{i}"][0] for i in range(3)]
    assert all(seen[name][0] is seen[name][1] for name in seen), "a thread keeps its loop across calls"
    assert len(set(map(id, loops))) == 3, "each thread has its own loop"
    assert not any(loop.is_closed() for loop in loops)
    newcomer = threading.Thread(target=loop_of_each_call, args=(1,))  # a new thread makes a new loop...
    newcomer.start()
    newcomer.join()
    for loop in loops:  # ...and closes the loops of the threads that ended, their answers first
        assert loop.is_closed()
    assert finished == ["closed"] * 3


def test_a_stream_runs_at_most_one_loop_pass_ahead_of_its_consumer() -> None:
    produced: list[int] = []
    it = iterate(counting(10, produced))
    for i in range(10):
        assert next(it) == i
        assert len(produced) == i + 1, "the loop stopped once the item was ready"
    with pytest.raises(StopIteration):
        next(it)


def test_closing_early_closes_the_answer_before_returning() -> None:
    produced: list[int] = []
    finished: list[str] = []
    it = iterate(counting(5, produced, finished))
    assert next(it) == 0
    it.close()  # type: ignore[attr-defined]
    assert finished == ["closed"]
    assert produced == [0]


def test_an_interrupt_while_waiting_closes_the_answer_and_reaches_the_caller() -> None:
    finished: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises in the main thread while the loop waits

    async def slow() -> AsyncIterator[str]:
        try:
            asyncio.get_running_loop().call_later(0.05, interrupt)
            await asyncio.sleep(30)
            yield "late"
        finally:
            finished.append("closed")

    with pytest.raises(KeyboardInterrupt):
        next(iter(iterate(slow)))
    assert finished == ["closed"]
    assert loop_of_each_call(1)[0].is_running() is False


def test_an_answer_iterated_from_two_threads_at_once_is_refused_clearly() -> None:
    go, release = asyncio.Event(), asyncio.Event()
    waiting = threading.Event()
    finished: list[str] = []

    async def first() -> AsyncIterator[str]:
        yield "a"
        await go.wait()
        waiting.set()
        await release.wait()
        yield "b"

    async def second() -> AsyncIterator[int]:
        try:
            yield 0
            await asyncio.sleep(30)
            yield 1
        finally:
            finished.append("closed")

    one = iterate(first)
    assert next(one) == "a"
    two = iterate(second)
    assert next(two) == 0  # both answers are on this thread's loop
    loop = loop_of_each_call(1)[0]
    errors: list[BaseException] = []

    def other() -> None:
        waiting.wait(5)
        try:
            next(two)
        except BaseException as exc:
            errors.append(exc)
        finally:
            loop.call_soon_threadsafe(release.set)

    thread = threading.Thread(target=other)
    thread.start()
    go.set()
    assert next(one) == "b"  # runs the loop here while the other thread tries to run it too
    thread.join(5)
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert "iterated in two threads at once" in str(errors[0])
    assert finished == ["closed"], "the refused answer was closed on the thread running its loop"


def test_a_sync_call_between_items_of_another_works() -> None:
    outer: list[int] = []
    got = []
    for item in iterate(counting(3, outer)):
        got.append((item, list(iterate(counting(2, [])))))
    assert got == [(0, [0, 1]), (1, [0, 1]), (2, [0, 1])]


def test_errors_reach_the_consumer_and_the_answer_is_closed() -> None:
    finished: list[str] = []

    async def failing() -> AsyncIterator[str]:
        try:
            yield "part"
            raise ValueError("failed on purpose")
        finally:
            finished.append("closed")

    it = iterate(failing)
    assert next(it) == "part"
    with pytest.raises(ValueError, match="failed on purpose"):
        next(it)
    assert finished == ["closed"]


async def test_inside_a_running_loop_the_call_runs_on_the_shared_loop_thread() -> None:
    async def where() -> AsyncIterator[str]:
        yield threading.current_thread().name

    assert list(iterate(where)) == [LOOP_THREAD]


def test_nothing_starts_before_the_first_next() -> None:
    produced: list[int] = []
    it: Iterator[int] = iterate(counting(2, produced))
    assert produced == []
    assert list(it) == [0, 1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_makes_its_own_loop() -> None:
    parent = loop_of_each_call(1)[0]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            child = loop_of_each_call(2)
            ok = child[0] is child[1] and child[0] is not parent
            os.write(write, b"ok" if ok else b"same loop")
        except BaseException as exc:
            os.write(write, repr(exc).encode()[:200])
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    assert said == b"ok"


def test_a_sync_script_closes_its_loop_at_exit() -> None:
    from support.processes import STRICT, run_python

    code = """
        import asyncio
        from providerhub._sync import iterate

        async def answer():
            try:
                yield "hello"
                await asyncio.sleep(30)
            finally:
                print("closed")

        it = iterate(answer)
        print(next(it))  # left suspended: closed at interpreter exit, with no warning
    """
    out = run_python(code, *STRICT)
    assert (out.stdout.splitlines(), out.stderr, out.returncode) == (["hello", "closed"], "", 0)
