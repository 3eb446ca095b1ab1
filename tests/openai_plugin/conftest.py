"""Fixtures for the OpenAI plugin tests: the stand-in server, a provider pointed at it, loopback only.

Every test talks only to 127.0.0.1: the proxy variables point at a refused loopback port and
only 127.0.0.1 bypasses them, so a request that would leave the machine (a provider still aimed
at a real service) fails at once instead of reaching it. No key variable is set unless a test sets it.

(The folder is not named ``openai``: with ``tests/`` on ``sys.path`` it would shadow the official
``openai`` client that the server's tests import.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from support.cli import Script as CLI
from support.net import closed_url
from support.openai_standin import OpenAIStandin, openai_standin, serve_in_thread
from support.processes import clean_environ

from .helpers import KEY_VARIABLES


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
    return CLI(clean_environ(tmp_path / "cache", PROVIDERHUB_PLUGINS="providerhub-openai"), tmp_path)


def aim(path: Path, server: OpenAIStandin) -> Path:
    """Write a ``providerhub.toml`` at ``path`` pointing ``ollama`` and ``groq`` at ``server`` and adding
    ``standin`` (from ``openai``, key in ``$SK``, model ``standin-1``)."""
    path.write_text(
        f"""
[providers.ollama]
api_base = "{server.base}"

[providers.groq]
api_base = "{server.base}"

[providers.standin]
from = "openai"
api_base = "{server.base}"
api_key_env = "SK"
models = ["standin-1"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def configured(tmp_path: Path, server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default hub reads a configuration file aiming the installed presets at the stand-in (see ``aim``)."""
    path = aim(tmp_path / "providerhub.toml", server)
    monkeypatch.setenv("PROVIDERHUB_CONFIG", str(path))
    monkeypatch.setenv("PROVIDERHUB_PLUGINS", "providerhub-openai")
    return path


@pytest.fixture
def aimed(command: CLI, tmp_path: Path, threaded_server: OpenAIStandin) -> CLI:
    """The command with a configuration file aiming the installed presets at the stand-in (see ``aim``)."""
    path = aim(tmp_path / "providerhub.toml", threaded_server)
    command.extra.update(PROVIDERHUB_CONFIG=str(path))
    return command
