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
    print("\n5. routing: fallback on (nothing failing) against fallback off, 50 concurrent requests")
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
        ("call cost, fallback on / fallback off", routed["http_cost"], "<= 1.05", routed["http_cost"] <= 1.05),
    ]
    if "redis_round_trips_per_attempt" in routed:
        trips = routed["redis_round_trips_per_attempt"]
        rows.append(("Redis round trips per attempt", trips, "<= 1.00", trips <= 1.0))
    print("\nsummary")
    for name, value, target, met in rows:
        print(f"  {name:<46} {value:>6.2f}x  target {target}  {'met' if met else 'MISSED'}")
    print(f"  {'bytes per in-flight request (providerhub)':<46} {held['providerhub_bytes']:>7.0f}  budget 12288")


if __name__ == "__main__":
    main()
