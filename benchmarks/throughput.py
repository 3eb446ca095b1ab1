"""Request path: Dynaspark through providerhub against raw aiohttp posting the same bytes, on one server.

Every side posts to the same server (run in its own process) at the same concurrency:
- ``providerhub``: ``get_provider("gemini-1.5-flash").create_async_generator(...)``;
- ``raw same bytes`` (the baseline): one long-lived ``aiohttp.ClientSession`` with the same
  headers posting the same bytes (the form encoded into one buffer), reading the same JSON;
- ``raw in a generator`` (reference): the baseline's exchange inside an async generator that
  yields the text, consumed with ``async for``: the shape every provider has, so what the
  contract itself costs before any of providerhub's work;
- ``raw FormData`` (user-facing, not like for like): the same session posting aiohttp's
  ``FormData``, which writes the form part by part;
- ``new session per request`` (user-facing): the same bytes on a new ``ClientSession`` each time.
Before timing, one request of each side goes to a recording server and the bytes are compared
(boundaries masked). Per round each side's requests/s and client CPU per request
(``time.process_time``: this process only, the server's CPU is not counted) are measured; the
order of the sides rotates; the figures are medians of per-round ratios to the baseline.

Run: ``python benchmarks/throughput.py [--rounds 9] [--requests 2000] [--concurrency 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from standin import formdata_post, providerhub_send, raw_post, raw_session, raw_stream, serving, wire_bytes

Send = Callable[[], Awaitable[None]]
BASELINE = "raw same bytes"


async def rate(send: Send, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests per second and client CPU seconds per request for ``requests`` sends by ``concurrency`` workers."""
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await send()

    cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return requests / wall, cpu / requests


async def same_bytes_check() -> dict[str, bool]:
    """Whether each side sends the baseline's bytes (boundary masked)."""
    import os

    import aiohttp

    session = raw_session()
    plain = aiohttp.ClientSession()
    saved = os.environ.get("DYNASPARK_API_ENDPOINT")

    async def via_providerhub(url: str) -> None:
        await providerhub_send(url)()

    try:
        ours, raw, form = await wire_bytes(
            via_providerhub, lambda url: raw_post(session, url), lambda url: formdata_post(plain, url)
        )
    finally:
        await session.close()
        await plain.close()
        if saved is not None:
            os.environ["DYNASPARK_API_ENDPOINT"] = saved
    return {"providerhub": ours == raw, "raw FormData": form == raw}


async def run(url: str, rounds: int, requests: int, concurrency: int) -> dict[str, float]:
    import aiohttp

    same = await same_bytes_check()
    via_providerhub = providerhub_send(url)
    shared = raw_session()
    plain = aiohttp.ClientSession()

    async def via_raw() -> None:
        await raw_post(shared, url)

    async def via_generator() -> None:
        async for text in raw_stream(shared, url):
            assert text

    async def via_formdata() -> None:
        await formdata_post(plain, url)

    async def via_new_session() -> None:
        async with raw_session() as session:
            await raw_post(session, url)

    sides: dict[str, Send] = {
        "providerhub": via_providerhub,
        BASELINE: via_raw,
        "raw in a generator": via_generator,
        "raw FormData": via_formdata,
        "new session per request": via_new_session,
    }
    for send in sides.values():  # warm connections and code paths
        await rate(send, concurrency * 4, concurrency)
    rps: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(rounds):
        for name in order[i % len(order) :] + order[: i % len(order)]:
            r, c = await rate(sides[name], requests, concurrency)
            rps[name].append(r)
            cpu[name].append(c)
    await shared.close()
    await plain.close()
    row = {"same_bytes": float(same["providerhub"]), "formdata_same_bytes": float(same["raw FormData"])}
    for name in sides:
        row[f"{name} rps"] = statistics.median(rps[name])
        row[f"{name} cpu_us"] = statistics.median(cpu[name]) * 1e6
        row[f"{name} rps_ratio"] = statistics.median(a / b for a, b in zip(rps[name], rps[BASELINE], strict=True))
        row[f"{name} cpu_ratio"] = statistics.median(a / b for a, b in zip(cpu[name], cpu[BASELINE], strict=True))
    return row


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
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
    print(
        f"server: {args.server}, {args.concurrency} concurrent; providerhub sends the baseline's bytes: "
        f"{'yes' if row['same_bytes'] else 'NO'}; FormData sends them: {'yes' if row['formdata_same_bytes'] else 'no'}"
    )
    print(f"  {'side':<24} {'req/s':>7} {'x base':>6}  {'CPU us/req':>10} {'x base':>6}")
    for name in ("providerhub", BASELINE, "raw in a generator", "raw FormData", "new session per request"):
        print(
            f"  {name:<24} {row[f'{name} rps']:>7.0f} {row[f'{name} rps_ratio']:>6.2f}  "
            f"{row[f'{name} cpu_us']:>10.0f} {row[f'{name} cpu_ratio']:>6.2f}"
        )
    return row


if __name__ == "__main__":
    main()
