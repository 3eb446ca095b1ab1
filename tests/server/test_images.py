"""Remote image fetching in-process, against a local server: the caps, redirects and address checks.

The gateway never fetches from this machine; here the address check is swapped for one that
allows loopback, so the rest of the fetch can be tested without leaving it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from providerhub.server._errors import ApiError
from providerhub.server._images import fetch, is_public, load
from providerhub.server._parse import ImageRef
from providerhub.server._settings import Settings
from support.apps import serve_app
from support.images import PNG, data_uri

SETTINGS = Settings(allow_remote_images=True, max_image_bytes=4096, image_timeout=1.0)


def loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback


@pytest.fixture
async def images() -> AsyncIterator[str]:
    async def png(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # no Content-Length: the cap must hold while reading
        await response.prepare(request)
        for _ in range(10):
            await response.write(bytes(1024))
        return response

    async def redirect(request: web.Request) -> web.Response:
        hops = int(request.query.get("hops", "0"))
        target = f"/redirect?hops={hops - 1}" if hops > 0 else "/png"
        raise web.HTTPFound(target)

    async def slow(request: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(5)
        return web.Response(body=PNG)

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="<html>not an image</html>", content_type="text/html")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=PNG + bytes(8192), content_type="image/png")  # refused by its Content-Length

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/png", png)
    app.router.add_get("/huge", huge)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/slow", slow)
    app.router.add_get("/text", text)
    app.router.add_get("/missing", missing)
    app.router.add_get("/big", big)
    async with serve_app(app, shutdown_timeout=0.1) as url:
        yield url


def ref(url: str) -> ImageRef:
    return ImageRef(url, "messages[0].content[0].image_url.url")


async def test_fetch_within_the_caps(images: str) -> None:
    assert await fetch(ref(images + "/png"), SETTINGS, loopback) == PNG
    assert await fetch(ref(images + "/redirect?hops=2"), SETTINGS, loopback) == PNG
    assert await fetch(ref(images.replace("127.0.0.1", "localhost") + "/png"), SETTINGS, loopback) == PNG


@pytest.mark.parametrize(
    ("path", "code", "fragment"),
    [
        ("/huge", "image_too_large", "larger than 4096 bytes"),
        ("/big", "image_too_large", "larger than 4096 bytes"),
        ("/redirect?hops=5", "invalid_image_url", "more than 3 redirects"),
        ("/slow", "invalid_image_url", "timed out"),
        ("/text", "invalid_image", "not a png, jpeg, gif or webp image"),
        ("/missing", "invalid_image_url", "HTTP 404"),
    ],
)
async def test_fetch_refusals(images: str, path: str, code: str, fragment: str) -> None:
    with pytest.raises(ApiError) as caught:
        await fetch(ref(images + path), SETTINGS, loopback)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert fragment in caught.value.message
    assert caught.value.param == "messages[0].content[0].image_url.url"


async def test_the_real_check_refuses_this_machine(images: str) -> None:
    with pytest.raises(ApiError, match="not a public address"):
        await fetch(ref(images + "/png"), SETTINGS)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "100.64.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))


async def test_data_uri_size_cap() -> None:

    big = data_uri(PNG + bytes(5000))
    with pytest.raises(ApiError) as caught:
        await load([ref(big)], SETTINGS)
    assert caught.value.code == "image_too_large"
    assert await load([ref(data_uri(PNG))], SETTINGS) == [(PNG, None)]


async def test_a_path_is_never_opened(tmp_path: object) -> None:
    for url in ("/etc/hostname", "file:///etc/hostname", "C:\\\\x.png", "ftp://example.com/x.png"):
        with pytest.raises(ApiError) as caught:
            await load([ref(url)], SETTINGS)
        assert caught.value.code == "invalid_image_url"
