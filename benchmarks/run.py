"""Run every benchmark and print each figure beside its baseline and target.

Each figure is a ratio to a baseline measured in the same run, the sides alternating (these
machines are noisy; absolute times drift). Each benchmark runs in a fresh interpreter, as when
run alone: what one leaves behind (a large heap, threads, open loops) cannot slow the next.
This is a report, not a test: it always exits 0 once it has measured.

Run: ``tox -e bench`` (or ``python benchmarks/run.py [--quick]``)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coldstart
import gateway
import memory
import routing
import streaming
import sync_calls
import throughput


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def fresh(run: Callable[[list[str]], Any], argv: list[str]) -> Any:
    """``run(argv)`` in a new interpreter (spawned, not forked); its result returned here."""
    sys.stdout.flush()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_flushed, run, argv).result()


def _flushed(run: Callable[[list[str]], Any], argv: list[str]) -> Any:
    try:
        return run(argv)
    finally:
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}\n")

    print("1-3. start-up: a fresh interpreter resolving one model, the first start after an install, the CLI")
    starts = fresh(coldstart.main, ["--plugins", "1", "1000", *(["--rounds", "7"] if args.quick else [])])
    print("\n4. sync calls against async ones, sequential")
    sync = fresh(sync_calls.main, ["--rounds", "11"] if args.quick else [])
    print("\n5. request path at 50 concurrent requests")
    speed = fresh(throughput.main, ["--rounds", "3", "--requests", "1000"] if args.quick else [])
    print("\n6. memory with 1,000 requests in flight")
    held = fresh(memory.main, ["--rounds", "2"] if args.quick else [])
    print("\n6b. streamed answers: the OpenAI plugin against raw aiohttp reading the same event stream")
    streamed = fresh(streaming.main, ["--rounds", "3", "--streams", "12"] if args.quick else [])
    print("\n7. the OpenAI-compatible server against a minimal aiohttp.web handler sending the same bytes")
    served = fresh(
        gateway.main, ["--rounds", "1", "--requests", "1000", "--streams", "200", "--hold", "3"] if args.quick else []
    )
    print("\n8. routing: fallback on (nothing failing) against fallback off, 50 concurrent requests")
    routed = fresh(routing.main, ["--rounds", "2", "--requests", "500"] if args.quick else [])

    rows = []
    for r in starts:
        n = r["plugins"]
        rows.append((f"warm resolve, {n} extra plugins / python -c pass", r["resolve / pass"], "<=", 3.0))
        rows.append((f"first start after install, {n} extra / budget", r["miss / budget"], "<=", 1.0))
        rows.append(("  the same / scan + every plugin's import (like for like)", r["miss / load budget"], "<=", 1.0))
        for name, like in coldstart.CLI_BASE.items():
            rows.append((f"{name}, {n} extra / python -c resolve", r[f"{name} / resolve"], "<=", 1.15))
            rows.append((f"  the same / python -c '{like}' (like for like)", r[f"{name} / {like}"], "<=", 1.15))
    rows += [
        ("create_completion / create_async_generator", sync["create_completion_ratio"], "<=", 1.3),
        ("complete / stream", sync["complete_ratio"], "<=", 1.3),
        ("client CPU per request / raw same bytes", speed["providerhub cpu_ratio"], "<=", 1.05),
        ("requests/s / raw same bytes", speed["providerhub rps_ratio"], ">=", 0.95),
        ("bytes per in-flight request / raw same bytes", held["ratio"], "<=", 1.05),
        ("server req/s, not streamed / aiohttp.web floor", served["plain_ratio"], ">=", 0.5),
        ("server req/s, streamed / aiohttp.web floor", served["stream_ratio"], ">=", 0.5),
        ("call cost, fallback on / fallback off", routed["http_cost"], "<=", 1.05),
    ]
    if "redis_round_trips_per_attempt" in routed:
        rows.append(("Redis round trips per attempt", routed["redis_round_trips_per_attempt"], "<=", 1.0))
    print("\nsummary (ratios to the baseline named in each row)")
    for name, value, op, target in rows:
        met = value <= target if op == "<=" else value >= target  # type: ignore[operator]
        print(f"  {name:<52} {value:>6.2f}x  target {op} {target:.2f}  {'met' if met else 'MISSED'}")
    print(
        f"  {'streamed chunks/s / raw aiohttp, same event stream':<52} {streamed['rate_ratio']:>6.2f}x  "
        f"CPU per chunk {streamed['cpu_ratio']:.2f}x  (no target: for reference)"
    )
    print(
        f"  {'client CPU, raw same bytes in a generator / raw':<52} {speed['raw in a generator cpu_ratio']:>6.2f}x  "
        f"requests/s {speed['raw in a generator rps_ratio']:.2f}x  (no target: what the generator shape costs)"
    )
    print(
        f"  {'the call API: stream / create_async_generator':<52} {sync['stream_ratio']:>6.2f}x  "
        f"client CPU {sync['stream_cpu_ratio']:.2f}x  (no target: for reference)"
    )
    added = served["added_latency_ms"]
    verdict = "met" if added <= 1 else "MISSED"
    print(f"  {'server latency added at the median (ms)':<52} {added:>7.2f}  budget 1.00  {verdict}")
    kib, failed = served["gateway_kib_per_stream"], served["gateway_failed_streams"]
    verdict = "met" if kib <= 64 and failed == 0 else "MISSED"
    print(f"  {'server KiB per open stream':<52} {kib:>7.1f}  budget 64, {failed:.0f} failed  {verdict}")


if __name__ == "__main__":
    main()
