"""raise_for_status against a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub import AuthenticationError, RateLimitError, ResponseError, raise_for_status
from providerhub.http import (
    getenv,
    iter_lines,
    loads_json,
    read_body,
    redact,
    redact_url,
    retry_after,
    summarize,
    timeout_seconds,
)

aiohttp = pytest.importorskip("aiohttp")
from aiohttp import web  # noqa: E402

from support.apps import serve_app  # noqa: E402

HTML = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>" + "x" * 5000 + "</body></html>"


async def answer(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    if request.query.get("html"):
        return web.Response(status=status, text=HTML, content_type="text/html")
    return web.Response(status=status, text="quota exceeded " * 40)


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/{status}", answer)
    async with serve_app(app) as url:
        yield url


async def status_error(base_url: str, path: str) -> BaseException | None:
    async with aiohttp.ClientSession() as session, session.get(base_url + path) as response:
        try:
            await raise_for_status(response, "Demo")
        except ResponseError as exc:
            return exc
    return None


@pytest.mark.parametrize(
    ("status", "cls"),
    [(429, RateLimitError), (401, AuthenticationError), (403, AuthenticationError), (502, ResponseError)],
)
async def test_status_maps_to_error_class(base_url: str, status: int, cls: type[ResponseError]) -> None:
    exc = await status_error(base_url, f"/{status}")
    assert type(exc) is cls
    assert exc.status == status  # type: ignore[union-attr]
    text = str(exc)
    assert text.startswith(f"Demo: GET {base_url}/{status} answered HTTP {status}")
    assert "quota exceeded" in text and len(exc.excerpt) <= 203  # type: ignore[union-attr]


async def test_html_error_page_is_summarised(base_url: str) -> None:
    exc = await status_error(base_url, "/500?html=1")
    assert exc is not None
    assert "HTML page, status 500: 'Just a moment...'" in str(exc)
    assert "<html" not in str(exc) and "xxxx" not in str(exc)


async def test_success_passes(base_url: str) -> None:
    assert await status_error(base_url, "/200") is None


def test_summarize_plain_and_empty() -> None:
    assert summarize(b"  a \n b  ", 500) == "a b"
    assert summarize(b"", 500) == "empty body"
    assert summarize(b"<html><body>hi</body></html>", 503) == "HTML page, status 503"


# -- bounded bodies, Retry-After, secrets ---------------------------------------------------------


async def endless(request: web.Request) -> web.StreamResponse:
    """A body that does not end for 20 s (bounded, should a client keep reading)."""
    response = web.StreamResponse(status=int(request.query.get("status", "200")))
    await response.prepare(request)
    deadline = asyncio.get_running_loop().time() + 20
    with contextlib.suppress(ConnectionError):
        while asyncio.get_running_loop().time() < deadline:
            await response.write(b"x" * 65536)
            await asyncio.sleep(0.001)
    return response


async def with_retry_after(request: web.Request) -> web.Response:
    return web.Response(status=503, text="busy", headers={"Retry-After": request.query["after"]})


async def sized(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * int(request.query["n"]), content_type="application/json")


@pytest.fixture
async def hostile_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/retry", with_retry_after)
    app.router.add_get("/sized", sized)
    async with serve_app(app) as url:
        yield url


async def test_read_body_stops_at_the_cap(hostile_url: str) -> None:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(hostile_url + "/endless?key=s3cr3t") as response:
        with pytest.raises(ResponseError, match=r"answered more than 100,000 bytes") as caught:
            await read_body(response, 100_000, provider="Demo")
    assert caught.value.status == 200
    assert "s3cr3t" not in str(caught.value) and "key=***" in str(caught.value)
    assert time.monotonic() - started < 10


async def test_read_body_reads_the_cap_from_the_environment_at_each_call(
    hostile_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def read(size: int) -> bytes:
        async with aiohttp.ClientSession() as session, session.get(f"{hostile_url}/sized?n={size}") as response:
            return await read_body(response)

    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "1000")
    with pytest.raises(ResponseError, match=r"answered more than 1,000 bytes"):
        await read(2000)
    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "3000")
    assert await read(2000) == b"x" * 2000
    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "1_500")
    with pytest.raises(ResponseError, match=r"answered more than 1,500 bytes"):
        await read(2000)
    monkeypatch.delenv("PROVIDERHUB_MAX_RESPONSE_BYTES")
    assert await read(2000) == b"x" * 2000
    monkeypatch.setenv("PROVIDERHUB_MAX_RESPONSE_BYTES", "lots")
    with pytest.raises(ValueError, match="PROVIDERHUB_MAX_RESPONSE_BYTES must be a positive whole number"):
        await read(10)


_NAME = "PROVIDERHUB_TEST_GETENV"


def test_getenv_sees_every_change_between_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_NAME, raising=False)
    assert getenv(_NAME) is None
    monkeypatch.setenv(_NAME, "one")
    assert getenv(_NAME) == "one"
    assert getenv(_NAME) is getenv(_NAME)  # an unchanged value is one str, not a new one per read
    monkeypatch.setenv(_NAME, "two")
    assert getenv(_NAME) == "two"
    os.environ[_NAME] = "one"  # the first value again, set another way
    assert getenv(_NAME) == "one"
    monkeypatch.setenv(_NAME, "")
    assert getenv(_NAME) == ""
    monkeypatch.delenv(_NAME)
    assert getenv(_NAME) is None
    with mock.patch.dict(os.environ, {_NAME: "patched"}):
        assert getenv(_NAME) == "patched"
    assert getenv(_NAME) is None


@given(st.lists(st.one_of(st.none(), st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")))))
def test_getenv_answers_as_os_environ_get(values: list[str | None]) -> None:
    try:
        for value in values:
            if value is None:
                os.environ.pop(_NAME, None)
            else:
                os.environ[_NAME] = value
            assert getenv(_NAME) == os.environ.get(_NAME)
    finally:
        os.environ.pop(_NAME, None)


def test_getenv_reads_a_mapping_put_in_place_of_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", {_NAME: "elsewhere"})
    assert getenv(_NAME) == "elsewhere"


async def test_an_endless_error_body_gives_a_bounded_excerpt(hostile_url: str) -> None:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(hostile_url + "/endless?status=500") as response:
        with pytest.raises(ResponseError) as caught:
            await raise_for_status(response)
    assert caught.value.status == 500 and len(caught.value.excerpt) <= 203
    assert time.monotonic() - started < 10, "only the first 64 KiB of an error body is read"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("30", 30.0), ("0", 0.0), ("-5", None), ("later", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
async def test_raise_for_status_reads_retry_after(hostile_url: str, header: str, expected: float | None) -> None:
    async with aiohttp.ClientSession() as session, session.get(hostile_url + "/retry", params={"after": header}) as r:
        with pytest.raises(ResponseError) as caught:
            await raise_for_status(r)
    assert caught.value.retry_after == expected and caught.value.retryable


def test_retry_after_from_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after({"Retry-After": formatdate(now + 90, usegmt=True)}, now=now) == 90.0
    assert retry_after({"Retry-After": "999999999999"}) == 7 * 24 * 3600
    assert retry_after({}) is None and retry_after(None) is None


@given(st.text(max_size=80))
def test_retry_after_never_raises_and_is_never_negative(header: str) -> None:
    value = retry_after({"Retry-After": header})
    assert value is None or 0 <= value <= 7 * 24 * 3600


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pw@host:8080/p?key=abc&x=1&flag", "http://host:8080/p?key=***&x=***&flag"),
        ("https://host/path", "https://host/path"),
        ("http://user:pw@[bad/", "http://[bad/"),
        ("socks5://:tok@127.0.0.1:1080", "socks5://127.0.0.1:1080"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    st.text(min_size=1, max_size=20),
)
def test_redact_hides_planted_secrets(password: str, token: str) -> None:
    password, token = "P" + password.replace("@", "") + "P", "T" + token + "T"
    url = f"http://user:{quote(password, safe='')}@example.test/x?key={quote(token, safe='')}"
    text = redact(f"failed: url='{url}' (see {url})")
    assert quote(password, safe="") not in text and quote(token, safe="") not in text


@pytest.mark.parametrize("start", ["[", '{"a": '])
@pytest.mark.parametrize("kind", [str, bytes])
def test_loads_json_turns_deep_nesting_into_value_error(start: str, kind: type) -> None:
    text = start * 100_000 + "1" + start[0].replace("[", "]").replace("{", "}") * 100_000
    with pytest.raises(ValueError, match="nested too deeply"):
        loads_json(text if kind is str else text.encode())


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _outcome(parse: Any, body: bytes | str) -> tuple[str, object]:
    try:
        return "value", parse(body)
    except ValueError as exc:
        return type(exc).__name__, str(exc)


@given(
    value=_JSON,
    before=st.sampled_from(["", " ", "\n\t", "\ufeff"]),
    after=st.sampled_from(["", " \r\n", "x", " ]", "{}", "\x00"]),
    encoding=st.sampled_from([None, "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]),
    cut=st.integers(min_value=0, max_value=3),
)
def test_loads_json_answers_as_json_loads_does(
    value: object, before: str, after: str, encoding: str | None, cut: int
) -> None:
    text = before + json.dumps(value, ensure_ascii=False) + after
    body: bytes | str = text if encoding is None else text.encode(encoding, "surrogatepass")
    assert _outcome(loads_json, body) == _outcome(json.loads, body)
    assert _outcome(loads_json, body[: len(body) - cut]) == _outcome(json.loads, body[: len(body) - cut])


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), 10**400, "3", None, True])
def test_timeout_seconds_rejects_what_is_not_finite_and_positive(value: object) -> None:
    with pytest.raises(ValueError, match="timeout must be a"):
        timeout_seconds(value)
    assert timeout_seconds(2) == 2.0


async def lines(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for piece in (b"data: one\r\n\r\nda", b"ta: two\n", b"x" * int(request.query.get("long", "0")), b"\nlast"):
        await response.write(piece)
    return response


@pytest.fixture
async def lines_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/", lines)
    async with serve_app(app) as url:
        yield url + "/"


async def test_iter_lines_splits_across_chunks(lines_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(lines_url) as response:
        got = [line async for line in iter_lines(response)]
    assert got == [b"data: one", b"", b"data: two", b"", b"last"]


async def test_iter_lines_bounds_a_line(lines_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(lines_url + "?long=5000") as response:
        with pytest.raises(ResponseError, match="sent a line longer than 1,000 bytes"):
            async for _ in iter_lines(response, max_line=1000):
                pass
