"""The router's settings: defaults, and reading them from arguments, a `[router]` table and the environment."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import ConfigError, ConfigWarning


class RouterSettings(NamedTuple):
    """How a call is routed across the candidates of a model name (see the README's "Routing")."""

    fallback: bool = True
    """Try the next candidate when one fails before its first chunk."""
    retries: int = 1
    """Further tries of one candidate after a retryable failure, before moving on."""
    allowed_fails: int = 3
    """Failures of one (provider, model) within ``window`` seconds that start a cooldown."""
    window: float = 60.0
    cooldown: float = 30.0
    """Seconds a (provider, model) is skipped after too many failures (an auth failure: 20 times as long)."""
    first_chunk_timeout: float | None = 120.0
    """Seconds an attempt may take to give its first text chunk (``None``: only ``timeout`` bounds it)."""
    timeout: float | None = 300.0
    """Seconds the whole call may take, across all attempts (``None``: no bound beyond the providers' own)."""
    state_url: str | None = None
    """Where failure counts and cooldowns are shared (``redis://...``); ``None``: in this process's memory."""


ENVIRONMENT = {field: f"PROVIDERHUB_{field.upper()}" for field in RouterSettings._fields}
"""The variable that sets each setting, e.g. ``PROVIDERHUB_COOLDOWN``."""

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _convert(field: str, value: Any, where: str) -> Any:
    """``value`` as the type ``field`` holds, or a ``ValueError`` naming ``where`` it came from."""
    text = value.strip() if isinstance(value, str) else value
    if field == "fallback":
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{where} must be true or false, not {value!r}")
    if field == "state_url":
        if text in (None, ""):
            return None
        if not isinstance(text, str) or not text.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{where} must be a redis://, rediss:// or unix:// URL, not {value!r}")
        return text
    if field in ("retries", "allowed_fails"):
        least = 0 if field == "retries" else 1
        if isinstance(text, bool) or not isinstance(text, (int, str)):
            raise ValueError(f"{where} must be a whole number >= {least}, not {value!r}")
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"{where} must be a whole number >= {least}, not {value!r}") from None
        if number < least:
            raise ValueError(f"{where} must be a whole number >= {least}, not {value!r}")
        return number
    optional = field in ("first_chunk_timeout", "timeout")
    if optional and isinstance(text, str) and text.lower() in ("none", "off"):
        return None
    kind = "a number of seconds > 0" + (" (or none)" if optional else "")
    if isinstance(text, bool) or not isinstance(text, (int, float, str)):
        raise ValueError(f"{where} must be {kind}, not {value!r}")
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{where} must be {kind}, not {value!r}") from None
    if optional and seconds == math.inf:
        return None
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{where} must be {kind}, not {value!r}")
    return seconds


def environment_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the ``PROVIDERHUB_*`` variables give (unset or empty ones: none), as ``Hub`` arguments.

    A bad value is a ``ConfigError`` naming the variable.
    """
    environ = os.environ if environ is None else environ
    chosen: dict[str, Any] = {}
    for field, variable in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is not None and raw.strip():
            try:
                chosen[field] = _convert(field, raw, variable)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
    return chosen


def load_settings(
    arguments: Mapping[str, Any] | None = None,
    *,
    table: Mapping[str, Any] | None = None,
    where: str = "providerhub.toml: [router]",
) -> RouterSettings:
    """Settings from, lowest first: the defaults, a ``[router]`` table, then ``arguments``.

    An argument of ``None`` means "not given" (``math.inf`` turns a timeout off); a bad one is a
    ``ValueError`` naming it. A bad entry of the table is left out with a ``ConfigWarning``
    naming ``where`` it is, as the configuration file's other parts are.
    """
    chosen: dict[str, Any] = {}
    for key, value in (table or {}).items():
        if key not in RouterSettings._fields:
            message = f"unknown setting {key!r} is ignored; the settings are: {', '.join(RouterSettings._fields)}"
            warnings.warn(f"{where}: {message}", ConfigWarning, stacklevel=3)
            continue
        try:
            chosen[key] = _convert(key, value, f"{where}: {key}")
        except ValueError as exc:
            warnings.warn(f"{exc}; it is ignored", ConfigWarning, stacklevel=3)
    for key, value in (arguments or {}).items():
        if key not in RouterSettings._fields:
            raise ValueError(f"unknown router setting {key!r}; the settings are: {', '.join(RouterSettings._fields)}")
        if value is not None:
            chosen[key] = _convert(key, value, f"{key}={value!r}")
    return RouterSettings(**chosen)
