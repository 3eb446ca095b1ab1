"""The configuration file's provider tables applied to what plugins register: adjusted or derived providers."""

import warnings
from collections.abc import Callable, Iterable

from ._config import Config, ProviderTable
from ._declarations import ProviderInfo, describe_provider
from ._index import StaleIndexError
from .errors import ConfigWarning
from .providers import BaseProvider

Loader = Callable[[ProviderInfo], type[BaseProvider]]


def apply_tables(
    config: Config, providers: tuple[ProviderInfo, ...], classes: dict[str, type[BaseProvider]]
) -> tuple[tuple[ProviderInfo, ...], tuple[str, ...], dict[str, type[BaseProvider]], tuple[str, ...]]:
    """Apply the provider tables to discovered providers: adjusted ones replaced, derived ones added.

    A table that cannot apply leaves out only its provider, with a ``ConfigWarning`` naming the
    file and the table. Tables adjusting a provider apply first, so one derived from it inherits them.
    """
    records = {record.name.lower(): record for record in providers}
    installed = set(records)
    classes = dict(classes)
    notes: list[str] = []
    applied: list[str] = []
    for table in sorted(config.providers, key=lambda t: t.base is not None):
        where = config.where(f"providers.{table.name}")
        try:
            base_name = table.base or table.name
            base = records.get(base_name.lower()) if base_name.lower() in installed else None
            if base is None:
                hint = "" if table.base else ' (to add a new provider, give it from = "OTHER")'
                raise ValueError(f"no installed provider is named {base_name!r}{hint}")
            if table.base and table.name.lower() in records:
                raise ValueError(f"a provider named {records[table.name.lower()].name!r} is already registered")
            derived = classes[base.name].configure(table.name, **table.settings)
            record = describe_provider(derived, base.plugin)
        except (ValueError, TypeError) as exc:
            notes.append(f"{where}: {exc}; the provider is left out")
            if not table.base:
                records.pop(table.name.lower(), None)
            continue
        if not table.base:
            del classes[base.name]
            records.pop(base.name.lower())
        records[record.name.lower()] = record
        classes[record.name] = derived
        applied.append(table.name.lower())
    for note in notes:
        warnings.warn(note, ConfigWarning, stacklevel=6)
    return tuple(records.values()), tuple(notes), classes, tuple(applied)


class ConfiguredLoader:
    """Loads a provider recorded in the index, applying its provider table again (checked against the record)."""

    def __init__(self, tables: Iterable[ProviderTable], plugin_records: tuple[ProviderInfo, ...], load: Loader):
        self.tables = {table.name.lower(): table for table in tables}
        self.plugin_records = {record.name.lower(): record for record in plugin_records}
        self.load = load

    def _build(self, name: str) -> tuple[type[BaseProvider], str | None]:
        """The class named ``name`` as configured, and its plugin."""
        table = self.tables.get(name.lower())
        if table is not None and table.base is not None:
            base, plugin = self._build(table.base)
        else:
            record = self.plugin_records.get(name.lower() if table is None else (table.base or table.name).lower())
            if record is None:
                raise StaleIndexError(f"provider {name} is no longer registered by its plugin")
            base, plugin = self.load(record), record.plugin
        return (base if table is None else base.configure(table.name, **table.settings)), plugin

    def verified(self, record: ProviderInfo) -> type[BaseProvider]:
        if record.name.lower() not in self.tables:
            return self.load(record)
        try:
            derived, plugin = self._build(record.name)
            same = describe_provider(derived, plugin) == record
        except (ValueError, TypeError):
            same = False
        if not same:
            raise StaleIndexError(f"provider {record.name} changed since the model index was written")
        return derived
