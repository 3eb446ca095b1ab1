"""Image parts of a request turned into image bytes: ``data:`` URIs, and remote URLs when allowed.

No file path from a request is ever opened. A remote image is fetched only with
``--allow-remote-images``, only over http(s), only from public addresses (checked on the
addresses DNS gives, which are then the ones connected to, and again on every redirect),
and within a size cap and a time limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import MediaError
from ..media import image_type, to_bytes
from ..types import MediaListType
from ._errors import ApiError, bad_request
from ._parse import ImageRef
from ._settings import Settings

MAX_REDIRECTS = 3
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether an address is a public one (not loopback, private, link-local, reserved or multicast)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _too_large(ref: ImageRef, settings: Settings) -> ApiError:
    return bad_request(
        f"the image at {ref.param} is larger than {settings.max_image_bytes} bytes", ref.param, "image_too_large"
    )


def _checked(data: bytes, ref: ImageRef, settings: Settings) -> bytes:
    if len(data) > settings.max_image_bytes:
        raise _too_large(ref, settings)
    try:
        image_type(data, "the image")
    except MediaError as exc:
        raise bad_request(f"{ref.param}: {exc}", ref.param, "invalid_image") from None
    return data


def _from_data_uri(ref: ImageRef, settings: Settings) -> bytes:
    # base64 takes 4 characters for 3 bytes: refuse an oversized one before decoding it
    if len(ref.url) > settings.max_image_bytes * 4 // 3 + 256:
        raise _too_large(ref, settings)
    try:
        data = to_bytes(ref.url)
    except MediaError as exc:
        raise bad_request(f"{ref.param}: {exc}", ref.param, "invalid_image") from None
    return _checked(data, ref, settings)


class _PublicResolver:
    """An aiohttp resolver that gives only public addresses, so a name cannot lead to this network."""

    def __init__(self, allowed: Callable[[Address], bool]):
        self.allowed = allowed

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=socket.AF_UNSPEC)
        except OSError as exc:
            raise OSError(f"cannot resolve {host!r}: {exc.strerror or exc}") from None
        hosts = []
        for fam, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if not self.allowed(address):
                raise _Refused(f"{host!r} resolves to {address}, which is not a public address")
            hosts.append(
                {"hostname": host, "host": str(address), "port": port, "family": fam, "proto": proto, "flags": 0}
            )
        return hosts

    async def close(self) -> None:
        pass


class _Refused(OSError):
    """A remote image's host is not a public address."""


def _check_url(url: str, allowed: Callable[[Address], bool]) -> None:
    from yarl import URL

    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Refused(f"{url[:80]!r} is not an http(s) URL")
    try:
        address = ipaddress.ip_address(parsed.host.strip("[]"))
    except ValueError:
        return  # a name: checked by the resolver, on the addresses connected to
    if not allowed(address):
        raise _Refused(f"{parsed.host} is not a public address")


async def fetch(ref: ImageRef, settings: Settings, allowed: Callable[[Address], bool] = is_public) -> bytes:
    """Download a remote image within the settings' size cap and time limit, from allowed addresses only."""
    import aiohttp
    from yarl import URL

    connector = aiohttp.TCPConnector(resolver=_PublicResolver(allowed), use_dns_cache=False, force_close=True)  # type: ignore[arg-type]
    timeout = aiohttp.ClientTimeout(total=settings.image_timeout)
    url = ref.url
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as session:
            for _ in range(MAX_REDIRECTS + 1):
                _check_url(url, allowed)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        url = str(response.url.join(URL(response.headers["Location"])))
                        continue
                    if response.status != 200:
                        raise _Refused(f"the image URL answered HTTP {response.status}")
                    declared = response.content_length
                    if declared is not None and declared > settings.max_image_bytes:
                        raise _too_large(ref, settings)
                    data = bytearray()
                    async for block in response.content.iter_chunked(65536):
                        data += block
                        if len(data) > settings.max_image_bytes:
                            break
                    return _checked(bytes(data), ref, settings)
            raise _Refused(f"more than {MAX_REDIRECTS} redirects")
    except ApiError:
        raise
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
        cause = getattr(exc, "os_error", None)  # aiohttp wraps the resolver's refusal
        if isinstance(cause, _Refused):
            exc = cause
        reason = str(exc) or ("timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__)
        raise bad_request(
            f"cannot fetch the image at {ref.param}: {' '.join(reason.split())}", ref.param, "invalid_image_url"
        ) from None


async def load(refs: Sequence[ImageRef], settings: Settings) -> MediaListType:
    """The images of a request, in order, as ``media`` for the call API."""
    media: MediaListType = []
    for ref in refs:
        scheme = ref.url.split(":", 1)[0].lower() if ":" in ref.url else ""
        if scheme == "data":
            media.append((_from_data_uri(ref, settings), None))
        elif scheme in ("http", "https"):
            if not settings.allow_remote_images:
                raise bad_request(
                    f"{ref.param}: remote image URLs are not fetched by this server; send the image as a "
                    "data: URI (base64), or start the server with --allow-remote-images",
                    ref.param,
                    "remote_images_disabled",
                )
            media.append((await fetch(ref, settings), None))
        else:
            raise bad_request(
                f"{ref.param}: an image must be a data: URI (or an http(s) URL), not {ref.url[:40]!r}",
                ref.param,
                "invalid_image_url",
            )
    return media
