"""The base classes a provider is written against."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from .errors import MissingCredentialsError, ModelNotSupportedError, name_list, quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    from .types import AsyncResult, CreateResult, MediaListType, Messages

    P = TypeVar("P", bound="type[BaseProvider]")

__all__ = ["AsyncGeneratorProvider", "BaseProvider", "ProviderModelMixin", "settable"]

_FROZEN_SEQUENCES = ("models", "vision_models")
_FROZEN_MAPPINGS = ("model_aliases", "options")

if TYPE_CHECKING:
    from collections.abc import Callable

_lookup: Callable[[str, str | None], tuple[str, str] | None] | None = None


def _key_lookup() -> Callable[[str, str | None], tuple[str, str] | None]:
    """The key store's lookup, imported on the first key asked for (it needs ``json``; a start
    that only resolves does not) and kept: an import statement per call costs."""
    global _lookup
    from ._keys import lookup

    _lookup = lookup
    return lookup


class BaseProvider(ABC):
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
    """A human name for listings; ``name`` is the provider's identity."""
    name: ClassVar[str]
    """The provider's identity in prefixes, preferences, listings and errors; defaults to the class name."""
    any_model: ClassVar[bool] = False
    """Whether ``<name>/<anything>`` reaches this provider with ``<anything>`` as the model id."""
    max_images: ClassVar[int | None] = None
    """The most images one request may carry (``None``: no limit the core checks)."""
    api_key_env: ClassVar[str | None] = None
    """The environment variable holding this provider's key."""
    options: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """The options this provider accepts, by name and type (``int``, ``float``, ``str``, ``bool``, ``list[str]``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        if "name" not in own:
            cls.name = cls.__name__
        for attr in _FROZEN_SEQUENCES:
            value = own.get(attr)
            if isinstance(value, (list, set, frozenset)):
                setattr(cls, attr, tuple(value))
        for attr in _FROZEN_MAPPINGS:
            value = own.get(attr)
            if isinstance(value, dict):
                setattr(cls, attr, MappingProxyType(dict(value)))

    @classmethod
    def get_api_key(cls, api_key: str | None = None) -> str | None:
        """The key to send: ``api_key`` when given, else the one stored for this provider's ``name``
        (``providerhub keys set``), else the value of ``api_key_env``; ``None`` when none is found."""
        if api_key:
            return api_key
        found = (_lookup or _key_lookup())(cls.name, cls.api_key_env)
        return None if found is None else found[0]

    @classmethod
    def require_api_key(cls, api_key: str | None = None) -> str | None:
        """``get_api_key``, raising ``MissingCredentialsError`` when ``needs_auth`` and no key is found."""
        key = cls.get_api_key(api_key)
        if key is None and cls.needs_auth:
            where = f"set {cls.api_key_env}, " if cls.api_key_env else ""
            raise MissingCredentialsError(
                f"provider {cls.name} needs a key and none was found: {where}"
                f"store one with 'providerhub keys set {cls.name}' or pass api_key=",
                provider=cls.name,
            )
        return key

    @classmethod
    def configure(cls: P, name: str, **settings: Any) -> P:
        """A provider derived from this one, called ``name``, with the given declarations overridden.

        Any declared class attribute may be set (``api_endpoint``, ``models``, ``api_key_env``, an
        ``api_base`` the provider declares, ...); an unknown setting is a ``ValueError`` naming it.
        The result is validated as a registered provider is. Given new ``models``, inherited
        declarations naming models (aliases, vision models, defaults) keep only those still served,
        unless they are set too.
        """
        from ._declarations import check_settings, describe_provider

        check_settings(cls, name, settings)
        namespace = {"__module__": cls.__module__, "__qualname__": name, "__doc__": cls.__doc__, **settings}
        if "models" in settings:
            namespace = _narrowed(cls, namespace)
        namespace["name"] = name
        derived: P = type(cls)(name, (cls,), namespace)  # type: ignore[misc]
        describe_provider(derived, None)
        return derived

    @classmethod
    def create_completion(cls, model: str, messages: Messages, **kwargs: Any) -> CreateResult:
        """Answer synchronously; subclasses that only speak async get this from their base."""
        raise NotImplementedError(f"{cls.name} does not implement create_completion")


def _narrowed(cls: type[BaseProvider], namespace: dict[str, Any]) -> dict[str, Any]:
    """``namespace`` plus the inherited model declarations it does not set, cut down to its ``models``."""
    models = namespace["models"]
    if not isinstance(models, (list, tuple)):
        return namespace  # validation names the fault
    served = set(models)
    narrowed = dict(namespace)
    if "model_aliases" not in namespace:
        narrowed["model_aliases"] = {a: t for a, t in cls.model_aliases.items() if t in served}
    if "vision_models" not in namespace:
        narrowed["vision_models"] = [m for m in cls.vision_models if m in served]
    if "default_model" not in namespace and cls.default_model not in served:
        narrowed["default_model"] = models[0] if models else ""
    vision = narrowed.get("vision_models", ())
    if "default_vision_model" not in namespace and cls.default_vision_model not in vision:
        narrowed["default_vision_model"] = None
    return narrowed


def settable(cls: type[BaseProvider]) -> set[str]:
    """The declarations ``configure`` may override: public, non-method class attributes."""
    from ._declarations import settable

    return settable(cls)


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
        from ._sync import iterate

        return iterate(lambda: cls.create_async_generator(model, messages, **kwargs))


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
        """Map a requested name to a model id this provider serves, or raise ``ModelNotSupportedError``.

        Every form resolution accepts for this provider works: an exact id, ``<name>/<model>``, the
        provider's own name, an alias, a unique case-insensitive match, and (with ``any_model``) any id.
        """
        if model and model in cls.models and getattr(cls.get_models, "__func__", None) is _GET_MODELS:
            return model  # an exact id, the common case on every request: no list built, no matching
        from ._resolution import model_in

        name = str(getattr(cls, "name", None) or getattr(cls, "__name__", "provider"))
        models = cls.get_models()
        found = model_in(
            model or "",
            provider=name,
            models=models,
            aliases=cls.model_aliases,
            default=cls.default_model,
            any_model=bool(getattr(cls, "any_model", False)),
        )
        if found is None:
            raise ModelNotSupportedError(
                f"{name} does not serve model {quoted(model or '')}; its models are: {name_list(models) or '(none)'}",
                requested=model,
                suggestions=models,
            )
        return found


_GET_MODELS = ProviderModelMixin.get_models.__func__  # type: ignore[attr-defined]
