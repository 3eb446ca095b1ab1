"""The registry snapshot: validated provider records and the lookup tables resolution reads."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from .errors import PluginLoadWarning
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


OPTION_TYPES: dict[object, str] = {int: "int", float: "float", str: "str", bool: "bool", list[str]: "list[str]"}
"""The types an option may be declared with, and their names in records and listings."""


def provider_name(cls: type[BaseProvider]) -> str:
    """A provider's ``name``, checked: it is used as a prefix (``name/model``) and in comma lists."""
    name = cls.name
    if not isinstance(name, str) or not name or name != name.strip() or any(c in name for c in "/,"):
        raise ValueError(
            f"provider class {cls.__name__}: name must be a non-empty string without '/', ',' "
            f"or surrounding spaces, not {name!r}"
        )
    return name


def _options(cls: type[BaseProvider], name: str) -> tuple[tuple[str, str], ...]:
    declared = cls.options
    if not isinstance(declared, Mapping):
        raise ValueError(f"provider {name}: options must be a mapping of option name to type, not {declared!r}")
    options = []
    for option, kind in declared.items():
        if not isinstance(option, str) or not option.isidentifier():
            raise ValueError(f"provider {name}: option name {option!r} is not an identifier")
        type_name = OPTION_TYPES.get(kind)
        if type_name is None:
            kinds = ", ".join(OPTION_TYPES.values())
            raise ValueError(f"provider {name}: option {option!r} has type {kind!r}; the types are: {kinds}")
        options.append((option, type_name))
    return tuple(sorted(options))


def describe_provider(cls: object, plugin: str | None) -> ProviderInfo:
    """Validate a provider class and return its record, or raise ``ValueError`` saying what is wrong."""
    name = getattr(cls, "__name__", repr(cls))
    if not (isinstance(cls, type) and issubclass(cls, BaseProvider)):
        raise ValueError(f"{name!r} is not a providerhub.BaseProvider subclass")
    name = provider_name(cls)
    api_key_env = cls.api_key_env
    if api_key_env is not None and (not isinstance(api_key_env, str) or not api_key_env.strip()):
        raise ValueError(f"provider {name}: api_key_env must be a variable name or None, not {api_key_env!r}")
    abstract = getattr(cls, "__abstractmethods__", ())
    if abstract:
        missing = ", ".join(sorted(abstract))
        raise ValueError(f"provider {name} does not implement {missing}")
    models = tuple(cls.models) or ((cls.default_model,) if cls.default_model else ())
    if not models:
        raise ValueError(f"provider {name} declares no models and no default_model")
    for model in models:
        if not isinstance(model, str) or not model:
            raise ValueError(f"provider {name} has a model id that is not a non-empty string: {model!r}")
    if len(set(models)) != len(models):
        raise ValueError(f"provider {name} lists a model id twice")
    if cls.default_model not in models:
        raise ValueError(f"provider {name}: default_model {cls.default_model!r} is not in its models")
    stray = [m for m in cls.vision_models if m not in models]
    if stray:
        raise ValueError(f"provider {name}: vision_models {stray} are not in its models")
    vision_default = cls.default_vision_model
    if vision_default is not None and vision_default not in models:
        raise ValueError(f"provider {name}: default_vision_model {vision_default!r} is not in its models")
    aliases = []
    for alias, target in cls.model_aliases.items():
        if not isinstance(alias, str) or not alias:
            raise ValueError(f"provider {name} has an alias that is not a non-empty string: {alias!r}")
        if target not in models:
            raise ValueError(f"provider {name}: alias {alias!r} points to unknown model {target!r}")
        aliases.append((alias, target))
    priority = cls.priority
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ValueError(f"provider {name}: priority must be an int, not {priority!r}")
    return ProviderInfo(
        name=name,
        plugin=plugin,
        models=models,
        default_model=cls.default_model,
        default_vision_model=vision_default,
        vision_models=tuple(cls.vision_models),
        aliases=tuple(sorted(aliases)),
        priority=priority,
        working=bool(cls.working),
        label=cls.label,
        url=cls.url,
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
    ):
        records = sorted(providers, key=lambda p: (p.name.lower(), p.name))
        model_ids = {model for record in records for model in record.models}
        cleaned = []
        for record in records:
            shadowing = [alias for alias, _ in record.aliases if alias in model_ids]
            if shadowing:
                warnings.warn(
                    f"provider {record.name}: alias {', '.join(map(repr, shadowing))} dropped, "
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
