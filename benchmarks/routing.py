"""Routing cost: a call with fallback on (nothing failing) against the same call with fallback off.

Two providers serve the model (Dynaspark and a configured copy of it, both pointed at the lean
local responder in its own process), so with fallback on the router looks at both candidates'
state before the call; with fallback off, at the first only. Both sides are ``Hub.stream`` calls
of one hub, as a user makes them; rounds alternate the order. Reported: the cost ratio
(requests/s off / requests/s on; 1.00 = free), over HTTP and with an in-process provider that
answers at once (the router's own overhead, magnified). With ``redis-server`` on the PATH it also
runs the calls with Redis state and counts the scripts Redis ran: round trips per attempt.

Run: ``python benchmarks/routing.py [--rounds 7] [--requests 2000] [--concurrency 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from standin import MESSAGES, MODEL, serving
from throughput import rate

Send = Callable[[], Awaitable[None]]


def make_hub(url: str, state_url: str | None = None) -> Any:
    """A hub with two providers of ``MODEL`` (Dynaspark and a configured copy) and two in-process ones."""
    import os

    import providerhub

    os.environ["DYNASPARK_API_ENDPOINT"] = url
    hub = providerhub.Hub(state_url=state_url)
    dynaspark = hub.get_provider(f"Dynaspark/{MODEL}")
    hub.register_provider(dynaspark.configure("DynasparkBackup"))

    class Instant(providerhub.AsyncGeneratorProvider, providerhub.ProviderModelMixin):
        default_model = "instant-1"
        models = ["instant-1"]

        @classmethod
        async def create_async_generator(
            cls, model: str, messages: Any, proxy: str | None = None, **kwargs: Any
        ) -> AsyncIterator[str]:
            for word in ("fast ", "enough ", "for ", "a ", "benchmark"):
                yield word

    hub.register_provider(Instant)
    hub.register_provider(Instant.configure("InstantBackup"))
    return hub


def routed_send(hub: Any, model: str, fallback: bool) -> Send:
    """One call of ``hub.stream``, as a user makes it."""
    assert len(hub.resolve(model).candidates) == 2

    async def send() -> None:
        async for chunk in hub.stream(model, MESSAGES, fallback=fallback):
            assert chunk

    return send


async def compare(on: Send, off: Send, rounds: int, requests: int, concurrency: int) -> dict[str, float]:
    for send in (on, off):
        await rate(send, concurrency * 2, concurrency)
    ratios, on_rps, off_rps = [], [], []
    for i in range(rounds):
        pair = [("on", on), ("off", off)]
        got = {}
        for name, send in pair if i % 2 else pair[::-1]:
            got[name] = (await rate(send, requests, concurrency))[0]  # requests/s
        on_rps.append(got["on"])
        off_rps.append(got["off"])
        ratios.append(got["off"] / got["on"])
    return {
        "on_rps": statistics.median(on_rps),
        "off_rps": statistics.median(off_rps),
        "cost": statistics.median(ratios),
    }


def start_redis() -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="ph-bench-redis-")
    child = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return child, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    child.kill()
    return None


async def redis_round_trips(url: str, send: Send, calls: int) -> float:
    """Scripts Redis ran per call (each call here is one attempt: nothing fails)."""
    import redis.asyncio as aioredis

    await send()  # connects and loads the script
    raw = aioredis.Redis.from_url(url)
    try:
        await raw.config_resetstat()
        for _ in range(calls):
            await send()
        stats = await raw.info("commandstats")
    finally:
        await raw.aclose()
    scripts = sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))
    return float(scripts) / calls


async def run(url: str, rounds: int, requests: int, concurrency: int) -> dict[str, float]:
    hub = make_hub(url)
    row = {}
    for label, model in (("http", MODEL), ("instant", "instant-1")):
        on, off = routed_send(hub, model, True), routed_send(hub, model, False)
        for key, value in (await compare(on, off, rounds, requests, concurrency)).items():
            row[f"{label}_{key}"] = value
    redis = start_redis()
    if redis is not None:
        child, redis_url = redis
        try:
            shared = make_hub(url, redis_url)
            row["redis_round_trips_per_attempt"] = await redis_round_trips(
                redis_url, routed_send(shared, MODEL, True), 200
            )
            got = await compare(
                routed_send(shared, MODEL, True),
                routed_send(hub, MODEL, True),
                max(rounds // 2, 1),
                requests,
                concurrency,
            )
            row["redis_cost"] = got["cost"]  # in-memory req/s / Redis req/s
        finally:
            child.terminate()
            child.wait(10)
    return row


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    with serving(lean=True) as url:
        row = asyncio.run(run(url, args.rounds, args.requests, args.concurrency))
    print(
        f"over HTTP: fallback off {row['http_off_rps']:.0f} req/s, on {row['http_on_rps']:.0f} req/s: "
        f"cost {row['http_cost']:.3f}x; in-process provider: off {row['instant_off_rps']:.0f} req/s, "
        f"on {row['instant_on_rps']:.0f} req/s: cost {row['instant_cost']:.3f}x"
    )
    if "redis_round_trips_per_attempt" in row:
        print(
            f"Redis state: {row['redis_round_trips_per_attempt']:.2f} round trips per attempt; "
            f"cost against in-memory state {row['redis_cost']:.2f}x"
        )
    else:
        print("Redis state: not measured (no redis-server on the PATH)")
    return row


if __name__ == "__main__":
    main()
