"""Run every benchmark and print each figure beside its target.

Each figure is a ratio to a baseline measured in the same run (these machines are noisy;
absolute times drift). This is a report, not a test: it always exits 0 once it has measured.

Run: ``tox -e bench`` (or ``python benchmarks/run.py [--quick]``)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coldstart
import gateway
import memory
import routing
import throughput


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args(argv)
    rounds = ["--rounds", "6"] if args.quick else []
    print(f"machine: {machine()}\n")

    print("1-2. cold start: get_provider('gemini-1.5-flash') in a fresh interpreter / entry-point scan floor")
    starts = coldstart.main(["--plugins", "0", "50", "200", *rounds])
    print("\n3. request throughput at 50 concurrent requests")
    speed = throughput.main(["--rounds", "3"] if args.quick else [])
    print("\n4. memory with 1,000 requests in flight")
    held = memory.main(["--rounds", "2"] if args.quick else [])
    print("\n5. the OpenAI-compatible server against a minimal aiohttp.web handler sending the same bytes")
    served = gateway.main(
        ["--rounds", "1", "--requests", "1000", "--streams", "200", "--hold", "3"] if args.quick else []
    )
    print("\n6. routing: fallback on (nothing failing) against fallback off, 50 concurrent requests")
    routed = routing.main(["--rounds", "2", "--requests", "500"] if args.quick else [])

    rows = [(f"cold start, {r['plugins']} plugins, / floor", r["ratio"], "<= 1.30", r["ratio"] <= 1.3) for r in starts]
    rows += [
        (
            "throughput / one raw shared aiohttp session",
            speed["providerhub_ratio"],
            ">= 0.90",
            speed["providerhub_ratio"] >= 0.9,
        ),
        (
            "throughput / a new session per request",
            speed["providerhub_vs_new_session"],
            ">= 2.00",
            speed["providerhub_vs_new_session"] >= 2.0,
        ),
        ("bytes per in-flight request / raw aiohttp", held["ratio"], "<= 1.25", held["ratio"] <= 1.25),
        (
            "server req/s, not streamed / aiohttp.web floor",
            served["plain_ratio"],
            ">= 0.50",
            served["plain_ratio"] >= 0.5,
        ),
        (
            "server req/s, streamed / aiohttp.web floor",
            served["stream_ratio"],
            ">= 0.50",
            served["stream_ratio"] >= 0.5,
        ),
        ("call cost, fallback on / fallback off", routed["http_cost"], "<= 1.05", routed["http_cost"] <= 1.05),
    ]
    if "redis_round_trips_per_attempt" in routed:
        trips = routed["redis_round_trips_per_attempt"]
        rows.append(("Redis round trips per attempt", trips, "<= 1.00", trips <= 1.0))
    print("\nsummary")
    for name, value, target, met in rows:
        print(f"  {name:<46} {value:>6.2f}x  target {target}  {'met' if met else 'MISSED'}")
    print(f"  {'bytes per in-flight request (providerhub)':<46} {held['providerhub_bytes']:>7.0f}  budget 12288")
    added = served["added_latency_ms"]
    verdict = "met" if added <= 1 else "MISSED"
    print(f"  {'server latency added at the median (ms)':<46} {added:>7.2f}  budget 1.00  {verdict}")
    kib, failed = served["gateway_kib_per_stream"], served["gateway_failed_streams"]
    verdict = "met" if kib <= 64 and failed == 0 else "MISSED"
    print(f"  {'server KiB per open stream':<46} {kib:>7.1f}  budget 64, {failed:.0f} failed  {verdict}")


if __name__ == "__main__":
    main()
