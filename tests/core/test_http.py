"""raise_for_status against a real aiohttp server on loopback."""

from __future__ import annotations

import pytest

from providerhub import AuthenticationError, RateLimitError, ResponseError, raise_for_status
from providerhub.http import summarize

aiohttp = pytest.importorskip("aiohttp")
from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

HTML = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>" + "x" * 5000 + "</body></html>"


async def answer(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    if request.query.get("html"):
        return web.Response(status=status, text=HTML, content_type="text/html")
    return web.Response(status=status, text="quota exceeded " * 40)


@pytest.fixture
async def base_url() -> str:  # type: ignore[misc]
    app = web.Application()
    app.router.add_get("/{status}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url(""))
    await server.close()


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
