"""The registry snapshot: validated provider records and the lookup tables resolution reads."""

import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from .errors import PluginLoadWarning, name_list
from .options import OPTION_TYPES, type_name
from .providers import BaseProvider


class ProviderInfo(NamedTuple):
    """What a provider declares, as plain data: enough to resolve a name without importing it."""

    name: str
    plugin: str | None
    """The entry-point name of the plugin that registered it; ``None`` when registered in code."""
    models: tuple[str, ...]
    default_model: str
    default_vision_model: str | None
    vision_models: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    """``(alias, model id)`` pairs, sorted."""
    priority: int
    working: bool
    label: str | None
    url: str | None
    needs_auth: bool
    supports_stream: bool
    any_model: bool = False
    """Whether ``<name>/<anything>`` reaches this provider with ``<anything>`` as the model id."""
    api_key_env: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    """``(option, type name)`` pairs, sorted, e.g. ``("max_tokens", "int")``."""


class PluginInfo(NamedTuple):
    """One installed plugin as discovery found it."""

    name: str
    """The entry-point name."""
    distribution: str | None
    version: str | None
    providers: tuple[str, ...]
    """Names of the providers it registered (invalid ones are left out)."""
    error: str | None
    """Why the plugin, or one of its providers, was left out; ``None`` when all loaded."""
    value: str = ""
    """The entry-point value, e.g. ``"providerhub_dynaspark"``."""


_BAD_ID = r"[\s\x00-\x1f\x7f-\x9f]"  # compiled on first use (re caches it)
"""Whitespace or a control character: never part of a provider name, model id or alias."""


def _identifier(value: object, provider: str, what: str) -> str:
    """A non-empty id as a plain ``str`` (a ``str`` enum member becomes its value)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"provider {provider}: {what} must be a non-empty string, not {_shown(value)}")
    if re.search(_BAD_ID, value):
        raise ValueError(f"provider {provider}: {what} {value!r} contains whitespace or a control character")
    return str.__str__(value)


def _identifiers(value: object, provider: str, what: str) -> tuple[str, ...]:
    """A list or tuple of ids; a bare string is an error, not one id per character."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"provider {provider}: {what} must be a list or tuple of strings, not {_shown(value)}")
    return tuple(_identifier(item, provider, f"{what} entry") for item in value)


def _optional_text(value: object, provider: str, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"provider {provider}: {what} must be a string or None, not {_shown(value)}")
    return str.__str__(value)


def _shown(value: object) -> str:
    """A value in a message: its type and a short repr (a declaration can be anything)."""
    try:
        text = repr(value)
    except Exception:
        text = "?"
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def provider_name(cls: type[BaseProvider]) -> str:
    """A provider's ``name``, checked: it is used as a prefix (``name/model``) and in comma lists."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str):
        raise ValueError(f"provider class {cls.__name__}: name must be a string, not {_shown(name)}")
    if not name:
        raise ValueError("a provider class has an empty name")
    if re.search(_BAD_ID, name):
        raise ValueError(f"provider name {name!r} contains whitespace or a control character")
    if "/" in name or "," in name:
        raise ValueError(f"provider name {name!r} contains '/' or ',' (it is used as a prefix and in lists)")
    return str.__str__(name)


def _options(cls: type[BaseProvider], name: str) -> tuple[tuple[str, str], ...]:
    declared = cls.options
    if not isinstance(declared, Mapping):
        raise ValueError(f"provider {name}: options must be a mapping of option name to type, not {_shown(declared)}")
    options = []
    for option, kind in declared.items():
        if not isinstance(option, str) or not option.isidentifier():
            raise ValueError(f"provider {name}: option name {option!r} is not an identifier")
        if kind not in OPTION_TYPES:
            kinds = name_list(map(type_name, OPTION_TYPES))
            shown = kind.__name__ if isinstance(kind, type) else repr(kind) if isinstance(kind, str) else _shown(kind)
            raise ValueError(f"provider {name}: option {option!r} has type {shown}; the types are: {kinds}")
        options.append((str.__str__(option), type_name(kind)))
    return tuple(sorted(options))


def describe_provider(cls: object, plugin: str | None) -> ProviderInfo:
    """Validate a provider class and return its record, or raise ``ValueError`` saying what is wrong.

    Every declaration is checked by type and stored as plain data (``str``, ``int``, tuples), so
    the record is the same whatever a plugin declared it with, and can be written to the index.
    """
    name = getattr(cls, "__name__", None)
    if not (isinstance(cls, type) and issubclass(cls, BaseProvider)):
        raise ValueError(f"{name or _shown(cls)!r} is not a providerhub.BaseProvider subclass")
    name = provider_name(cls)
    api_key_env = _optional_text(cls.api_key_env, name, "api_key_env")
    if api_key_env is not None and (not api_key_env or re.search(_BAD_ID, api_key_env)):
        raise ValueError(f"provider {name}: api_key_env must be a variable name or None, not {api_key_env!r}")
    abstract = getattr(cls, "__abstractmethods__", ())
    if abstract:
        raise ValueError(f"provider {name} does not implement {name_list(sorted(abstract))}")
    default = cls.default_model
    if not isinstance(default, str):
        raise ValueError(f"provider {name}: default_model must be a string, not {_shown(default)}")
    default = str.__str__(default)
    models = _identifiers(cls.models, name, "models") or (
        (_identifier(default, name, "default_model"),) if default else ()
    )
    if not models:
        raise ValueError(f"provider {name} declares no models and no default_model")
    known = set(models)
    if len(known) != len(models):
        raise ValueError(f"provider {name} lists a model id twice")
    if default not in known:
        raise ValueError(f"provider {name}: default_model {default!r} is not in its models")
    vision_models = _identifiers(cls.vision_models, name, "vision_models")
    stray = [m for m in vision_models if m not in known]
    if stray:
        raise ValueError(f"provider {name}: vision_models {name_list(map(repr, stray))} are not in its models")
    vision_default = _optional_text(cls.default_vision_model, name, "default_vision_model")
    if vision_default is not None and vision_default not in known:
        raise ValueError(f"provider {name}: default_vision_model {vision_default!r} is not in its models")
    declared = cls.model_aliases
    if not isinstance(declared, Mapping):
        raise ValueError(f"provider {name}: model_aliases must be a mapping of strings, not {_shown(declared)}")
    aliases = []
    for alias, target in declared.items():
        alias = _identifier(alias, name, "alias")
        if not isinstance(target, str):
            raise ValueError(f"provider {name}: alias {alias!r} must point to a string, not {_shown(target)}")
        if target not in known:
            raise ValueError(f"provider {name}: alias {alias!r} points to unknown model {target!r}")
        aliases.append((alias, str.__str__(target)))
    priority = cls.priority
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ValueError(f"provider {name}: priority must be an int, not {_shown(priority)}")
    max_images = cls.max_images
    if max_images is not None and (not isinstance(max_images, int) or isinstance(max_images, bool) or max_images < 0):
        raise ValueError(f"provider {name}: max_images must be a whole number or None, not {_shown(max_images)}")
    return ProviderInfo(
        name=name,
        plugin=plugin,
        models=models,
        default_model=default,
        default_vision_model=vision_default,
        vision_models=vision_models,
        aliases=tuple(sorted(aliases)),
        priority=int(priority),
        working=bool(cls.working),
        label=_optional_text(cls.label, name, "label"),
        url=_optional_text(cls.url, name, "url"),
        needs_auth=bool(cls.needs_auth),
        supports_stream=bool(cls.supports_stream),
        any_model=bool(cls.any_model),
        api_key_env=api_key_env,
        options=_options(cls, name),
    )


Loader = Callable[[ProviderInfo], "type[BaseProvider]"]


class Registry:
    """An immutable snapshot of every registered provider, with lookup tables built once.

    Provider classes are fetched through ``loader`` on first use, so a snapshot read from the
    model index imports only the plugins whose providers are actually asked for.
    """

    def __init__(
        self,
        providers: Iterable[ProviderInfo],
        plugins: Iterable[PluginInfo],
        loader: Loader,
        *,
        from_index: bool = False,
        prefer: Sequence[str] = (),
        default_model: str | None = None,
        default_source: str = "default_model",
    ):
        records = sorted(providers, key=lambda p: (p.name.lower(), p.name))
        model_ids = {model for record in records for model in record.models}
        cleaned = []
        for record in records:
            shadowing = [alias for alias, _ in record.aliases if alias in model_ids]
            if shadowing:
                warnings.warn(
                    f"provider {record.name}: alias {name_list(map(repr, shadowing))} dropped, "
                    "it is a model id (an exact id always means itself)",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                record = record._replace(aliases=tuple(a for a in record.aliases if a[0] not in model_ids))
            cleaned.append(record)
        self.providers: tuple[ProviderInfo, ...] = tuple(cleaned)
        self.plugins: tuple[PluginInfo, ...] = tuple(plugins)
        self.by_name: dict[str, ProviderInfo] = {r.name.lower(): r for r in self.providers}
        self.by_model: dict[str, list[ProviderInfo]] = {}
        self.by_alias: dict[str, list[tuple[ProviderInfo, str]]] = {}
        self.by_folded: dict[str, set[str]] = {}
        for record in self.providers:
            for model in record.models:
                self.by_model.setdefault(model, []).append(record)
                self.by_folded.setdefault(model.casefold(), set()).add(model)
            for alias, target in record.aliases:
                self.by_alias.setdefault(alias, []).append((record, target))
                self.by_folded.setdefault(alias.casefold(), set()).add(alias)
        self.prefer: tuple[str, ...] = tuple(name.lower() for name in prefer)
        """Provider names (lower case) to put first when several serve a model, in this order."""
        self.default_model = default_model
        """The name resolved when none is given; ``None``: the preferred provider's default model."""
        self.default_source = default_source
        """Where ``default_model`` was set, as errors name it (``PROVIDERHUB_DEFAULT_MODEL``, ...)."""
        self.from_index = from_index
        """Whether the plugin part came from the model index (so a failure is worth a full discovery)."""
        self._loader = loader
        self._classes: dict[str, type[BaseProvider]] = {}
        self._lock = threading.Lock()

    def provider_class(self, record: ProviderInfo) -> type[BaseProvider]:
        """The class behind a record, imported on first use."""
        cls = self._classes.get(record.name)
        if cls is None:
            with self._lock:
                cls = self._classes.get(record.name)
                if cls is None:
                    cls = self._classes[record.name] = self._loader(record)
        return cls

    def names(self) -> list[str]:
        """Every name a request can match: model ids, aliases and provider names."""
        return [*self.by_model, *self.by_alias, *(r.name for r in self.providers)]
