"""The registry snapshot: validated provider records and the lookup tables resolution reads."""

import warnings
from _thread import allocate_lock  # threading's Lock, without importing threading
from collections.abc import Callable, Iterable, Sequence
from itertools import chain

from ._declarations import ProviderInfo, shadowing_aliases, shadowing_message
from ._records import NamedTuple
from .errors import PluginLoadWarning
from .providers import BaseProvider

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
    model index imports only the plugins whose providers are actually asked for.
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
    ):
        records = sorted(providers, key=_by_name)
        model_ids = frozenset(chain.from_iterable(record.models for record in records))
        cleaned = records
        for i, record in enumerate(records):
            if not record.aliases:
                continue
            shadowing = shadowing_aliases(record, model_ids)
            if shadowing:
                warnings.warn(shadowing_message(record, shadowing), PluginLoadWarning, stacklevel=2)
                cleaned[i] = record._replace(aliases=tuple(a for a in record.aliases if a[0] not in model_ids))
        self.providers: tuple[ProviderInfo, ...] = tuple(cleaned)
        self.plugins: tuple[PluginInfo, ...] = tuple(plugins)
        self.by_name: dict[str, ProviderInfo] = {r.name.lower(): r for r in self.providers}
        self.by_model: dict[str, list[ProviderInfo]] = {}
        for record in self.providers:
            for model in record.models:
                found = self.by_model.get(model)
                if found is None:
                    self.by_model[model] = [record]
                else:
                    found.append(record)
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
