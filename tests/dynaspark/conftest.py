"""Fixtures for the Dynaspark tests: the stand-in server and a forward proxy.

Every test talks only to 127.0.0.1: the endpoint defaults to a closed loopback port, so a test
that forgets to point the provider somewhere fails fast instead of reaching the real service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from support.dynaspark_standin import Standin, serve_in_thread, standin
from support.net import ForwardProxy

from .helpers import closed_endpoint


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the provider at a refused loopback port unless a test says otherwise."""
    monkeypatch.setenv("DYNASPARK_API_ENDPOINT", closed_endpoint())


@pytest.fixture
async def dynaspark_server() -> AsyncIterator[Standin]:
    """A stand-in server on the test's own event loop."""
    async with standin() as server:
        yield server


@pytest.fixture
def threaded_server() -> Iterator[Standin]:
    """A stand-in server on its own loop and thread, for sync callers and subprocesses."""
    with serve_in_thread() as server:
        yield server


@pytest.fixture
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    """A forward proxy on the test's loop that records the request lines it forwarded."""
    proxy = await ForwardProxy().start()
    try:
        yield proxy
    finally:
        await proxy.close()
