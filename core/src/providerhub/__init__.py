"""providerhub: find AI providers installed as plugins and route a model name to the one that serves it."""

from __future__ import annotations

from .errors import (
    AuthenticationError,
    MediaError,
    MessagesError,
    ModelNotFoundError,
    ModelNotSupportedError,
    PluginLoadError,
    PluginLoadWarning,
    ProviderConnectionError,
    ProviderHubError,
    ProviderNotFoundError,
    ProviderNotWorkingError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from .hookspecs import hookimpl, hookspec
from .http import raise_for_status
from .hub import (
    ModelInfo,
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
from .media import Image, image_type, to_bytes, to_image
from .messages import format_prompt, validate_messages
from .providers import AsyncGeneratorProvider, BaseProvider, ProviderModelMixin
from .registry import PluginInfo, ProviderInfo
from .resolution import Candidate, Resolution
from .types import AsyncResult, CreateResult, MediaListType, MediaType, Message, Messages

__version__ = "0.1.0"

__all__ = [
    "AsyncGeneratorProvider",
    "AsyncResult",
    "AuthenticationError",
    "BaseProvider",
    "Candidate",
    "CreateResult",
    "Image",
    "MediaError",
    "MediaListType",
    "MediaType",
    "Message",
    "Messages",
    "MessagesError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelNotSupportedError",
    "PluginInfo",
    "PluginLoadError",
    "PluginLoadWarning",
    "ProviderConnectionError",
    "ProviderHubError",
    "ProviderInfo",
    "ProviderModelMixin",
    "ProviderNotFoundError",
    "ProviderNotWorkingError",
    "ProviderTimeoutError",
    "RateLimitError",
    "Resolution",
    "ResponseError",
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
    "to_bytes",
    "to_image",
    "unregister_provider",
    "validate_messages",
]
