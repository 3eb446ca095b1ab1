"""Fixtures for the OpenAI plugin tests: the stand-in server, a provider pointed at it, loopback only.

Every test talks only to 127.0.0.1: the proxy variables point at a refused loopback port and
only 127.0.0.1 bypasses them, so a request that would leave the machine (a provider still aimed
at a real service) fails at once instead of reaching it. No key variable is set unless a test sets it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cli.clitools import CLI
from support.openai_standin import OpenAIStandin, openai_standin, serve_in_thread
from support.plugins import PluginSite

from .helpers import KEY_VARIABLES, closed_url, plugin_source


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


@pytest.fixture
def command(tmp_path: Path) -> CLI:
    """The installed ``providerhub`` script with only the in-repo OpenAI plugin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PROVIDERHUB_DEBUG"))}
    for name in ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG"):
        env.pop(name, None)
    env["PROVIDERHUB_PLUGINS"] = "providerhub-openai"
    return CLI(env, tmp_path)


@pytest.fixture
def aimed(command: CLI, plugin_site: PluginSite, threaded_server: OpenAIStandin) -> CLI:
    """The command with a plugin whose ``standin`` (from openai), ``ollama`` and ``groq`` reach the stand-in."""
    providers = {
        "standin": {"from": "openai", "api_base": threaded_server.base, "models": ["standin-1"], "api_key_env": "SK"},
        "ollama": {"from": "ollama", "api_base": threaded_server.base},
        "groq": {"from": "groq", "api_base": threaded_server.base},
    }
    plugin_site.add("aimed", plugin_source(providers))
    command.extra.update(PYTHONPATH=str(plugin_site.root), PROVIDERHUB_PLUGINS="aimed")
    return command
