"""Fixtures for the command-line tests: no plugins, a catalog of fixture plugins, the Dynaspark stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cli import CLI, ECHO_SOURCE, SLOW_SOURCE
from support.images import PNG
from support.plugins import IN_REPO_PLUGINS, PluginSite, provider_source
from support.sample_providers import SAMPLES_SOURCE


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """The command with no plugins at all (``PROVIDERHUB_PLUGINS`` empty)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PROVIDERHUB_DEBUG"))}
    env["PROVIDERHUB_PLUGINS"] = ""
    for name in ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG"):
        env.pop(name, None)  # any PYTHONDEVMODE value, even "0", turns development mode on
    return CLI(env, tmp_path)


@pytest.fixture
def catalog(cli: CLI, plugin_site: PluginSite) -> CLI:
    """Alpha (priority 5, vision gpt-4o), Beta (priority 1), Gamma (priority 9, not working), Slow and Faulty.

    A broken plugin is installed too, and discovered when a test passes ``PROVIDERHUB_PLUGINS=WITH_BROKEN``.
    """
    plugin_site.add(
        "alpha",
        provider_source("Alpha", ["gpt-4o", "gpt-4o-mini"], aliases={"4o": "gpt-4o"}, vision=["gpt-4o"], priority=5),
    )
    plugin_site.add(
        "beta", provider_source("Beta", ["gpt-4o", "llama-3"], aliases={"llama": "llama-3"}, priority=1), version="2.1"
    )
    plugin_site.add("gamma", provider_source("Gamma", ["gpt-4o"], priority=9, working=False))
    plugin_site.add("broken", "import not_a_module_anywhere_xyz\n")
    plugin_site.add("slow", SLOW_SOURCE)
    cli.extra.update(
        PYTHONPATH=str(plugin_site.root),
        PROVIDERHUB_PLUGINS="alpha,beta,gamma,slow",
        PROVIDERHUB_DISABLE_PLUGINS=IN_REPO_PLUGINS,
    )
    return cli


@pytest.fixture
def echo(cli: CLI, plugin_site: PluginSite) -> CLI:
    """Echo (answers with what it received, options declared), Locked (needs a key) and Single (one image)."""
    plugin_site.add("echo", ECHO_SOURCE)
    cli.extra.update(
        PYTHONPATH=str(plugin_site.root),
        PROVIDERHUB_PLUGINS="echo",
        PROVIDERHUB_DISABLE_PLUGINS="providerhub-dynaspark",
    )
    return cli


@pytest.fixture
def samples(cli: CLI, plugin_site: PluginSite) -> CLI:
    """Plain (sync only), Leaky (leaks raw aiohttp errors, posting to $LEAKY_URL) and Metered (events)."""
    plugin_site.add("samples", SAMPLES_SOURCE)
    cli.extra.update(
        PYTHONPATH=str(plugin_site.root),
        PROVIDERHUB_PLUGINS="samples",
        PROVIDERHUB_DISABLE_PLUGINS=IN_REPO_PLUGINS,
    )
    return cli


@pytest.fixture
def standin(cli: CLI) -> Iterator[tuple[CLI, Any]]:
    """The command with only the installed Dynaspark plugin, pointed at a local stand-in server."""
    from support.dynaspark_standin import serve_in_thread

    with serve_in_thread() as server:
        cli.extra.update(PROVIDERHUB_PLUGINS="providerhub-dynaspark", DYNASPARK_API_ENDPOINT=server.url)
        yield cli, server


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    return path
