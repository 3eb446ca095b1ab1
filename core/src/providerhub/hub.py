"""The process's registry: discovered once on first use, swapped whole, and the public calls that read it."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from . import discovery, index
from .errors import PluginLoadError, PluginLoadWarning, ProviderHubError
from .providers import BaseProvider
from .registry import PluginInfo, ProviderInfo, Registry, describe_provider
from .resolution import Resolution, candidates, preference, resolve_in
from .types import MediaListType

T = TypeVar("T")
P = TypeVar("P", bound=type[BaseProvider])


class _Plugins(NamedTuple):
    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    provider_class: Callable[[ProviderInfo], type[BaseProvider]]
    from_index: bool


class ModelInfo(NamedTuple):
    """One model as one provider serves it."""

    id: str
    provider: str
    plugin: str | None
    aliases: tuple[str, ...]
    vision: bool


_lock = threading.RLock()
_plugins: _Plugins | None = None
_code: dict[str, tuple[ProviderInfo, type[BaseProvider]]] = {}
_registry: Registry | None = None


def _discover(use_index: bool) -> _Plugins:
    eps = discovery.entry_points()
    where = index.locate() if index.enabled() else None  # before any plugin runs
    if use_index and where is not None:
        cached = index.read(where, index.key(eps, where))
        if cached is not None:
            indexed = index.IndexedPlugins(eps, *cached)
            try:
                indexed.retry_failed()
            except index.StaleIndexError:
                pass
            else:
                return _Plugins(indexed.plugins, indexed.providers, indexed.provider_class, True)
    found = discovery.discover(eps)
    if where is not None:
        # Time stamps read after the imports: writing their bytecode may touch a plugin folder's.
        index.write(where, index.key(eps, where), found.plugins, found.providers)
    classes = found.classes
    return _Plugins(found.plugins, found.providers, lambda record: classes[record.name], False)


def _assemble(plugins: _Plugins) -> Registry:
    """Combine plugin providers with those registered in code (code wins a name clash)."""
    code = dict(_code)
    kept = []
    for record in plugins.providers:
        if record.name.lower() in code:
            warnings.warn(
                f"provider {record.name} from plugin {record.plugin!r} is replaced by one registered in code",
                PluginLoadWarning,
                stacklevel=3,
            )
        else:
            kept.append(record)

    def provider_class(record: ProviderInfo) -> type[BaseProvider]:
        if record.plugin is None:
            return code[record.name.lower()][1]
        return plugins.provider_class(record)

    records = [*kept, *(record for record, _ in code.values())]
    return Registry(records, plugins.plugins, provider_class, from_index=plugins.from_index)


def registry() -> Registry:
    """The current snapshot, discovering plugins on first use (thread-safe)."""
    global _plugins, _registry
    current = _registry
    if current is None:
        plugin = discovery.importing_plugin()
        if plugin is not None:  # discovery is waiting for this very import: fail now, not at the time bound
            raise PluginLoadError(f"plugin {plugin!r} uses the registry while it is being imported", plugin=plugin)
        with _lock:
            if _registry is None:
                _plugins = _discover(use_index=True)
                _registry = _assemble(_plugins)
            current = _registry
    return current


def reload() -> None:
    """Discover plugins again (bypassing and rewriting the model index) and swap the registry."""
    global _plugins, _registry
    with _lock:
        _plugins = _discover(use_index=False)
        _registry = _assemble(_plugins)


def _rebuild_from_discovery(seen: Registry) -> Registry:
    """Replace an index-backed snapshot with a fully discovered one, unless another thread already did."""
    with _lock:
        if _registry is seen:
            reload()
        return registry()


def _read(query: Callable[[Registry], T]) -> T:
    """Run ``query`` on the current registry; an index-backed answer that fails is checked by full discovery."""
    current = registry()
    if not current.from_index:
        return query(current)
    try:
        return query(current)
    except (index.StaleIndexError, ProviderHubError):
        return query(_rebuild_from_discovery(current))


def register_provider(cls: P) -> P:
    """Register a provider class in code, without an entry point; usable as a decorator."""
    global _registry
    record = describe_provider(cls, None)
    with _lock:
        existing = _code.get(record.name.lower())
        if existing is not None and existing[1] is not cls:
            raise ValueError(f"a provider named {record.name!r} is already registered in code")
        _code[record.name.lower()] = (record, cls)
        if _plugins is not None:
            _registry = _assemble(_plugins)
    return cls


def unregister_provider(provider: type[BaseProvider] | str) -> None:
    """Remove a provider registered in code (by class or name)."""
    global _registry
    name = provider if isinstance(provider, str) else provider.__name__
    with _lock:
        if _code.pop(name.lower(), None) is None:
            raise ValueError(f"no provider named {name!r} is registered in code")
        if _plugins is not None:
            _registry = _assemble(_plugins)


def resolve(model: str | None = None, *, media: MediaListType | None = None) -> Resolution:
    """Resolve a model name to the provider that serves it, how it matched, and the other candidates."""
    return _read(lambda reg: resolve_in(reg, model, bool(media)))


def get_provider(model: str | None = None, *, media: MediaListType | None = None) -> type[BaseProvider]:
    """The provider class that serves ``model`` (``None``: the default model)."""
    return resolve(model, media=media).provider


def get_providers(model: str | None, *, media: MediaListType | None = None) -> list[type[BaseProvider]]:
    """Every working provider class that serves ``model``, in preference order."""

    def query(reg: Registry) -> list[type[BaseProvider]]:
        return [reg.provider_class(record) for record, _ in candidates(reg, model, bool(media))[1]]

    return _read(query)


def list_providers() -> list[ProviderInfo]:
    """Every registered provider's declarations, by name (nothing is imported)."""
    return list(registry().providers)


def list_plugins() -> list[PluginInfo]:
    """Every discovered plugin with its distribution, version, providers and error, if any."""
    return list(registry().plugins)


def list_models() -> list[ModelInfo]:
    """Every (model, provider) pair, by model id then preference order."""
    reg = registry()
    aliases: dict[tuple[str, str], list[str]] = {}  # built once: linear in models and aliases
    for record in reg.providers:
        for alias, target in record.aliases:
            aliases.setdefault((record.name, target), []).append(alias)
    vision = {(record.name, model) for record in reg.providers for model in record.vision_models}
    rows = []
    for model_id in sorted(reg.by_model):
        for record in preference(reg.by_model[model_id]):
            key = (record.name, model_id)
            rows.append(ModelInfo(model_id, record.name, record.plugin, tuple(aliases.get(key, ())), key in vision))
    return rows
