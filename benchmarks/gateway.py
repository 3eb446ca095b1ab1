"""The gateway's cost: ``providerhub serve`` against a minimal ``aiohttp.web`` handler sending the same bytes.

Both servers run in a process of their own with one worker; the gateway answers through an
in-process provider that answers at once ("Hello, world", usage, finish reason). The floor is
an ``aiohttp.web`` application whose one handler reads the request body and sends back the
bytes the gateway sent for that request (the same JSON body; the same events, one write each,
when streamed): everything the gateway does beyond that is its cost.

Figures (rounds alternate the two sides, so drift hits both alike; medians reported):
- requests/s at concurrency 32, not streamed and streamed, with the client's CPU time per
  request beside each (the same client code for both sides);
- latency added at the median: one request at a time, the gateway's median minus the floor's;
- 1,000 concurrent streams each held open 10 s: all complete, and the server's memory growth
  (RSS) per open stream, beside the floor's.

Run: ``python benchmarks/gateway.py [--rounds 3] [--requests 3000] [--streams 1000] [--hold 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
sys.path.append(TESTS)  # after benchmarks/: tests/routing must not shadow routing.py

from support.plugins import PluginSite  # noqa: E402
from support.processes import clean_environ, script  # noqa: E402

CONCURRENCY = 32
MESSAGES = [{"role": "user", "content": "How fast is this?"}]

PLUGIN = """
import asyncio, os
from providerhub import AsyncGeneratorProvider, FinishReason, ProviderModelMixin, Usage, hookimpl

HOLD = float(os.environ.get("BENCH_HOLD", "10"))


class Instant(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "instant"
    models = ["instant", "hold"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield "Hello"
        if model == "hold":
            await asyncio.sleep(HOLD)
        yield ", world"
        yield Usage(5, 3, 8)
        yield FinishReason("stop")


@hookimpl
def register_providers():
    return [Instant]
"""

FLOOR = """
import asyncio, json, sys
from aiohttp import web

bodies = json.load(open(sys.argv[1]))
PLAIN = bodies["plain"].encode()
EVENTS = [e.encode() for e in bodies["events"]]
HOLD = float(sys.argv[2])


async def chat(request):
    body = await request.read()
    if b'"stream": true' not in body:
        return web.Response(body=PLAIN, content_type="application/json")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
    await response.prepare(request)
    for i, event in enumerate(EVENTS):
        await response.write(event)
        if i == 0 and b'"hold"' in body:
            await asyncio.sleep(HOLD)
    await response.write_eof()
    return response


app = web.Application()
app.router.add_post("/v1/chat/completions", chat)
web.run_app(app, host="127.0.0.1", port=0, print=lambda *a: None, access_log=None,
            handle_signals=True, shutdown_timeout=1)
"""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], url: str):
        self.proc, self.url = proc, url


def _wait_for_url(proc: subprocess.Popen[bytes], log: Path, pattern: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


@contextmanager
def gateway(root: Path, hold: float) -> Iterator[Server]:
    site = PluginSite(root / "site")
    site.root.mkdir()
    site.add("bench", PLUGIN)
    env = clean_environ(root / "cache", PYTHONPATH=str(site.root), PROVIDERHUB_PLUGINS="bench", BENCH_HOLD=str(hold))
    log = root / "gateway.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([script(), "serve", "--port", "0"], env=env, stderr=err, stdout=subprocess.DEVNULL)
    try:
        yield Server(proc, _wait_for_url(proc, log, r"serving on (http://\S+)"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


@contextmanager
def floor(root: Path, bodies: dict[str, Any], hold: float) -> Iterator[Server]:
    (root / "bodies.json").write_text(json.dumps(bodies))
    (root / "floor.py").write_text(FLOOR)
    proc = subprocess.Popen(
        [sys.executable, str(root / "floor.py"), str(root / "bodies.json"), str(hold)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if f"pid={proc.pid}," in line:
                    port = int(line.split()[3].rsplit(":", 1)[1])
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("the floor server did not start")
        yield Server(proc, f"http://127.0.0.1:{port}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def request_body(model: str, stream: bool) -> bytes:
    return json.dumps({"model": model, "messages": MESSAGES, "stream": stream}).encode()


async def capture(url: str) -> dict[str, Any]:
    """The gateway's bytes for the benchmark's requests, for the floor to send back."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(url + "/v1/chat/completions", data=request_body("instant", False)) as r:
            plain = await r.text()
        async with session.post(url + "/v1/chat/completions", data=request_body("instant", True)) as r:
            events = [e + "\n\n" for e in (await r.text()).split("\n\n") if e]
    return {"plain": plain, "events": events}


async def rate(server: Server, stream: bool, requests: int, concurrency: int) -> tuple[float, float, float]:
    """Requests per second, and the client's and the server's CPU seconds per request."""
    import aiohttp

    body = request_body("instant", stream)
    url = server.url
    left = requests
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with session.post(url + "/v1/chat/completions", data=body) as response:
                    data = await response.read()
                    assert response.status == 200 and (not stream or data.endswith(b"[DONE]\n\n")), data[:200]

        await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm the connections
        left = requests
        cpu, start, served = time.process_time(), time.perf_counter(), cpu_seconds(server.proc.pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        server_cpu = (cpu_seconds(server.proc.pid) - served) / requests
        return requests / elapsed, (time.process_time() - cpu) / requests, server_cpu


async def latency(url: str, requests: int) -> float:
    """Median seconds per request, one at a time."""
    import aiohttp

    body = request_body("instant", False)
    times = []
    async with aiohttp.ClientSession() as session:
        for i in range(requests + 20):
            start = time.perf_counter()
            async with session.post(url + "/v1/chat/completions", data=body) as response:
                await response.read()
            if i >= 20:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


async def held_streams(server: Server, streams: int, hold: float) -> tuple[float, int]:
    """Memory growth per open stream (KiB) with ``streams`` held open at once, and how many failed."""
    import aiohttp

    body = request_body("hold", True)
    started = 0
    all_started = asyncio.Event()
    failures = 0
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=hold + 60)
    ) as session:
        async with session.post(server.url + "/v1/chat/completions", data=request_body("instant", True)) as r:
            await r.read()
        await asyncio.sleep(0.5)
        before = rss_kib(server.proc.pid)

        async def one() -> None:
            nonlocal started, failures
            try:
                async with session.post(server.url + "/v1/chat/completions", data=body) as response:
                    await response.content.readuntil(b"\n\n")
                    started += 1
                    if started == streams:
                        all_started.set()
                    rest = await response.read()
                    if not rest.endswith(b"data: [DONE]\n\n"):
                        failures += 1
            except Exception:
                failures += 1
                all_started.set()

        tasks = [asyncio.ensure_future(one()) for _ in range(streams)]
        await asyncio.wait_for(all_started.wait(), hold)
        during = rss_kib(server.proc.pid)
        await asyncio.gather(*tasks)
    return (during - before) / streams, failures + (streams - started)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--latency-requests", type=int, default=300)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "g").mkdir()
        (root / "f").mkdir()
        with gateway(root / "g", args.hold) as ours:
            bodies = asyncio.run(capture(ours.url))
            with floor(root / "f", bodies, args.hold) as base:
                sides = {"gateway": ours, "floor": base}
                rates: dict[str, dict[str, list[tuple[float, float, float]]]] = {
                    mode: {name: [] for name in sides} for mode in ("plain", "stream")
                }
                lat: dict[str, list[float]] = {name: [] for name in sides}
                for i in range(args.rounds):
                    order = list(sides) if i % 2 == 0 else list(reversed(sides))
                    for mode in ("plain", "stream"):
                        for name in order:
                            rates[mode][name].append(
                                asyncio.run(rate(sides[name], mode == "stream", args.requests, CONCURRENCY))
                            )
                    for name in order:
                        lat[name].append(asyncio.run(latency(sides[name].url, args.latency_requests)))
                held = {name: asyncio.run(held_streams(sides[name], args.streams, args.hold)) for name in sides}
    result: dict[str, float] = {}
    print(f"{'figure':<34} {'gateway':>12} {'floor':>12} {'ratio':>7}")
    for mode in ("plain", "stream"):
        ours_rps = statistics.median(r[0] for r in rates[mode]["gateway"])
        base_rps = statistics.median(r[0] for r in rates[mode]["floor"])
        ours_cpu = statistics.median(r[1] for r in rates[mode]["gateway"]) * 1e6
        base_cpu = statistics.median(r[1] for r in rates[mode]["floor"]) * 1e6
        ours_server = statistics.median(r[2] for r in rates[mode]["gateway"]) * 1e6
        base_server = statistics.median(r[2] for r in rates[mode]["floor"]) * 1e6
        ratio = statistics.median(
            g[0] / f[0] for g, f in zip(rates[mode]["gateway"], rates[mode]["floor"], strict=True)
        )
        result.update({f"{mode}_rps": ours_rps, f"{mode}_floor_rps": base_rps, f"{mode}_ratio": ratio})
        result.update({f"{mode}_client_cpu_us": ours_cpu, f"{mode}_floor_client_cpu_us": base_cpu})
        result.update({f"{mode}_server_cpu_us": ours_server, f"{mode}_floor_server_cpu_us": base_server})
        print(f"{'req/s at 32, ' + mode:<34} {ours_rps:>12,.0f} {base_rps:>12,.0f} {ratio:>6.2f}x")
        print(f"{'  client CPU per request, ' + mode:<34} {ours_cpu:>10.0f}us {base_cpu:>10.0f}us")
        print(f"{'  server CPU per request, ' + mode:<34} {ours_server:>10.0f}us {base_server:>10.0f}us")
    ours_lat, base_lat = statistics.median(lat["gateway"]) * 1000, statistics.median(lat["floor"]) * 1000
    result.update({"latency_ms": ours_lat, "floor_latency_ms": base_lat, "added_latency_ms": ours_lat - base_lat})
    print(
        f"{'median latency, one at a time':<34} {ours_lat:>10.2f}ms {base_lat:>10.2f}ms  +{ours_lat - base_lat:.2f} ms"
    )
    for name, (kib, failed) in held.items():
        result[f"{name}_kib_per_stream"] = kib
        result[f"{name}_failed_streams"] = failed
    print(
        f"{f'memory per open stream ({args.streams})':<34} {held['gateway'][0]:>9.1f}KiB {held['floor'][0]:>9.1f}KiB"
        f"  failed: {held['gateway'][1]} / {held['floor'][1]}"
    )
    return result


if __name__ == "__main__":
    main()
