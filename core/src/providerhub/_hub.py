"""The hub: one registry and the settings it was built with; the module-level calls use the default hub."""

import os
import threading
import warnings
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import _discovery as discovery
from . import _index as index
from ._config import Config, ProviderTable, canonical, hub_settings, load
from ._registry import PluginInfo, ProviderInfo, Registry, describe_provider
from ._resolution import Resolution, candidates, preference, resolve_in
from ._router_settings import load_settings
from .errors import ConfigWarning, PluginLoadError, PluginLoadWarning
from .providers import BaseProvider

if TYPE_CHECKING:
    from ._router import Router
from .types import Chunk, MediaListType, Messages

T = TypeVar("T")
P = TypeVar("P", bound=type[BaseProvider])
Loader = Callable[[ProviderInfo], type[BaseProvider]]


class _Plugins(NamedTuple):
    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    """After the configuration file's provider tables applied."""
    provider_class: Loader
    from_index: bool


class ModelInfo(NamedTuple):
    """One model as one provider serves it."""

    id: str
    provider: str
    plugin: str | None
    aliases: tuple[str, ...]
    vision: bool


def _names(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


class Hub:
    """One registry of providers and the settings it was built with.

    Arguments left ``None`` take the configuration file's value (``config``: a path, or a loaded
    ``Config``), else the built-in default: every plugin, no preference, the preferred provider's
    default model, the user cache directory. The routing settings (``fallback`` to ``state_url``)
    are described in the README's "Routing". Settings are fixed when the hub is built; plugins are
    discovered on first use. Hubs are independent: two with different settings coexist.
    """

    def __init__(
        self,
        *,
        config: str | os.PathLike[str] | Config | None = None,
        plugins: str | Iterable[str] | None = None,
        disable_plugins: str | Iterable[str] | None = None,
        prefer: str | Iterable[str] | None = None,
        default_model: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        use_index: bool = True,
        strict: bool = False,
        fallback: bool | None = None,
        retries: int | None = None,
        allowed_fails: int | None = None,
        window: float | None = None,
        cooldown: float | None = None,
        first_chunk_timeout: float | None = None,
        timeout: float | None = None,
        state_url: str | None = None,
    ):
        loaded = config if isinstance(config, Config) else Config() if config is None else load(config)
        routing = {
            "fallback": fallback,
            "retries": retries,
            "allowed_fails": allowed_fails,
            "window": window,
            "cooldown": cooldown,
            "first_chunk_timeout": first_chunk_timeout,
            "timeout": timeout,
            "state_url": state_url,
        }
        self.routing = load_settings(routing, table=loaded.router, where=loaded.where("router"))
        """The routing settings, checked when the hub is built."""
        self._router: Router | None = None
        self.config: Config = loaded
        self.plugins: tuple[str, ...] | None = _names(plugins) if plugins is not None else loaded.plugins
        """Plugins to load (entry-point or distribution names); ``None``: all installed."""
        self.disable_plugins: tuple[str, ...] = (
            _names(disable_plugins) if disable_plugins is not None else loaded.disable_plugins
        ) or ()
        self.prefer: tuple[str, ...] = (_names(prefer) if prefer is not None else loaded.prefer) or ()
        self.default_model: str | None = default_model or loaded.default_model
        self._default_source = "default_model" if default_model else f"{loaded.where('')}: default_model"
        self.cache_dir: str | None = os.fspath(cache_dir) if cache_dir is not None else None
        """Where the model index lives; ``None``: the default cache directory (``PROVIDERHUB_CACHE_DIR`` included)."""
        self.use_index = use_index
        self.strict = strict
        self._lock = threading.RLock()
        self._plugins: _Plugins | None = None
        self._code: dict[str, tuple[ProviderInfo, type[BaseProvider]]] = {}
        self._registry: Registry | None = None

    @property
    def router(self) -> "Router":
        """Routes this hub's calls; its state (failure counts, cooldowns) is the hub's own (made on first call)."""
        router = self._router
        if router is None:
            from ._router import Router  # asyncio, only once a call is made

            with self._lock:
                if self._router is None:
                    self._router = Router(self.routing)
                router = self._router
        return router

    def __repr__(self) -> str:
        return f"<Hub config={self.config.path!r} plugins={self.plugins!r} prefer={self.prefer!r}>"

    # -- building the registry --------------------------------------------------------------------

    def _index_settings(self) -> tuple[Any, ...]:
        return (self.plugins, self.disable_plugins, canonical(self.config.providers))

    def _discover(self, use_index: bool) -> _Plugins:
        where = (
            index.locate(self.cache_dir, self._index_settings()) if self.use_index else None
        )  # before any plugin runs
        if use_index and where is not None:
            stored = index.read(where, index.key(where))
            if stored is not None:
                indexed = index.IndexedPlugins(stored.plugins, stored.providers, strict=self.strict)
                try:
                    indexed.retry_failed()
                except index.StaleIndexError:
                    pass
                else:
                    for note in stored.scan_notes:
                        warnings.warn(note, PluginLoadWarning, stacklevel=4)
                    for note in stored.notes:
                        warnings.warn(note, ConfigWarning, stacklevel=4)
                    tables = [t for t in self.config.providers if t.name.lower() in stored.applied]
                    loader = _ConfiguredLoader(tables, stored.providers, indexed.provider_class)
                    return _Plugins(indexed.plugins, stored.configured, loader.verified, True)
        scan_notes: list[str] = []
        eps = discovery.entry_points(self.plugins, self.disable_plugins, strict=self.strict, notes=scan_notes)
        found = discovery.discover(eps, strict=self.strict)
        configured, notes, classes, applied = _configure(self.config, found.providers, found.classes)
        if where is not None:
            # Time stamps read after the imports: writing their bytecode may touch a sys.path folder's.
            stored = index.Stored(found.plugins, found.providers, configured, notes, applied, tuple(scan_notes))
            index.write(where, index.key(where), stored)
        return _Plugins(found.plugins, configured, lambda record: classes[record.name], False)

    def _assemble(self, plugins: _Plugins) -> Registry:
        """Combine plugin providers with those registered in code (code wins a name clash)."""
        code = dict(self._code)
        kept = []
        for record in plugins.providers:
            if record.name.lower() in code:
                warnings.warn(
                    f"provider {record.name} from plugin {record.plugin!r} is replaced by one registered in code",
                    PluginLoadWarning,
                    stacklevel=4,
                )
            else:
                kept.append(record)

        def provider_class(record: ProviderInfo) -> type[BaseProvider]:
            if record.plugin is None:
                return code[record.name.lower()][1]
            return plugins.provider_class(record)

        records = [*kept, *(record for record, _ in code.values())]
        return Registry(
            records,
            plugins.plugins,
            provider_class,
            from_index=plugins.from_index,
            prefer=self.prefer,
            default_model=self.default_model,
            default_source=self._default_source,
        )

    def registry(self) -> Registry:
        """The current snapshot, discovering plugins on first use (thread-safe)."""
        current = self._registry
        if current is None:
            plugin = discovery.importing_plugin()
            if plugin is not None:  # discovery is waiting for this very import: fail now, not at the time bound
                raise PluginLoadError(f"plugin {plugin!r} uses the registry while it is being imported", plugin=plugin)
            with self._lock:
                if self._registry is None:
                    self._plugins = self._discover(use_index=True)
                    self._registry = self._assemble(self._plugins)
                current = self._registry
        return current

    def reload(self) -> None:
        """Discover plugins again (bypassing and rewriting the model index) and swap the registry."""
        with self._lock:
            self._plugins = self._discover(use_index=False)
            self._registry = self._assemble(self._plugins)

    def _read(self, query: Callable[[Registry], T]) -> T:
        """Run ``query``; a snapshot from the index that turns out stale is replaced by full discovery."""
        current = self.registry()
        if not current.from_index:
            return query(current)
        try:
            return query(current)
        except index.StaleIndexError:
            with self._lock:
                if self._registry is current:
                    self.reload()
            return query(self.registry())

    # -- providers registered in code -------------------------------------------------------------

    def register_provider(self, cls: P) -> P:
        """Register a provider class in code, without an entry point; usable as a decorator."""
        record = describe_provider(cls, None)
        with self._lock:
            existing = self._code.get(record.name.lower())
            if existing is not None and existing[1] is not cls:
                raise ValueError(f"a provider named {record.name!r} is already registered in code")
            self._code[record.name.lower()] = (record, cls)
            if self._plugins is not None:
                self._registry = self._assemble(self._plugins)
        return cls

    def unregister_provider(self, provider: type[BaseProvider] | str) -> None:
        """Remove a provider registered in code (by class or name)."""
        name = provider if isinstance(provider, str) else provider.name
        with self._lock:
            if self._code.pop(name.lower(), None) is None:
                raise ValueError(f"no provider named {name!r} is registered in code")
            if self._plugins is not None:
                self._registry = self._assemble(self._plugins)

    # -- queries ----------------------------------------------------------------------------------

    def resolve(self, model: str | None = None, *, media: MediaListType | None = None) -> Resolution:
        """Resolve a model name to the provider that serves it, how it matched, and the other candidates."""
        return self._read(lambda reg: resolve_in(reg, model, bool(media)))

    def get_provider(self, model: str | None = None, *, media: MediaListType | None = None) -> type[BaseProvider]:
        """The provider class that serves ``model`` (``None``: the default model)."""
        return self.resolve(model, media=media).provider

    def get_providers(self, model: str | None, *, media: MediaListType | None = None) -> list[type[BaseProvider]]:
        """Every working provider class that serves ``model``, in preference order."""

        def query(reg: Registry) -> list[type[BaseProvider]]:
            return [reg.provider_class(record) for record, _ in candidates(reg, model, bool(media))[1]]

        return self._read(query)

    def list_providers(self) -> list[ProviderInfo]:
        """Every registered provider's declarations, by name (nothing is imported)."""
        return list(self.registry().providers)

    def list_plugins(self) -> list[PluginInfo]:
        """Every discovered plugin with its distribution, version, providers and error, if any."""
        return list(self.registry().plugins)

    def list_models(self) -> list[ModelInfo]:
        """Every (model, provider) pair, by model id then preference order."""
        reg = self.registry()
        aliases: dict[tuple[str, str], list[str]] = {}  # built once: linear in models and aliases
        for record in reg.providers:
            for alias, target in record.aliases:
                aliases.setdefault((record.name, target), []).append(alias)
        vision = {(record.name, model) for record in reg.providers for model in record.vision_models}
        rows = []
        for model_id in sorted(reg.by_model):
            for record in preference(reg.by_model[model_id], reg.prefer):
                key = (record.name, model_id)
                rows.append(ModelInfo(model_id, record.name, record.plugin, tuple(aliases.get(key, ())), key in vision))
        return rows

    # -- calls ------------------------------------------------------------------------------------

    def stream(
        self,
        model: str | None,
        messages: Messages,
        *,
        media: MediaListType | None = None,
        timeout: float | None = None,
        fallback: bool | None = None,
        **options: Any,
    ) -> AsyncGenerator[Chunk, None]:
        """``providerhub.stream`` with this hub's providers and settings."""
        from .call import answer

        return answer(
            self.resolve,
            model,
            messages,
            media=media,
            timeout=timeout,
            options=options,
            router=self.router,
            fallback=fallback,
        )

    def complete(
        self,
        model: str | None,
        messages: Messages,
        *,
        media: MediaListType | None = None,
        timeout: float | None = None,
        fallback: bool | None = None,
        **options: Any,
    ) -> Iterator[Chunk]:
        """``stream`` for sync code: an iterator of the same chunks, usable inside a running event loop too."""
        from ._sync import iterate_in_thread

        return iterate_in_thread(
            lambda: self.stream(model, messages, media=media, timeout=timeout, fallback=fallback, **options)
        )


# -- the configuration file's provider tables --------------------------------------------------


def _configure(
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
        warnings.warn(note, ConfigWarning, stacklevel=5)
    return tuple(records.values()), tuple(notes), classes, tuple(applied)


class _ConfiguredLoader:
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
                raise index.StaleIndexError(f"provider {name} is no longer registered by its plugin")
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
            raise index.StaleIndexError(f"provider {record.name} changed since the model index was written")
        return derived


# -- the default hub, and the module-level calls over it -----------------------------------------

_default_lock = threading.Lock()
_default: Hub | None = None


def default_hub() -> Hub:
    """The hub the module-level functions use, built on first use from the environment and the user's
    configuration file (``$PROVIDERHUB_CONFIG``, else ``providerhub.toml`` in the user config directory)."""
    global _default
    hub = _default
    if hub is None:
        with _default_lock:
            if _default is None:
                _default = _from_environment()
            hub = _default
    return hub


def _from_environment() -> Hub:
    settings = hub_settings()
    hub = Hub(**settings)
    if "default_model" in settings:
        hub._default_source = "PROVIDERHUB_DEFAULT_MODEL"
    return hub


def registry() -> Registry:
    """The default hub's current snapshot."""
    return default_hub().registry()


def reload() -> None:
    """Read the settings again (environment, configuration file) and rediscover plugins.

    Providers registered in code stay registered.
    """
    global _default
    with _default_lock:
        old = _default
        hub = _from_environment()
        if old is not None:
            hub._code = dict(old._code)
        hub.reload()
        _default = hub


def register_provider(cls: P) -> P:
    """Register a provider class in code in the default hub; usable as a decorator."""
    return default_hub().register_provider(cls)


def unregister_provider(provider: type[BaseProvider] | str) -> None:
    """Remove a provider registered in code from the default hub (by class or name)."""
    default_hub().unregister_provider(provider)


def resolve(model: str | None = None, *, media: MediaListType | None = None) -> Resolution:
    """Resolve a model name to the provider that serves it, how it matched, and the other candidates."""
    return default_hub().resolve(model, media=media)


def get_provider(model: str | None = None, *, media: MediaListType | None = None) -> type[BaseProvider]:
    """The provider class that serves ``model`` (``None``: the default model)."""
    return default_hub().get_provider(model, media=media)


def get_providers(model: str | None, *, media: MediaListType | None = None) -> list[type[BaseProvider]]:
    """Every working provider class that serves ``model``, in preference order."""
    return default_hub().get_providers(model, media=media)


def list_providers() -> list[ProviderInfo]:
    """Every registered provider's declarations, by name (nothing is imported)."""
    return default_hub().list_providers()


def list_plugins() -> list[PluginInfo]:
    """Every discovered plugin with its distribution, version, providers and error, if any."""
    return default_hub().list_plugins()


def list_models() -> list[ModelInfo]:
    """Every (model, provider) pair, by model id then preference order."""
    return default_hub().list_models()
