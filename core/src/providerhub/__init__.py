"""providerhub: find AI providers installed as plugins and route a model name to the one that serves it.

This namespace is the whole surface for callers: the ``Hub`` and the default hub's functions
(``resolve``, ``get_provider``, the listings, ``complete`` / ``stream``), the errors, the typed
events and the value types. Plugin authors also find the base classes and the hook markers here,
and documented helpers in the public modules ``messages``, ``media``, ``http``, ``sse``,
``loop_local``, ``multipart``, ``options``, ``call``, ``errors``, ``events``, ``types``,
``testing`` and ``server``. Modules named ``_x`` are internals, free to change.
"""

from __future__ import annotations

from ._declarations import ProviderInfo
from ._default import (
    default_hub,
    get_provider,
    get_providers,
    list_models,
    list_plugins,
    list_providers,
    register_provider,
    reload,
    resolve,
    unregister_provider,
)
from ._hub import Hub, ModelInfo
from ._registry import PluginInfo
from ._resolution import Candidate, Resolution
from .errors import (
    AllProvidersFailedError,
    Attempt,
    AuthenticationError,
    ConfigError,
    ConfigWarning,
    CooldownError,
    MediaError,
    MessagesError,
    MissingCredentialsError,
    ModelNotFoundError,
    ModelNotSupportedError,
    OptionsError,
    PluginLoadError,
    PluginLoadWarning,
    ProviderConnectionError,
    ProviderError,
    ProviderHubError,
    ProviderNotFoundError,
    ProviderNotWorkingError,
    ProviderTimeoutError,
    RateLimitError,
    RequestError,
    ResponseError,
)
from .events import FinishReason, Usage
from .hookspecs import hookimpl, hookspec
from .messages import format_prompt, validate_messages
from .providers import AsyncGeneratorProvider, BaseProvider, ProviderModelMixin

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._state import StateBackend
    from .call import complete, stream
    from .http import raise_for_status
    from .media import Image, image_type, to_bytes, to_image
    from .types import AsyncResult, Chunk, CreateResult, MediaListType, MediaType, Message, Messages

_LAZY = {
    "complete": "call",
    "stream": "call",
    "raise_for_status": "http",
    "StateBackend": "_state",
    "Image": "media",
    "image_type": "media",
    "to_bytes": "media",
    "to_image": "media",
    "AsyncResult": "types",
    "Chunk": "types",
    "CreateResult": "types",
    "MediaListType": "types",
    "MediaType": "types",
    "Message": "types",
    "Messages": "types",
}
"""Names imported on first use: a start that only resolves a model needs none of their modules
(``types`` imports ``typing``)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'providerhub' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AllProvidersFailedError",
    "AsyncGeneratorProvider",
    "AsyncResult",
    "Attempt",
    "AuthenticationError",
    "BaseProvider",
    "Candidate",
    "Chunk",
    "ConfigError",
    "ConfigWarning",
    "CooldownError",
    "CreateResult",
    "FinishReason",
    "Hub",
    "Image",
    "MediaError",
    "MediaListType",
    "MediaType",
    "Message",
    "Messages",
    "MessagesError",
    "MissingCredentialsError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelNotSupportedError",
    "OptionsError",
    "PluginInfo",
    "PluginLoadError",
    "PluginLoadWarning",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHubError",
    "ProviderInfo",
    "ProviderModelMixin",
    "ProviderNotFoundError",
    "ProviderNotWorkingError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RequestError",
    "Resolution",
    "ResponseError",
    "StateBackend",
    "Usage",
    "complete",
    "default_hub",
    "format_prompt",
    "get_provider",
    "get_providers",
    "hookimpl",
    "hookspec",
    "image_type",
    "list_models",
    "list_plugins",
    "list_providers",
    "raise_for_status",
    "register_provider",
    "reload",
    "resolve",
    "stream",
    "to_bytes",
    "to_image",
    "unregister_provider",
    "validate_messages",
]
