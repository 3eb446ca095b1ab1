"""Fixtures for the OpenAI plugin tests: the stand-in server, a provider pointed at it, loopback only.

Every test talks only to 127.0.0.1: the proxy variables point at a refused loopback port and
only 127.0.0.1 bypasses them, so a request that would leave the machine (a provider still aimed
at a real service) fails at once instead of reaching it. No key variable is set unless a test sets it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from support.openai_standin import OpenAIStandin, openai_standin, serve_in_thread

from .helpers import KEY_VARIABLES, closed_url


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to anything but 127.0.0.1 go to a refused proxy; no provider key is set."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "ALL_PROXY", *KEY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    refused = closed_url()
    monkeypatch.setenv("HTTP_PROXY", refused)
    monkeypatch.setenv("HTTPS_PROXY", refused)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
async def server() -> AsyncIterator[OpenAIStandin]:
    """A stand-in server on the test's own event loop."""
    async with openai_standin() as standin:
        yield standin


@pytest.fixture
def threaded_server() -> Iterator[OpenAIStandin]:
    """A stand-in server on its own loop and thread, for sync callers and subprocesses."""
    with serve_in_thread() as standin:
        yield standin
