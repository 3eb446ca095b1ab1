"""Choosing installed plugins and providers by name, and checking them (what ``providerhub check`` runs)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

from .._default import default_hub
from .._discovery import dist_key, entry_points, load_plugin, normalize, plugin_manager
from ..errors import PluginLoadWarning, ProviderHubError, ProviderNotFoundError
from ._checks import check_provider


class PluginCheck(NamedTuple):
    """One check's result on one installed provider (``provider`` is ``None`` for a fault of the plugin itself:
    it did not load, or a provider of it was left out)."""

    plugin: str
    provider: str | None
    check: str
    outcome: str
    reason: str


def check_installed(names: Sequence[str] = ()) -> list[PluginCheck]:
    """Run every check on the installed providers (all, or those of the plugins and providers named)
    that the default hub loads (``PROVIDERHUB_PLUGINS``, the configuration file's ``plugins``, ...).

    A name is a plugin (entry point or distribution name) or a provider name, in any case; a
    name that matches nothing is a ``ProviderNotFoundError`` listing what is installed.
    """
    wanted = {normalize(name): name for name in names}
    rows: list[PluginCheck] = []
    matched: set[str] = set()
    seen_plugins: list[str] = []
    seen_providers: list[str] = []
    taken: dict[str, str] = {}  # provider names across plugins: a clash is a failure of the later plugin
    hub = default_hub()  # the plugins it loads: PROVIDERHUB_PLUGINS, the configuration file, ...
    for ep in entry_points(hub.plugins, hub.disable_plugins, strict=hub.strict):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginLoadWarning)  # the failure becomes a row instead
            try:
                info, loaded = load_plugin(ep, plugin_manager(), taken, strict=hub.strict)
                error = info.error
            except ProviderHubError as exc:  # PROVIDERHUB_STRICT_PLUGINS=1
                loaded, error = [], str(exc)
        seen_plugins.append(ep.name)
        plugin_keys = {normalize(ep.name), dist_key(ep)} - {""}
        whole = not wanted or bool(plugin_keys & wanted.keys())
        matched.update(plugin_keys & wanted.keys())
        if error and whole:
            rows.append(PluginCheck(ep.name, None, "check_registration", "failed", " ".join(error.split())))
        for record, cls in loaded:
            seen_providers.append(record.name)
            key = normalize(record.name)
            if not whole and key not in wanted:
                continue
            matched.add(key)
            for result in check_provider(cls):
                rows.append(PluginCheck(ep.name, record.name, result.check, result.outcome, result.reason))
    missing = [name for key, name in wanted.items() if key not in matched]
    if missing:
        known = ", ".join([*seen_plugins, *seen_providers]) or "none (no plugin is installed)"
        raise ProviderNotFoundError(
            f"no installed plugin or provider named {', '.join(map(repr, missing))}; installed: {known}"
        )
    return rows
