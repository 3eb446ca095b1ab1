"""Fixtures shared by every test: a private model-index folder, a clean registry, a plugin site."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from providerhub import _default as hub
from providerhub import _keys as keys
from providerhub._settings import ROUTING_ENVIRONMENT
from support.plugins import IN_REPO_PLUGINS, PluginSite
from support.redis_server import redis_server  # noqa: F401  (a fixture: a real redis-server for one test)

pytest_plugins = ["pytester"]  # the contract kit's tests run inner pytest sessions


def pytest_collection_finish(session: pytest.Session) -> None:
    """What importing and collecting made lives for the whole run: frozen, it is not walked again by each
    of the garbage collections that leak checks run (the kit runs three after every call check)."""
    gc.freeze()


@pytest.fixture(autouse=True)
def isolated_hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no default hub built (so no registry, no code registrations, no router
    state) and its own index folder."""
    monkeypatch.setenv("PROVIDERHUB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in (
        "PROVIDERHUB_PLUGINS",
        "PROVIDERHUB_DISABLE_PLUGINS",
        "PROVIDERHUB_PREFER",
        "PROVIDERHUB_DEFAULT_MODEL",
        "PROVIDERHUB_STRICT_PLUGINS",
        "PROVIDERHUB_NO_CACHE",
        "DYNASPARK_API_ENDPOINT",
        *(name for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for name in (base, base.upper())),
        *ROUTING_ENVIRONMENT.values(),
    ):
        monkeypatch.delenv(name, raising=False)
    # the user's own files (keys, conversations) never leak in or out
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
    keys.forget()
    # a developer's own configuration file never leaks in: the default points at a missing file
    monkeypatch.setenv("PROVIDERHUB_CONFIG", str(tmp_path_factory.mktemp("config") / "absent.toml"))
    monkeypatch.setattr(hub, "_default", None)
    yield


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PluginSite:
    """A folder on sys.path for real dist-info plugins; installed plugins are left out of discovery."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PROVIDERHUB_DISABLE_PLUGINS", IN_REPO_PLUGINS)
    return PluginSite(root)
