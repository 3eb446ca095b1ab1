"""A hostile or broken service: bounded bodies, typed errors, short messages, Retry-After, no secrets."""

from __future__ import annotations

import asyncio
import gzip
import io
import threading
import time
import traceback
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from providerhub import (
    MediaError,
    OptionsError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from providerhub_dynaspark import Dynaspark
from support.dynaspark_standin import Standin
from support.images import PNG
from support.net import ForwardProxy

from .helpers import HELLO

pytestmark = pytest.mark.installed

PASSWORD, TOKEN = "pa55-PLANTED", "tok-PLANTED"


def shown(error: BaseException) -> str:
    """Everything a user may see of an error: message, repr, and the traceback with its chain."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


async def fault(**kwargs: Any) -> BaseException:
    with pytest.raises(Exception) as caught:
        async for _ in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, **kwargs):
            pass
    return caught.value


async def test_gzip_bomb_ends_within_the_cap(dynaspark_server: Standin) -> None:
    bomb = gzip.compress(b"0" * (40 * 1024 * 1024), 9)
    assert len(bomb) < 100_000
    dynaspark_server.respond_with(body=bomb, content_type="application/json", headers={"Content-Encoding": "gzip"})
    error = await fault(api_endpoint=dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 200
    assert "more than 16,777,216 bytes" in str(error)


async def test_the_cap_is_configurable(dynaspark_server: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "1000")
    dynaspark_server.respond_with(json={"response": "x" * 2000})
    error = await fault(api_endpoint=dynaspark_server.url)
    assert type(error) is ResponseError and "more than 1,000 bytes" in str(error)
    dynaspark_server.respond_with(json={"response": "x" * 900})
    answer = [
        c async for c in Dynaspark.create_async_generator("gemini-1.5-flash", HELLO, api_endpoint=dynaspark_server.url)
    ]
    assert answer == ["x" * 900]


async def test_deep_json_is_a_response_error(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(body="[" * 200_000 + "]" * 200_000, content_type="application/json")
    error = await fault(api_endpoint=dynaspark_server.url)
    assert type(error) is ResponseError
    assert "nested too deeply" in str(error)
    assert "RecursionError" not in shown(error)


async def test_a_huge_object_gives_a_short_message(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(json={f"key{i}": i for i in range(200_000)})
    error = await fault(api_endpoint=dynaspark_server.url)
    assert type(error) is ResponseError
    assert "and 199980 more" in str(error)
    assert len(str(error)) < 1000


async def test_redirect_loop_is_a_response_error(dynaspark_server: Standin) -> None:
    dynaspark_server.respond_with(status=307, body="", headers={"Location": dynaspark_server.url})
    error = await fault(api_endpoint=dynaspark_server.url)
    assert type(error) is ResponseError and error.status == 307
    assert "kept redirecting" in str(error)
    assert "message=''" not in str(error) and not str(error).startswith("0,")
    assert len(dynaspark_server.requests) <= 11


async def test_unsupported_scheme_is_a_connection_error() -> None:
    error = await fault(api_endpoint=f"ftp://user:{PASSWORD}@127.0.0.1:1/x?key={TOKEN}")
    assert type(error) is ProviderConnectionError
    assert "is not an http:// or https:// URL" in str(error)
    assert PASSWORD not in shown(error) and TOKEN not in shown(error)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("1.5", 1.5), ("soon", None), ("in 60 s", 60)],
)
async def test_retry_after_is_read(dynaspark_server: Standin, header: str, expected: float | None) -> None:
    if header == "in 60 s":
        header = formatdate(time.time() + 60, usegmt=True)  # an HTTP date, made when the test runs
    dynaspark_server.respond_with(status=429, json={"error": "slow down"}, headers={"Retry-After": header})
    error = await fault(api_endpoint=dynaspark_server.url)
    assert isinstance(error, RateLimitError) and error.retryable
    assert error.retry_after == (None if expected is None else pytest.approx(expected, abs=2))


async def test_endpoint_secrets_are_masked(dynaspark_server: Standin) -> None:
    url = dynaspark_server.url.replace("http://", f"http://user:{PASSWORD}@") + f"?key={TOKEN}"
    dynaspark_server.respond_with(status=500, json={"error": "boom"})
    error = await fault(api_endpoint=url)
    assert isinstance(error, ResponseError)
    for text in (shown(error), str(error.url)):
        assert PASSWORD not in text and TOKEN not in text
    assert "key=***" in str(error)


@pytest.mark.parametrize("proxy", [f"http://user:{PASSWORD}@[bad/", f"socks5://user:{PASSWORD}@127.0.0.1:1"])
async def test_an_invalid_proxy_url_is_the_callers_error_and_masked(proxy: str) -> None:
    error = await fault(proxy=proxy)
    assert isinstance(error, OptionsError)  # refused before any connection
    assert PASSWORD not in shown(error)


async def test_a_407_from_the_proxy_is_masked(dynaspark_server: Standin) -> None:
    proxy = RefusingProxy()
    await proxy.start()
    try:
        url = proxy.url.replace("http://", f"http://user:{PASSWORD}@")
        error = await fault(api_endpoint="https://127.0.0.1:1/generate_response", proxy=url)
    finally:
        await proxy.close()
    assert type(error) is ProviderConnectionError and error.status == 407
    assert "the proxy answered HTTP 407" in str(error)
    assert PASSWORD not in shown(error)


class RefusingProxy(ForwardProxy):
    """A proxy that answers every request (CONNECT included) with 407."""

    async def _serve(self, reader: Any, writer: Any) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        finally:
            writer.close()


# -- media inside the provider ---------------------------------------------------------------------


async def test_a_blocking_image_source_does_not_freeze_the_loop(tmp_path: Path) -> None:
    release = threading.Event()

    class Stuck(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            release.wait(10)
            return PNG

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    try:
        error = await fault(media=[(Stuck(), "a.png")], timeout=0.5)
    finally:
        ticker.cancel()
        release.set()
    assert isinstance(error, ProviderTimeoutError)
    assert time.monotonic() - started < 5
    assert ticks >= 10, "the loop kept running while the image was read"


async def test_a_three_tuple_is_a_media_error() -> None:
    error = await fault(media=[(PNG, "a.png", "extra")])
    assert isinstance(error, MediaError) and "3-tuple" in str(error)


async def test_control_characters_in_a_file_name_are_escaped(dynaspark_server: Standin) -> None:
    chunks = [
        c
        async for c in Dynaspark.create_async_generator(
            "gemini-1.5-flash", HELLO, media=[(PNG, "evil\x1b[2J\x07.png")], api_endpoint=dynaspark_server.url
        )
    ]
    assert chunks
    (request,) = dynaspark_server.requests
    assert request.file is not None and request.file[0] == "evil%1B[2J%07.png"
