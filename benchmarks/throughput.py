"""Request throughput: Dynaspark through providerhub against raw aiohttp, on one local stand-in server.

Three clients post the same form to the same server (run in its own process) at the same
concurrency:
- ``providerhub``: ``get_provider("gemini-1.5-flash").create_async_generator(...)``;
- ``raw shared``: one long-lived ``aiohttp.ClientSession`` posting the form itself (the baseline);
- ``new session``: a new ``ClientSession`` per request (the pattern providerhub replaces).
Rounds alternate the order of the sides so drift hits all alike; the figures are median
requests/s ratios to the baseline.

Run: ``python benchmarks/throughput.py [--rounds 7] [--requests 2000] [--concurrency 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from standin import providerhub_send, raw_post, serving

Send = Callable[[], Awaitable[None]]


async def rate(send: Send, requests: int, concurrency: int) -> float:
    """Requests per second for ``requests`` sends by ``concurrency`` workers."""
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await send()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - start)


async def run(url: str, rounds: int, requests: int, concurrency: int) -> dict[str, float]:
    import aiohttp

    via_providerhub = providerhub_send(url)
    shared = aiohttp.ClientSession()

    async def via_shared() -> None:
        await raw_post(shared, url)

    async def via_new_session() -> None:
        async with aiohttp.ClientSession() as session:
            await raw_post(session, url)

    sides: dict[str, Send] = {"providerhub": via_providerhub, "raw shared": via_shared, "new session": via_new_session}
    for send in sides.values():  # warm connections and code paths
        await rate(send, concurrency * 2, concurrency)
    results: dict[str, list[float]] = {name: [] for name in sides}
    ratios: dict[str, list[float]] = {"providerhub": [], "new session": []}
    order = list(sides)
    for i in range(rounds):
        for name in order[i % 3 :] + order[: i % 3]:
            results[name].append(await rate(sides[name], requests, concurrency))
        for name in ratios:
            ratios[name].append(results[name][-1] / results["raw shared"][-1])
    await shared.close()
    return {
        "raw_shared_rps": statistics.median(results["raw shared"]),
        "providerhub_rps": statistics.median(results["providerhub"]),
        "new_session_rps": statistics.median(results["new session"]),
        "providerhub_ratio": statistics.median(ratios["providerhub"]),
        "new_session_ratio": statistics.median(ratios["new session"]),
        "providerhub_vs_new_session": statistics.median(
            p / n for p, n in zip(results["providerhub"], results["new session"], strict=True)
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--server",
        choices=["lean", "standin"],
        default="lean",
        help="lean: a minimal responder, so the client's cost is measured; standin: the test suite's full server",
    )
    args = parser.parse_args(argv)
    with serving(lean=args.server == "lean") as url:
        row = asyncio.run(run(url, args.rounds, args.requests, args.concurrency))
    print(f"server: {args.server}; ", end="")
    print(
        f"raw shared session {row['raw_shared_rps']:.0f} req/s; providerhub {row['providerhub_rps']:.0f} req/s "
        f"= {row['providerhub_ratio']:.2f}x; new session per request {row['new_session_rps']:.0f} req/s "
        f"= {row['new_session_ratio']:.2f}x; providerhub / new session = {row['providerhub_vs_new_session']:.2f}x"
    )
    return row


if __name__ == "__main__":
    main()
