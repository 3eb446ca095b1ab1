"""Fixtures for the gateway tests: the test providers and the Dynaspark stand-in behind one server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.event_providers import SOURCE
from support.gateway import Gateway, serve
from support.plugins import PluginSite
from support.processes import clean_environ


@pytest.fixture(scope="session")
def standin_server() -> Iterator[Any]:
    from support.dynaspark_standin import serve_in_thread  # aiohttp: not there in the core-only env

    with serve_in_thread() as server:
        yield server


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> PluginSite:
    root = tmp_path_factory.mktemp("site")
    site = PluginSite(root)
    site.add("events", SOURCE)
    site.add("broken", "import not_a_module_anywhere_xyz\n")  # discovered only where PROVIDERHUB_PLUGINS names it
    return site


@pytest.fixture(scope="session")
def closed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the stalling provider records each answer it closed (one line each)."""
    return tmp_path_factory.mktemp("stall") / "closed.txt"


@pytest.fixture(scope="session")
def server_env(
    site: PluginSite, standin_server: Any, closed_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    return clean_environ(
        tmp_path_factory.mktemp("cache"),
        PYTHONPATH=str(site.root),
        PROVIDERHUB_PLUGINS="events,providerhub-dynaspark",
        DYNASPARK_API_ENDPOINT=standin_server.url,
        STALL_CLOSED_FILE=str(closed_file),
        # one gateway serves many tests: each meets its provider's failure afresh, not a cooldown an
        # earlier test started, and without retries
        PROVIDERHUB_COOLDOWN="0.001",
        PROVIDERHUB_RETRIES="0",
    )


@pytest.fixture(scope="session")
def gateway(server_env: dict[str, str]) -> Iterator[Gateway]:
    """One server with default settings, shared by the tests that need nothing special."""
    with serve(env=server_env) as server:
        yield server


@pytest.fixture
def start(server_env: dict[str, str]) -> Iterator[Callable[..., Gateway]]:
    """Start a server of one's own (``start("--api-key", "k")``); stopped after the test."""
    started: list[Gateway] = []

    def starter(*flags: str, module: bool = False, **env: str) -> Gateway:
        server = serve(*flags, env={**server_env, **env}, module=module)
        started.append(server)
        return server

    yield starter
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def client(gateway: Gateway) -> Any:
    import openai

    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0, timeout=30) as c:
        yield c
