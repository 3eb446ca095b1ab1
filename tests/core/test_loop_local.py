"""``providerhub.loop_local.LoopLocal``: one resource per loop, closed when ``asyncio.run`` ends the loop."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading

import pytest

from providerhub.loop_local import LoopLocal


class Resource:
    """Stands for a client session: made on a loop, closed there."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed_on: asyncio.AbstractEventLoop | None = None


async def close(resource: Resource) -> None:
    await asyncio.sleep(0)  # closing may await
    resource.closed_on = asyncio.get_running_loop()


def test_get_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        LoopLocal(Resource, close).get()


def test_one_resource_per_loop_closed_on_its_loop_at_shutdown() -> None:
    local = LoopLocal(Resource, close)
    made: list[Resource] = []

    async def main() -> None:
        first = local.get()
        await asyncio.sleep(0)
        assert local.get() is first and local.peek() is first
        assert first.closed_on is None
        made.append(first)

    asyncio.run(main())
    if sys.version_info >= (3, 11):
        with asyncio.Runner() as runner:
            runner.run(main())
    else:
        asyncio.run(main())
    first, second = made
    assert first is not second
    assert first.closed_on is first.loop and second.closed_on is second.loop
    assert len(local) == 0


def test_peek_makes_nothing() -> None:
    local = LoopLocal(Resource, close)

    async def main() -> None:
        assert local.peek() is None
        assert len(local) == 0

    asyncio.run(main())


def test_aclose_closes_now_and_the_next_get_makes_a_new_one() -> None:
    local = LoopLocal(Resource, close)
    made: list[Resource] = []

    async def main() -> None:
        first = local.get()
        await local.aclose()
        assert first.closed_on is not None and local.peek() is None
        made.extend((first, local.get()))
        await local.aclose()
        await local.aclose()  # nothing left: a no-op

    asyncio.run(main())
    assert made[0] is not made[1] and made[1].closed_on is not None


def test_each_threads_loop_has_its_own() -> None:
    local = LoopLocal(Resource, close)
    made: list[Resource] = []
    lock = threading.Lock()

    async def main() -> None:
        resource = local.get()
        await asyncio.sleep(0.01)
        assert local.get() is resource
        with lock:
            made.append(resource)

    threads = [threading.Thread(target=asyncio.run, args=(main(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r) for r in made}) == 4
    assert all(r.closed_on is r.loop for r in made)
    assert len(local) == 0


def test_a_loop_closed_without_shutdown_is_purged() -> None:
    local = LoopLocal(Resource, close)
    loop = asyncio.new_event_loop()
    try:
        orphan = loop.run_until_complete(_get(local))
    finally:
        loop.close()  # no shutdown_asyncgens: the resource cannot be closed any more
    assert len(local) == 1
    fresh = asyncio.run(_get(local))
    assert fresh is not orphan and fresh.closed_on is not None
    assert len(local) == 0
    gc.collect()
    assert orphan.closed_on is None


async def _get(local: LoopLocal[Resource]) -> Resource:
    return local.get()
