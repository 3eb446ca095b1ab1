"""Checking a call's options against what a provider declares, converting command-line text on the way.

The call API checks options with ``convert_options`` before a provider sees them; a plugin
calls ``convert`` itself for an option it reads from elsewhere (a setting, a stand-in request).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import OptionsError, ProviderError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COMMON_OPTIONS",
    "OPTION_TYPES",
    "convert",
    "convert_options",
    "declared_options",
    "type_name",
]

COMMON_OPTIONS: Mapping[str, Any] = {"proxy": str, "api_key": str}
"""Options every provider takes, declared or not (the g4f signature has ``proxy``; keys go to every provider)."""

OPTION_TYPES: tuple[Any, ...] = (int, float, str, bool, list[str])
"""The types an option may be declared with."""

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def type_name(kind: Any) -> str:
    """How a declared option type is written in messages and the configuration file: ``int``, ``float``,
    ``str``, ``bool`` or ``list[str]``."""
    return "list[str]" if kind == list[str] else getattr(kind, "__name__", repr(kind))


def declared_options(provider: Any) -> dict[str, Any]:
    """Every option ``provider`` takes, by name: its declared ``options`` and the common ones.

    A declaration with a type outside ``OPTION_TYPES`` is the provider's fault: ``ProviderError``.
    """
    name = getattr(provider, "name", getattr(provider, "__name__", "provider"))
    declared = getattr(provider, "options", None) or {}
    if not isinstance(declared, Mapping):
        raise ProviderError(
            f"provider {name} declares options as {type(declared).__name__}, not a mapping of name to type",
            provider=name,
            retryable=False,
        )
    for option, kind in declared.items():
        if not isinstance(option, str) or kind not in OPTION_TYPES:
            raise ProviderError(
                f"provider {name} declares option {option!r} with type {kind!r}; "
                f"option types are {', '.join(map(type_name, OPTION_TYPES))}",
                provider=name,
                retryable=False,
            )
    return {**COMMON_OPTIONS, **declared}


def convert(option: str, kind: Any, value: Any) -> Any:
    """``value`` as a ``kind``: values of the type pass, text converts (``"0.5"``, ``"true"``, ``"a,b"``).

    Anything else is an ``OptionsError`` naming the option, the type and the value.
    """
    converted = _convert(kind, value)
    if converted is _INVALID:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise OptionsError(f"option {option!r} takes {_expected(kind)}, not {shown}")
    return converted


_INVALID: Any = object()


def _expected(kind: Any) -> str:
    if kind is bool:
        return "a bool (true/false, yes/no, on/off, 1/0)"
    if kind == list[str]:
        return "a list of strings (or comma-separated text)"
    if kind is float:
        return "a finite number"
    if kind is int:
        return "an integer"
    return "a string"


def _convert(kind: Any, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            return True if word in _TRUE else False if word in _FALSE else _INVALID
        return _INVALID
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                return _INVALID
        return _INVALID
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return _INVALID
        else:
            return _INVALID
        return number if math.isfinite(number) else _INVALID
    if kind is str:
        return value if isinstance(value, str) else _INVALID
    if kind == list[str]:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            return list(value)
        return _INVALID
    return _INVALID


def convert_options(provider: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """``options`` checked and converted for ``provider``; ``None`` values mean "not given" and are dropped.

    An option the provider does not take is an ``OptionsError`` naming it and listing the valid ones.
    """
    if not options:
        return {}
    valid = declared_options(provider)
    name = getattr(provider, "name", getattr(provider, "__name__", "provider"))
    converted: dict[str, Any] = {}
    for option, value in options.items():
        if value is None:
            continue
        kind = valid.get(option)
        if kind is None:
            listing = ", ".join(f"{key} ({type_name(valid[key])})" for key in sorted(valid))
            raise OptionsError(f"provider {name} takes no option {option!r}; its options are: {listing}")
        converted[option] = convert(option, kind, value)
    return converted
