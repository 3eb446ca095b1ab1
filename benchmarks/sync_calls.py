"""Sync calls against async ones: sequential Dynaspark requests from plain sync code, per call.

Four sides post the same bytes to the same lean server (its own process), one request at a time:
- ``create_async_generator`` in a running loop (the baseline for ``create_completion``);
- ``create_completion`` from plain sync code;
- ``providerhub.stream`` in a running loop (the baseline for ``providerhub.complete``);
- ``providerhub.complete`` from plain sync code.
Rounds alternate the order of the sides; the figures are median per-call time ratios, with the
client's CPU per call (every thread of this process; the server's is not counted) beside them.
``stream`` against ``create_async_generator`` is also reported (no target): what the call API
adds to a provider's own call (preparing the request, resolving, routing, the checks).

Run: ``python benchmarks/sync_calls.py [--rounds 41] [--calls 25]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

from standin import MESSAGES, MODEL, serving


def sides() -> tuple[dict[str, Callable[[int], float]], Callable[[], None]]:
    import providerhub

    provider = providerhub.get_provider(MODEL)

    async def async_calls(n: int, via_stream: bool) -> float:
        start = time.perf_counter()
        for _ in range(n):
            answer = (
                providerhub.stream(MODEL, MESSAGES) if via_stream else provider.create_async_generator(MODEL, MESSAGES)
            )
            async for chunk in answer:
                assert chunk
        return (time.perf_counter() - start) / n

    def sync_calls(n: int, via_complete: bool) -> float:
        start = time.perf_counter()
        for _ in range(n):
            answer = (
                providerhub.complete(MODEL, MESSAGES) if via_complete else provider.create_completion(MODEL, MESSAGES)
            )
            for chunk in answer:
                assert chunk
        return (time.perf_counter() - start) / n

    loop = asyncio.new_event_loop()  # one long-lived loop, as an async program has; closed at exit

    def in_loop(via_stream: bool) -> Callable[[int], float]:
        return lambda n: loop.run_until_complete(async_calls(n, via_stream))

    def close() -> None:
        loop.run_until_complete(loop.shutdown_asyncgens())  # closes the loop's shared session
        loop.close()

    return {
        "create_async_generator": in_loop(False),
        "create_completion": lambda n: sync_calls(n, False),
        "stream": in_loop(True),
        "complete": lambda n: sync_calls(n, True),
    }, close


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--calls", type=int, default=25, help="calls per side per round")
    args = parser.parse_args(argv)
    with serving(lean=True) as url:
        os.environ["DYNASPARK_API_ENDPOINT"] = url
        run, close = sides()
        for side in run.values():
            side(20)
        times: dict[str, list[float]] = {name: [] for name in run}
        cpu: dict[str, list[float]] = {name: [] for name in run}
        order = list(run)
        for i in range(args.rounds):
            for name in order if i % 2 == 0 else order[::-1]:
                before = time.process_time()  # this process, every thread of it; not the server's
                times[name].append(run[name](args.calls))
                cpu[name].append((time.process_time() - before) / args.calls)
        close()
    pairs = {"create_completion": "create_async_generator", "complete": "stream", "stream": "create_async_generator"}
    row = {f"{name}_us": statistics.median(values) * 1e6 for name, values in times.items()}
    row |= {f"{name}_cpu_us": statistics.median(values) * 1e6 for name, values in cpu.items()}
    for sync_side, async_side in pairs.items():
        ratio = statistics.median(s / a for s, a in zip(times[sync_side], times[async_side], strict=True))
        cpu_ratio = statistics.median(s / a for s, a in zip(cpu[sync_side], cpu[async_side], strict=True))
        row[f"{sync_side}_ratio"] = ratio
        row[f"{sync_side}_cpu_ratio"] = cpu_ratio
        print(
            f"{sync_side}: {row[f'{sync_side}_us']:.0f} us per call; {async_side} in a loop: "
            f"{row[f'{async_side}_us']:.0f} us = {ratio:.2f}x; client CPU per call "
            f"{row[f'{sync_side}_cpu_us']:.0f} vs {row[f'{async_side}_cpu_us']:.0f} us = {cpu_ratio:.2f}x"
        )
    return row


if __name__ == "__main__":
    main()
