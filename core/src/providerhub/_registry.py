"""The registry snapshot: validated provider records and the lookup tables resolution reads."""

from __future__ import annotations

import warnings
from _thread import allocate_lock  # threading's Lock, without importing threading
from collections.abc import Callable, Iterable, Sequence
from itertools import chain

from ._declarations import ProviderInfo, shadowing_aliases, shadowing_message
from ._records import NamedTuple
from .errors import PluginLoadWarning
from .providers import BaseProvider

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._index import View

__all__ = ["Loader", "PluginInfo", "Registry"]


class PluginInfo(NamedTuple):
    """One installed plugin as discovery found it."""

    name: str
    """The entry-point name."""
    distribution: str | None
    version: str | None
    providers: tuple[str, ...]
    """Names of the providers it registered (invalid ones are left out)."""
    error: str | None
    """Why the plugin, or one of its providers, was left out; ``None`` when all loaded."""
    value: str = ""
    """The entry-point value, e.g. ``"providerhub_dynaspark"``."""


Loader = Callable[[ProviderInfo], "type[BaseProvider]"]


def _by_name(record: ProviderInfo) -> tuple[str, str]:
    return (record.name.lower(), record.name)


class Registry:
    """An immutable snapshot of every registered provider, with lookup tables built once.

    Provider classes are fetched through ``loader`` on first use, so a snapshot read from the
    model index imports only the plugins whose providers are actually asked for. Given the index's
    ``view`` (and no records), the records and tables are read from it on first use; until then an
    exact model id is looked up in the index alone (``serving``).
    """

    def __init__(
        self,
        providers: Iterable[ProviderInfo],
        plugins: Iterable[PluginInfo],
        loader: Loader,
        *,
        from_index: bool = False,
        prefer: Sequence[str] = (),
        default_model: str | None = None,
        default_source: str = "default_model",
        view: View | None = None,
    ):
        self._view = view
        self._providers: tuple[ProviderInfo, ...] | None = None
        self._plugins: tuple[PluginInfo, ...] | None = None
        self._by_name: dict[str, ProviderInfo] | None = None
        self._by_model: dict[str, list[ProviderInfo]] | None = None
        if view is None:
            self._fill(providers, plugins, warn=True)
        else:
            for message in view.shadowing():  # what building the tables would warn, warned now
                warnings.warn(message, PluginLoadWarning, stacklevel=2)
        self._by_alias: dict[str, list[tuple[ProviderInfo, str]]] | None = None
        self._by_folded: dict[str, set[str]] | None = None
        self.prefer: tuple[str, ...] = tuple(name.lower() for name in prefer)
        """Provider names (lower case) to put first when several serve a model, in this order."""
        self.default_model = default_model
        """The name resolved when none is given; ``None``: the preferred provider's default model."""
        self.default_source = default_source
        """Where ``default_model`` was set, as errors name it (``PROVIDERHUB_DEFAULT_MODEL``, ...)."""
        self.from_index = from_index
        """Whether the plugin part came from the model index (so a failure is worth a full discovery)."""
        self._loader = loader
        self._classes: dict[str, type[BaseProvider]] = {}
        self._lock = allocate_lock()

    def _fill(self, providers: Iterable[ProviderInfo], plugins: Iterable[PluginInfo], *, warn: bool) -> None:
        records = sorted(providers, key=_by_name)
        model_ids = frozenset(chain.from_iterable(record.models for record in records))
        cleaned = records
        for i, record in enumerate(records):
            if not record.aliases:
                continue
            shadowing = shadowing_aliases(record, model_ids)
            if shadowing:
                if warn:
                    warnings.warn(shadowing_message(record, shadowing), PluginLoadWarning, stacklevel=3)
                cleaned[i] = record._replace(aliases=tuple(a for a in record.aliases if a[0] not in model_ids))
        by_model: dict[str, list[ProviderInfo]] = {}
        for record in cleaned:
            for model in record.models:
                found = by_model.get(model)
                if found is None:
                    by_model[model] = [record]
                else:
                    found.append(record)
        self._plugins = tuple(plugins)
        self._by_name = {r.name.lower(): r for r in cleaned}
        self._by_model = by_model
        self._providers = tuple(cleaned)  # last: set means filled

    def _filled(self) -> None:
        """The records and tables, read from the index's view on first use (``StaleIndexError`` if damaged)."""
        if self._providers is None:
            assert self._view is not None
            stored = self._view.everything()
            self._fill(stored.configured, stored.plugins, warn=False)

    @property
    def providers(self) -> tuple[ProviderInfo, ...]:
        """Every provider, by name."""
        if self._providers is None:
            self._filled()
        assert self._providers is not None
        return self._providers

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every plugin, in the order discovery found them (from the index: their records alone)."""
        if self._plugins is None:
            if self._view is not None:
                self._plugins = self._view.plugins()
            else:
                self._filled()
        assert self._plugins is not None
        return self._plugins

    @property
    def by_name(self) -> dict[str, ProviderInfo]:
        """Lower-cased provider name -> provider."""
        if self._providers is None:
            self._filled()
        assert self._by_name is not None
        return self._by_name

    @property
    def by_model(self) -> dict[str, list[ProviderInfo]]:
        """Model id -> the providers serving it, by name."""
        if self._providers is None:
            self._filled()
        assert self._by_model is not None
        return self._by_model

    def serving(self, model: str) -> list[ProviderInfo] | None:
        """``by_model.get(model)``, from the index alone while the tables are not built."""
        if self._providers is None and self._view is not None:
            return self._view.serving(model)
        return self.by_model.get(model)

    @property
    def by_alias(self) -> dict[str, list[tuple[ProviderInfo, str]]]:
        """Alias -> (provider, model id) pairs; built on first use (an exact id never needs it)."""
        table = self._by_alias
        if table is None:
            table = {}
            for record in self.providers:
                for alias, target in record.aliases:
                    table.setdefault(alias, []).append((record, target))
            self._by_alias = table
        return table

    @property
    def by_folded(self) -> dict[str, set[str]]:
        """Case-folded model id or alias -> the ids and aliases that fold to it; built on first use."""
        table = self._by_folded
        if table is None:
            table = {}
            for name in chain(self.by_model, self.by_alias):
                table.setdefault(name.casefold(), set()).add(name)
            self._by_folded = table
        return table

    def provider_class(self, record: ProviderInfo) -> type[BaseProvider]:
        """The class behind a record, imported on first use."""
        cls = self._classes.get(record.name)
        if cls is None:
            with self._lock:
                cls = self._classes.get(record.name)
                if cls is None:
                    cls = self._classes[record.name] = self._loader(record)
        return cls

    def names(self) -> list[str]:
        """Every name a request can match: model ids, aliases and provider names."""
        return [*self.by_model, *self.by_alias, *(r.name for r in self.providers)]
