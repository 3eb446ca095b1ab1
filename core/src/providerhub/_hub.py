"""The Hub: the settings it was built with, the registry they select, and the queries and calls over it."""

from __future__ import annotations

import os
import warnings
from _thread import RLock  # threading's, without importing threading
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator

from . import _discovery as discovery
from . import _index as index
from ._config import Config
from ._declarations import ProviderInfo, describe_provider
from ._loading import Loaded, load_plugins
from ._records import NamedTuple
from ._registry import PluginInfo, Registry
from ._resolution import Resolution, candidates, preference, resolve_in
from ._settings import Settings, hub_settings
from .errors import PluginLoadError, PluginLoadWarning, quoted
from .providers import BaseProvider

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ._router import Router
    from .types import Chunk, MediaListType, Messages

    T = TypeVar("T")
    P = TypeVar("P", bound=type[BaseProvider])


class ModelInfo(NamedTuple):
    """One model as one provider serves it."""

    id: str
    provider: str
    plugin: str | None
    aliases: tuple[str, ...]
    vision: bool


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
        settings = hub_settings(
            config=config,
            plugins=plugins,
            disable_plugins=disable_plugins,
            prefer=prefer,
            default_model=default_model,
            cache_dir=cache_dir,
            use_index=use_index,
            strict=strict,
            fallback=fallback,
            retries=retries,
            allowed_fails=allowed_fails,
            window=window,
            cooldown=cooldown,
            first_chunk_timeout=first_chunk_timeout,
            timeout=timeout,
            state_url=state_url,
        )
        self._settle(settings)

    @classmethod
    def _from_settings(cls, settings: Settings) -> Hub:
        """A hub built from settings already read (the default hub's come from the environment)."""
        hub = cls.__new__(cls)
        hub._settle(settings)
        return hub

    def _settle(self, settings: Settings) -> None:
        self._settings = settings
        self.routing = settings.routing
        """The routing settings, checked when the hub is built."""
        self.config: Config = settings.config
        self.plugins: tuple[str, ...] | None = settings.plugins
        """Plugins to load (entry-point or distribution names); ``None``: all installed."""
        self.disable_plugins: tuple[str, ...] = settings.disable_plugins
        self.prefer: tuple[str, ...] = settings.prefer
        self.default_model: str | None = settings.default_model
        self.cache_dir: str | None = settings.cache_dir
        """Where the model index lives; ``None``: the default cache directory (``PROVIDERHUB_CACHE_DIR`` included)."""
        self.use_index = settings.use_index
        self.strict = settings.strict
        self._router: Router | None = None
        self._lock = RLock()
        self._plugins: Loaded | None = None
        self._code: dict[str, tuple[ProviderInfo, type[BaseProvider]]] = {}
        self._registry: Registry | None = None

    @property
    def router(self) -> Router:
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

    def _load(self, use_index: bool) -> Loaded:
        return load_plugins(
            self.config,
            self.plugins,
            self.disable_plugins,
            cache_dir=self.cache_dir,
            use_index=self.use_index,
            read_index=use_index,
            strict=self.strict,
        )

    def _assemble(self, plugins: Loaded) -> Registry:
        """Combine plugin providers with those registered in code (code wins a name clash)."""
        code = dict(self._code)
        if not code and plugins.view is not None:  # the index's records as they are: read when first asked for
            return Registry(
                (),
                (),
                plugins.provider_class,
                from_index=True,
                prefer=self.prefer,
                default_model=self.default_model,
                default_source=self._settings.default_source,
                view=plugins.view,
            )
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
            default_source=self._settings.default_source,
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
                    self._plugins = self._load(use_index=True)
                    self._reassemble()
                current = self._registry
                assert current is not None
        return current

    def reload(self) -> None:
        """Discover plugins again (bypassing and rewriting the model index) and swap the registry."""
        with self._lock:
            self._plugins = self._load(use_index=False)
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
            self._reassemble()
        return cls

    def _reassemble(self) -> None:
        """The registry again after a change in code registrations (a damaged index: full discovery)."""
        if self._plugins is None:
            return
        try:
            self._registry = self._assemble(self._plugins)
        except index.StaleIndexError:
            self.reload()

    def unregister_provider(self, provider: type[BaseProvider] | str) -> None:
        """Remove a provider registered in code (by class or name)."""
        name = provider if isinstance(provider, str) else provider.name
        with self._lock:
            if self._code.pop(name.lower(), None) is None:
                raise ValueError(f"no provider named {quoted(name)} is registered in code")
            self._reassemble()

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
        return self._read(lambda reg: list(reg.providers))

    def list_plugins(self) -> list[PluginInfo]:
        """Every discovered plugin with its distribution, version, providers and error, if any."""
        return self._read(lambda reg: list(reg.plugins))

    def list_models(self) -> list[ModelInfo]:
        """Every (model, provider) pair, by model id then preference order."""
        return self._read(self._models)

    @staticmethod
    def _models(reg: Registry) -> list[ModelInfo]:
        aliases: dict[tuple[str, str], list[str]] = {}  # built once: linear in models and aliases
        for record in reg.providers:
            for alias, target in record.aliases:
                aliases.setdefault((record.name, target), []).append(alias)
        vision = {(record.name, model) for record in reg.providers for model in record.vision_models}
        rank = {record.name: i for i, record in enumerate(preference(list(reg.providers), reg.prefer))}
        rows = []
        for model_id in sorted(reg.by_model):
            records = reg.by_model[model_id]
            for record in sorted(records, key=lambda r: rank[r.name]) if len(records) > 1 else records:
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
        from ._sync import iterate

        return iterate(lambda: self.stream(model, messages, media=media, timeout=timeout, fallback=fallback, **options))
