"""The base classes a provider is written against."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from .errors import ModelNotSupportedError, name_list
from .types import AsyncResult, CreateResult, MediaListType, Messages

_FROZEN_SEQUENCES = ("models", "vision_models")


class BaseProvider(ABC):  # noqa: B024 - ABC so subclasses can declare abstract methods
    """A provider: a class (never instantiated) that declares what it serves and how to reach it.

    List and dict attributes a subclass declares are frozen into tuples and read-only mappings,
    so no two providers can share, or mutate, one another's model lists.
    """

    url: ClassVar[str | None] = None
    login_url: ClassVar[str | None] = None
    api_endpoint: ClassVar[str | None] = None
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    use_nodriver: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = False
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    default_model: ClassVar[str] = ""
    default_vision_model: ClassVar[str | None] = None
    vision_models: ClassVar[Sequence[str]] = ()
    models: ClassVar[Sequence[str]] = ()
    model_aliases: ClassVar[Mapping[str, str]] = MappingProxyType({})
    priority: ClassVar[int] = 0
    """Higher wins when several providers serve one model."""
    label: ClassVar[str | None] = None
    """A human name for listings; the class name is the provider's identity."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        for attr in _FROZEN_SEQUENCES:
            value = own.get(attr)
            if isinstance(value, (list, set, frozenset)):
                setattr(cls, attr, tuple(value))
        aliases = own.get("model_aliases")
        if isinstance(aliases, dict):
            cls.model_aliases = MappingProxyType(dict(aliases))

    @classmethod
    def create_completion(cls, model: str, messages: Messages, **kwargs: Any) -> CreateResult:
        """Answer synchronously; subclasses that only speak async get this from their base."""
        raise NotImplementedError(f"{cls.__name__} does not implement create_completion")


class AsyncGeneratorProvider(BaseProvider):
    """A provider whose answer is an async generator of text chunks."""

    supports_stream: ClassVar[bool] = True

    @classmethod
    @abstractmethod
    def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        media: MediaListType | None = None,
        **kwargs: Any,
    ) -> AsyncResult:
        """Stream the answer to ``messages`` from ``model``."""

    @classmethod
    def create_completion(cls, model: str, messages: Messages, **kwargs: Any) -> CreateResult:
        """Iterate the async answer from sync code, even inside a running event loop.

        The generator runs on a private loop in a worker thread, so a caller's loop is never
        re-entered (no nest_asyncio) and is not blocked longer than it waits for each chunk.
        """
        from .sync import iterate_in_thread

        return iterate_in_thread(lambda: cls.create_async_generator(model, messages, **kwargs))


class ProviderModelMixin:
    """Model-name handling for providers: default, exact id, then alias."""

    default_model: ClassVar[str]
    models: ClassVar[Sequence[str]]
    model_aliases: ClassVar[Mapping[str, str]]

    @classmethod
    def get_models(cls) -> list[str]:
        """The model ids this provider serves."""
        return list(cls.models) if cls.models else ([cls.default_model] if cls.default_model else [])

    @classmethod
    def get_model(cls, model: str | None) -> str:
        """Map a requested name to a model id this provider serves, or raise ``ModelNotSupportedError``."""
        if not model:
            return cls.default_model
        models = cls.get_models()
        if model in models:
            return model
        target = cls.model_aliases.get(model)
        if target is not None and target in models:
            return target
        name = getattr(cls, "__name__", "provider")
        raise ModelNotSupportedError(
            f"{name} does not serve model {model!r}; its models are: {name_list(models) or '(none)'}",
            requested=model,
            suggestions=models,
        )
