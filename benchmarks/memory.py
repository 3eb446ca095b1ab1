"""Memory per in-flight request: 1,000 Dynaspark requests at once through providerhub, against raw aiohttp.

The stand-in server (its own process) holds every answer for ``--hold`` seconds, so all requests
are in flight together. ``tracemalloc`` measures the client's Python heap growth at that moment
over the idle baseline; dividing by the request count gives bytes per in-flight request. Both
sides use one session with aiohttp's default connector (100 connections; the rest wait in its
queue, as they would in production). The sides alternate over the rounds.

Run: ``python benchmarks/memory.py [--requests 1000] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tracemalloc
from collections.abc import Awaitable, Callable

from standin import providerhub_send, raw_post, raw_session, serving


async def in_flight_bytes(send: Callable[[], Awaitable[None]], requests: int, settle: float) -> float:
    """Heap growth per request while ``requests`` sends are all waiting for their answers."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.ensure_future(send()) for _ in range(requests)]
    await asyncio.sleep(settle)
    during = tracemalloc.get_traced_memory()[0]
    await asyncio.gather(*tasks)
    return (during - before) / requests


async def run(url: str, requests: int, rounds: int, settle: float) -> dict[str, float]:
    via_providerhub = providerhub_send(url)
    shared = raw_session()

    async def via_raw() -> None:
        await raw_post(shared, url)

    sides = {"providerhub": via_providerhub, "raw aiohttp": via_raw}
    for send in sides.values():  # warm: connections open, code paths taken
        await asyncio.gather(*(send() for _ in range(50)))
    tracemalloc.start()
    results: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(rounds):
        for name in order if i % 2 == 0 else order[::-1]:
            results[name].append(await in_flight_bytes(sides[name], requests, settle))
    tracemalloc.stop()
    await shared.close()
    ours, raw = statistics.median(results["providerhub"]), statistics.median(results["raw aiohttp"])
    return {"providerhub_bytes": ours, "raw_bytes": raw, "ratio": ours / raw}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the server holds each answer")
    args = parser.parse_args(argv)
    with serving(delay=args.hold) as url:
        row = asyncio.run(run(url, args.requests, args.rounds, settle=args.hold / 2))
    print(
        f"{args.requests} requests in flight: providerhub {row['providerhub_bytes'] / 1024:.1f} KiB per request, "
        f"raw aiohttp {row['raw_bytes'] / 1024:.1f} KiB per request = {row['ratio']:.2f}x"
    )
    return row


if __name__ == "__main__":
    main()
