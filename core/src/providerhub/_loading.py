"""Loading: the plugins a hub's settings select, from the model index when it is current, else by discovery."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from . import _discovery as discovery
from . import _index as index
from ._config import Config, canonical
from ._declarations import ProviderInfo
from ._registry import PluginInfo
from ._tables import ConfiguredLoader, Loader, apply_tables
from .errors import ConfigWarning, PluginLoadWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Loaded:
    """What a hub's plugins register, and how to get a provider's class.

    From the model index (``view`` set) the records are read when first asked for: a start that
    resolves one model id reads only the records serving it (``view.serving``)."""

    def __init__(
        self,
        plugins: tuple[PluginInfo, ...] | None,
        providers: tuple[ProviderInfo, ...] | None,
        provider_class: Loader,
        view: index.View | None = None,
    ):
        self._plugins = plugins
        self._providers = providers
        self.provider_class = provider_class
        self.view = view
        self.from_index = view is not None

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        if self._plugins is None:
            assert self.view is not None
            self._plugins = self.view.plugins()
        return self._plugins

    @property
    def providers(self) -> tuple[ProviderInfo, ...]:
        """After the configuration file's provider tables applied."""
        if self._providers is None:
            assert self.view is not None
            self._providers = self.view.everything().configured
        return self._providers


def index_settings(config: Config, plugins: Sequence[str] | None, disable_plugins: Sequence[str]) -> tuple[Any, ...]:
    """The settings that select what is loaded, part of the model index's key."""
    return (plugins, disable_plugins, canonical(config.providers))


def load_plugins(
    config: Config,
    plugins: Sequence[str] | None,
    disable_plugins: Sequence[str],
    *,
    cache_dir: str | None,
    use_index: bool,
    read_index: bool,
    strict: bool,
) -> Loaded:
    """The providers these settings select; ``read_index=False`` rediscovers and rewrites the index."""
    where = (
        index.locate(cache_dir, index_settings(config, plugins, disable_plugins)) if use_index else None
    )  # before any plugin runs
    if read_index and where is not None:
        view = index.open_index(where, index.key(where))
        if view is not None:
            indexed = index.IndexedPlugins(view, strict=strict)
            try:
                indexed.retry_failed()
                # provider tables applied: their loader reads every record now (it checks them against the tables)
                as_registered = view.everything().providers if view.applied else ()
            except index.StaleIndexError:
                pass
            else:
                for note in view.scan_notes:
                    warnings.warn(note, PluginLoadWarning, stacklevel=5)
                for note in view.notes:
                    warnings.warn(note, ConfigWarning, stacklevel=5)
                tables = [t for t in config.providers if t.name.lower() in view.applied]
                loader = ConfiguredLoader(tables, as_registered, indexed.provider_class)
                return Loaded(None, None, loader.verified, view)
    scan_notes: list[str] = []
    eps = discovery.entry_points(plugins, disable_plugins, strict=strict, notes=scan_notes)
    found = discovery.discover(eps, strict=strict)
    configured, notes, classes, applied = apply_tables(config, found.providers, found.classes)
    if where is not None:
        # Time stamps read after the imports: writing their bytecode may touch a sys.path folder's.
        stored = index.Stored(found.plugins, found.providers, configured, notes, applied, tuple(scan_notes))
        index.write(where, index.key(where), stored)
    return Loaded(found.plugins, configured, lambda record: classes[record.name])
