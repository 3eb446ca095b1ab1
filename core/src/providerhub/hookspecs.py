"""The hooks a providerhub plugin implements."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from .providers import BaseProvider

PROJECT = "providerhub"
"""The pluggy project name, which is also the entry-point group plugins declare."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers() -> Iterable[type[BaseProvider]]:
    """Return the provider classes this plugin adds. Called once per discovery; do no I/O here.

    The result must depend only on the installed code, never on environment variables or files:
    the model index records it and reuses it until the plugin is reinstalled. User settings reach
    a provider through the configuration file (``[providers.NAME]`` tables) and ``configure()``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called
