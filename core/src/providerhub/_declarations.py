"""Declarations: the rules a provider class's declarations must follow, in one place.

Discovery, the configuration file's provider tables, ``configure()``, registration in code and
``providerhub.testing`` all check a provider through ``describe_provider`` (``configure()`` checks
what it is given through ``check_settings`` first); the registry and the kit find aliases that
shadow a model id through ``shadowing_aliases``. The messages are worded here, once.
"""

from collections.abc import Iterable, Mapping

from ._records import NamedTuple
from .errors import name_list
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


_CONTROL = frozenset(map(chr, (*range(0x20), *range(0x7F, 0xA0))))


def _bad_id(text: str) -> bool:
    """Whether ``text`` holds whitespace or a control character, never part of a provider name, model id
    or alias: what ``re.search(r"[\\s\x00-\x1f\x7f-\x9f]", text)`` finds (``str.split`` splits on the
    same whitespace as ``\\s``), without importing ``re``."""
    return bool(text) and (text.split() != [text] or not _CONTROL.isdisjoint(text))


def _identifier(value: object, provider: str, what: str) -> str:
    """A non-empty id as a plain ``str`` (a ``str`` enum member becomes its value)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"provider {provider}: {what} must be a non-empty string, not {_shown(value)}")
    if _bad_id(value):
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
    if _bad_id(name):
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
    if api_key_env is not None and (not api_key_env or _bad_id(api_key_env)):
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


def shadowing_aliases(record: ProviderInfo, model_ids: "set[str] | frozenset[str]") -> list[str]:
    """The aliases of ``record`` that are also model ids (of any provider): an exact id always means itself."""
    return [alias for alias, _ in record.aliases if alias in model_ids]


def shadowing_message(record: ProviderInfo, aliases: Iterable[str]) -> str:
    """What the registry warns, and the kit reports, for aliases that shadow a model id."""
    return (
        f"provider {record.name}: alias {name_list(map(repr, aliases))} dropped, "
        "it is a model id (an exact id always means itself)"
    )


def settable(cls: type[BaseProvider]) -> set[str]:
    """The declarations ``configure`` may override: public, non-method class attributes."""
    names = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr.startswith("_") or attr == "name":
                continue
            if isinstance(value, (classmethod, staticmethod, property)) or callable(value):
                continue
            names.add(attr)
    for klass in cls.__mro__:
        names.update(a for a in getattr(klass, "__annotations__", {}) if not a.startswith("_") and a != "name")
    return names


def check_settings(cls: type[BaseProvider], name: object, settings: Mapping[str, object]) -> None:
    """What ``configure(name, **settings)`` is given, checked before a class is made (``ValueError``)."""
    valid = settable(cls)
    unknown = sorted(set(settings) - valid)
    if unknown:
        raise ValueError(
            f"provider {cls.name}: unknown setting {', '.join(map(repr, unknown))}; "
            f"the settings are: {', '.join(sorted(valid))}"
        )
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"provider {cls.name}: a configured provider needs a non-empty name, not {name!r}")
