"""The default hub, built once from the environment and the configuration file, and the module-level calls over it."""

from __future__ import annotations

from _thread import allocate_lock  # threading's Lock, without importing threading

from ._declarations import ProviderInfo
from ._hub import Hub, ModelInfo
from ._registry import PluginInfo, Registry
from ._resolution import Resolution
from ._settings import from_environment
from .providers import BaseProvider

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    from .types import MediaListType

    P = TypeVar("P", bound=type[BaseProvider])

_default_lock = allocate_lock()
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
    return Hub._from_settings(from_environment())


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
