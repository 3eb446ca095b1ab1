"""A separate process sharing router state through Redis: ``python -m routing.state_worker MODE URL ...``.

Modes (each prints one JSON line on stdout):

- ``route URL CALLS``: make CALLS routed calls of ``fault-1`` with the installed fault providers;
  prints ``[[text, error class name or null], ...]``.
- ``fail URL COUNT ALLOWED``: prints ``ready`` once connected; after a line on stdin (the start
  signal), records COUNT failures of ``("A", "fault-1")`` at once; prints how many started a cooldown.
"""

from __future__ import annotations

import asyncio
import json
import sys

from providerhub._redis_state import RedisState
from providerhub._state import Rule

from .helpers import MODEL, collect, fast_router, routed


async def route(url: str, count: int) -> list[list[str | None]]:
    router = fast_router(RedisState(url), retries=0)
    results: list[list[str | None]] = []
    for _ in range(count):
        outcome = await collect(routed(router))
        results.append([outcome.text, type(outcome.error).__name__ if outcome.error else None])
    return results


async def fail(url: str, count: int, allowed: int) -> int:
    state = RedisState(url)
    await state.standings([("A", MODEL)])  # connected before the signal
    print("ready", flush=True)
    sys.stdin.readline()
    rule = Rule(allowed_fails=allowed, window=60, cooldown=30)
    started = await asyncio.gather(*(state.failed(("A", MODEL), rule) for _ in range(count)))
    return sum(1 for cooled in started if cooled is not None)


def main(argv: list[str]) -> None:
    mode, url, *rest = argv
    if mode == "route":
        result: object = asyncio.run(route(url, int(rest[0])))
    elif mode == "fail":
        result = asyncio.run(fail(url, int(rest[0]), int(rest[1])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
