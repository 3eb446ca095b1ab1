"""A hub's settings, read in one place: the built-in defaults, the configuration file, the
environment and the ``Hub``'s arguments become one checked ``Settings`` value.

Later sources win: defaults, then the file (``_config`` reads and checks it), then the
``PROVIDERHUB_*`` variables (for the default hub), then arguments. Settings are read when a hub
is built, never per call. A bad variable or argument is an error naming it; a bad part of the
file is left out with a ``ConfigWarning`` naming the file and table.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping

from ._config import Config, default_path, load
from ._records import NamedTuple
from .errors import ConfigError, ConfigWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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


ROUTING_ENVIRONMENT = {field: f"PROVIDERHUB_{field.upper()}" for field in RouterSettings._fields}
"""The variable that sets each routing setting, e.g. ``PROVIDERHUB_COOLDOWN``."""


class Settings(NamedTuple):
    """Everything a hub is built with, checked, each value already taken from the source that wins."""

    config: Config
    """The configuration file as read (an empty ``Config`` when there is none)."""
    plugins: tuple[str, ...] | None
    """Plugins to load (entry-point or distribution names); ``None``: all installed."""
    disable_plugins: tuple[str, ...]
    prefer: tuple[str, ...]
    default_model: str | None
    default_source: str
    """Where ``default_model`` came from, for an error about it: an argument, a variable or the file."""
    cache_dir: str | None
    """Where the model index lives; ``None``: the default cache directory (``PROVIDERHUB_CACHE_DIR`` included)."""
    use_index: bool
    strict: bool
    routing: RouterSettings


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
    """The routing settings the ``PROVIDERHUB_*`` variables give (unset or empty ones: none), as ``Hub`` arguments.

    A bad value is a ``ConfigError`` naming the variable.
    """
    environ = os.environ if environ is None else environ
    chosen: dict[str, Any] = {}
    for field, variable in ROUTING_ENVIRONMENT.items():
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
    """Routing settings from, lowest first: the defaults, a ``[router]`` table, then ``arguments``.

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


def env_list(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated variable as a tuple; ``None`` when it is unset (set but empty: no names)."""
    if value is None:
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _names(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


def hub_settings(
    *,
    config: str | os.PathLike[str] | Config | None = None,
    plugins: str | Iterable[str] | None = None,
    disable_plugins: str | Iterable[str] | None = None,
    prefer: str | Iterable[str] | None = None,
    default_model: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_index: bool = True,
    strict: bool = False,
    default_source: str = "default_model",
    **routing: Any,
) -> Settings:
    """The ``Hub``'s arguments over the configuration file over the defaults, checked.

    ``config`` is a path or an already loaded ``Config``; an argument left ``None`` takes the
    file's value. ``default_source`` names where a given ``default_model`` came from.
    """
    loaded = config if isinstance(config, Config) else Config() if config is None else load(config)
    chosen_plugins = _names(plugins) if plugins is not None else loaded.plugins
    disabled = _names(disable_plugins) if disable_plugins is not None else loaded.disable_plugins
    preferred = _names(prefer) if prefer is not None else loaded.prefer
    return Settings(
        config=loaded,
        plugins=chosen_plugins,
        disable_plugins=disabled or (),
        prefer=preferred or (),
        default_model=default_model or loaded.default_model,
        default_source=default_source if default_model else f"{loaded.where('')}: default_model",
        cache_dir=os.fspath(cache_dir) if cache_dir is not None else None,
        use_index=use_index,
        strict=strict,
        routing=load_settings(routing, table=loaded.router, where=loaded.where("router")),
    )


def environment_arguments(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The ``hub_settings`` arguments the environment gives: the file at ``$PROVIDERHUB_CONFIG`` (else the
    user's), and each ``PROVIDERHUB_*`` variable that is set, overriding the file's value."""
    arguments: dict[str, Any] = {"config": load(default_path(environ))}
    for name, key in (("PROVIDERHUB_PLUGINS", "plugins"), ("PROVIDERHUB_DISABLE_PLUGINS", "disable_plugins")):
        value = env_list(environ.get(name))
        if value is not None:
            arguments[key] = value
    prefer = env_list(environ.get("PROVIDERHUB_PREFER"))
    if prefer:
        arguments["prefer"] = prefer
    default_model = environ.get("PROVIDERHUB_DEFAULT_MODEL", "").strip()
    if default_model:
        arguments["default_model"] = default_model
        arguments["default_source"] = "PROVIDERHUB_DEFAULT_MODEL"
    arguments["use_index"] = environ.get("PROVIDERHUB_NO_CACHE", "").strip().lower() not in _TRUE
    arguments["strict"] = environ.get("PROVIDERHUB_STRICT_PLUGINS", "").strip().lower() in _TRUE
    arguments.update(environment_settings(environ))
    return arguments


def from_environment(environ: Mapping[str, str] = os.environ) -> Settings:
    """The default hub's settings: the user's configuration file, overridden by the environment."""
    return hub_settings(**environment_arguments(environ))
