"""providerhub: find AI providers installed as plugins and route a model name to the one that serves it."""

from __future__ import annotations

from .call import complete, stream
from .errors import (
    AllProvidersFailedError,
    Attempt,
    AuthenticationError,
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
from .types import AsyncResult, Chunk, CreateResult, MediaListType, MediaType, Message, Messages

__version__ = "0.1.0"

__all__ = [
    "AllProvidersFailedError",
    "AsyncGeneratorProvider",
    "AsyncResult",
    "Attempt",
    "AuthenticationError",
    "BaseProvider",
    "Candidate",
    "Chunk",
    "CooldownError",
    "CreateResult",
    "FinishReason",
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
    "Usage",
    "complete",
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
