"""Streamed answers: the OpenAI plugin reading a server-sent event stream, against raw aiohttp reading the same bytes.

The server (its own process) answers every POST with the same chat-completion event stream:
``--events`` text deltas, a finish chunk and ``data: [DONE]``, written at once so the client is
what gets measured. Both sides post the same JSON body to it on one long-lived session, at the
same concurrency, and parse every event's JSON:
- ``providerhub``: ``OpenAI.create_async_generator(...)`` (bounded lines and events, typed chunks,
  ``FinishReason`` and ``Usage`` at the end);
- ``raw aiohttp`` (the baseline): the body read with ``response.content.iter_any()`` and split into
  lines by hand (leaner than ``async for line in response.content``), ``json.loads`` of each
  ``data:`` line, the delta's text taken out: no bounds, no checks.
Per round each side's text chunks per second and client CPU per chunk (``time.process_time``)
are measured; the order of the sides alternates; the figures are medians of per-round ratios.

Run: ``python benchmarks/streaming.py [--rounds 7] [--streams 40] [--events 500] [--concurrency 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from standin import RESPONDER, serving_code

MODEL = "gpt-4o-mini"
MESSAGES: list[Any] = [{"role": "user", "content": "Stream a long answer."}]

SERVER = """
import asyncio, json, sys

EVENTS = {events}
HEAD = {{"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "{model}"}}

def event(delta, finish=None):
    choice = {{"index": 0, "delta": delta, "finish_reason": finish}}
    return b"data: " + json.dumps({{**HEAD, "choices": [choice]}}).encode() + b"\\n\\n"

counts = {{"prompt_tokens": 5, "completion_tokens": EVENTS, "total_tokens": EVENTS + 5}}
usage = {{**HEAD, "choices": [], "usage": counts}}
BODY = b"".join(
    [event({{"role": "assistant", "content": ""}})]
    + [event({{"content": "tok%d " % i}}) for i in range(EVENTS)]
    + [event({{}}, "stop"), b"data: " + json.dumps(usage).encode() + b"\\n\\n", b"data: [DONE]\\n\\n"]
)
ANSWER = (
    b"HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\nCache-Control: no-cache\\r\\n"
    b"Content-Length: %d\\r\\n\\r\\n" % len(BODY)
) + BODY

PATH = "/v1"

def respond(head, body):
    return ANSWER
"""

Stream = Callable[[], Awaitable[int]]


def providerhub_side(api_base: str) -> Stream:
    from providerhub import get_provider

    provider: Any = get_provider(f"openai/{MODEL}")

    async def stream() -> int:
        texts = 0
        async for chunk in provider.create_async_generator(MODEL, MESSAGES, api_base=api_base, api_key="sk-bench"):
            texts += isinstance(chunk, str)
        return texts

    return stream


def raw_side(api_base: str, session: Any) -> Stream:
    """The same request bytes as the plugin's, the same events parsed, on one shared session."""
    url = api_base + "/chat/completions"
    body = json.dumps(
        {"model": MODEL, "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream, application/json",
        "Authorization": "Bearer sk-bench",
    }

    async def stream() -> int:
        texts, pending = 0, b""
        async with session.post(url, data=body, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_any():  # the cheapest read aiohttp offers
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if not line.startswith(b"data: "):
                        continue
                    data = line[6:]
                    if data == b"[DONE]":
                        return texts
                    for choice in json.loads(data)["choices"]:
                        if choice["delta"].get("content"):
                            texts += 1
        return texts

    return stream


async def rate(stream: Stream, streams: int, concurrency: int) -> tuple[float, float, int]:
    """Text chunks per second and client CPU seconds per chunk for ``streams`` streams at ``concurrency``."""
    left, chunks = streams, 0

    async def worker() -> None:
        nonlocal left, chunks
        while left > 0:
            left -= 1
            chunks += await stream()

    cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return chunks / wall, cpu / chunks, chunks


async def run(api_base: str, rounds: int, streams: int, events: int, concurrency: int) -> dict[str, float]:
    import aiohttp

    session = aiohttp.ClientSession(headers={"User-Agent": "bench"})
    sides = {"providerhub": providerhub_side(api_base), "raw aiohttp": raw_side(api_base, session)}
    for name, stream in sides.items():  # warm; and both must see every text chunk
        got = await stream()
        if got != events:
            raise RuntimeError(f"{name} read {got} text chunks, not {events}")
        await rate(stream, concurrency * 2, concurrency)
    per_s: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(rounds):
        for name in order if i % 2 == 0 else order[::-1]:
            r, c, _ = await rate(sides[name], streams, concurrency)
            per_s[name].append(r)
            cpu[name].append(c)
    await session.close()
    ours, raw = "providerhub", "raw aiohttp"
    return {
        "providerhub_chunks_per_s": statistics.median(per_s[ours]),
        "raw_chunks_per_s": statistics.median(per_s[raw]),
        "providerhub_cpu_us": statistics.median(cpu[ours]) * 1e6,
        "raw_cpu_us": statistics.median(cpu[raw]) * 1e6,
        "rate_ratio": statistics.median(a / b for a, b in zip(per_s[ours], per_s[raw], strict=True)),
        "cpu_ratio": statistics.median(a / b for a, b in zip(cpu[ours], cpu[raw], strict=True)),
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--streams", type=int, default=40, help="streams per side per round")
    parser.add_argument("--events", type=int, default=500, help="text deltas per stream")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    for name in ("HTTP_PROXY", "http_proxy"):  # the server is on loopback: straight to it, on both sides
        os.environ.pop(name, None)
    with serving_code(SERVER.format(events=args.events, model=MODEL) + RESPONDER) as api_base:
        row = asyncio.run(run(api_base, args.rounds, args.streams, args.events, args.concurrency))
    print(
        f"{args.events} text deltas per stream, {args.concurrency} streams at once: providerhub "
        f"{row['providerhub_chunks_per_s']:,.0f} chunks/s, {row['providerhub_cpu_us']:.1f} us CPU per chunk; "
        f"raw aiohttp {row['raw_chunks_per_s']:,.0f} chunks/s, {row['raw_cpu_us']:.1f} us = "
        f"{row['rate_ratio']:.2f}x chunks/s, {row['cpu_ratio']:.2f}x CPU per chunk"
    )
    return row


if __name__ == "__main__":
    main()
