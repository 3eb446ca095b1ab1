"""The configuration file, ``providerhub.toml``: where it is, reading it within bounds, checking what it says.

``_settings`` combines what the file says with the environment and a hub's arguments.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence

from ._records import NamedTuple
from ._userfiles import config_dir
from .errors import ConfigError, ConfigWarning
from .options import OPTION_TYPES, type_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FILENAME = "providerhub.toml"
MAX_BYTES = 1 << 20
"""A configuration file larger than this is refused (it is hand-written settings, not data)."""
KEYS = ("default_model", "prefer", "plugins", "disable_plugins", "providers", "router")
"""The top-level keys the file may hold."""


class ProviderTable(NamedTuple):
    """One ``[providers.NAME]`` table: derive ``name`` from ``base`` (``from = ...``), or adjust ``name`` itself."""

    name: str
    base: str | None
    settings: Mapping[str, Any]


class Config(NamedTuple):
    """A configuration file's settings; ``None`` where the file says nothing."""

    path: str | None = None
    default_model: str | None = None
    prefer: tuple[str, ...] | None = None
    plugins: tuple[str, ...] | None = None
    disable_plugins: tuple[str, ...] | None = None
    providers: tuple[ProviderTable, ...] = ()
    router: Mapping[str, Any] | None = None
    """The ``[router]`` table as written, for the router to read."""

    def where(self, table: str) -> str:
        """How a warning names a part of this file."""
        return f"{self.path or FILENAME}: [{table}]" if table else f"{self.path or FILENAME}"


def default_path(environ: Mapping[str, str] = os.environ) -> str:
    """``$PROVIDERHUB_CONFIG``, else ``providerhub/providerhub.toml`` in the platform's user config directory."""
    explicit = environ.get("PROVIDERHUB_CONFIG", "").strip()
    if explicit:
        return explicit
    return os.path.join(config_dir(environ), FILENAME)


def load(path: str | os.PathLike[str]) -> Config:
    """Read and check a configuration file; a missing file is an empty configuration.

    A file that cannot be read or is not valid TOML is a ``ConfigError``; a part of it that is
    wrong (an unknown key, a value of the wrong type) is left out with a ``ConfigWarning``.
    """
    path = os.path.expanduser(os.fspath(path))
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc.strerror or exc}", path=path) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"configuration file {path} is larger than {MAX_BYTES} bytes", path=path)
    cached = _cached(path, data)
    if cached is not None:
        return parse(cached, path)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not UTF-8 text (byte {exc.start})", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}", path=path) from None
    except RecursionError:
        raise ConfigError(f"configuration file {path} is nested too deeply", path=path) from None
    _cache(path, data, parsed)
    return parse(parsed, path)


# -- the parsed file kept beside the model index: a start need not import a TOML parser -----------


def _cache_file(path: str) -> str | None:
    import zlib

    from ._index import cache_dir

    try:
        folder = cache_dir()
    except ValueError:  # a relative PROVIDERHUB_CACHE_DIR: the index warns about it
        return None
    return os.path.join(folder, f"config-{zlib.crc32(path.encode('utf-8', 'surrogatepass')):08x}.json")


def _cached(path: str, data: bytes) -> dict[str, Any] | None:
    """The parsed TOML stored for exactly these bytes of the file at ``path``, if any."""
    from ._jsonread import loads

    file = _cache_file(path)
    if file is None:
        return None
    try:
        with open(file, "rb") as f:
            stored = loads(f.read(4 * MAX_BYTES + 1024).decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError included
        return None
    if type(stored) is not dict or stored.get("path") != path or stored.get("text") != data.decode("utf-8", "replace"):
        return None
    parsed = stored.get("parsed")
    return parsed if type(parsed) is dict else None


def _cache(path: str, data: bytes, parsed: dict[str, Any]) -> None:
    """Store the parsed TOML for these bytes; values JSON cannot hold (dates) leave it unstored."""
    import json
    import tempfile

    file = _cache_file(path)
    if file is None:
        return
    try:
        text = json.dumps({"path": path, "text": data.decode("utf-8"), "parsed": parsed}, allow_nan=True)
        if json.loads(text)["parsed"] != parsed:
            return  # something JSON changes (a float key, a tuple): parse the file each time
    except (TypeError, ValueError):
        return
    folder = os.path.dirname(file)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:  # a read-only cache only costs the next start a parse
        pass


def parse(data: Mapping[str, Any], path: str | None = None) -> Config:
    """Check parsed TOML: each wrong part is warned about and left out, the rest kept."""
    config = Config(path=path)

    def warn(where: str, message: str) -> None:
        warnings.warn(f"{config.where(where)}: {message}", ConfigWarning, stacklevel=4)

    for key in data:
        if key not in KEYS:
            warn("", f"unknown key {key!r} is ignored; the keys are: {', '.join(KEYS)}")
    values: dict[str, Any] = {}
    default_model = data.get("default_model")
    if default_model is not None:
        if isinstance(default_model, str) and default_model.strip():
            values["default_model"] = default_model.strip()
        else:
            warn("", f"default_model must be a non-empty string, not {default_model!r}; it is ignored")
    for key in ("prefer", "plugins", "disable_plugins"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            values[key] = tuple(item.strip() for item in value if item.strip())
        else:
            warn("", f"{key} must be a list of strings, not {value!r}; it is ignored")
    router = data.get("router")
    if router is not None:
        if isinstance(router, Mapping):
            values["router"] = router
        else:
            warn("", f"router must be a table, not {router!r}; it is ignored")
    providers = data.get("providers", {})
    if not isinstance(providers, Mapping):
        warn("", f"providers must hold tables ([providers.NAME]), not {providers!r}; it is ignored")
        providers = {}
    tables = []
    for name, table in providers.items():
        where = f"providers.{name}"
        if not isinstance(table, Mapping):
            warn(where, f"must be a table, not {table!r}; the provider is left out")
            continue
        base = table.get("from")
        if base is not None and (not isinstance(base, str) or not base.strip()):
            warn(where, f"'from' must name an installed provider, not {base!r}; the provider is left out")
            continue
        settings = {k: v for k, v in table.items() if k != "from"}
        if isinstance(settings.get("options"), Mapping):
            # types by name ("float", "list[str]"); a name that is not one is left for validation to name
            types = {type_name(kind): kind for kind in OPTION_TYPES}
            settings["options"] = {
                k: types.get(v, v) if isinstance(v, str) else v for k, v in settings["options"].items()
            }
        tables.append(ProviderTable(name, base.strip() if base else None, settings))
    return config._replace(providers=tuple(tables), **values)


def canonical(tables: Sequence[ProviderTable]) -> str:
    """The provider tables as one string, for the model index key (any TOML value has a stable repr)."""
    return repr([(t.name, t.base, sorted(t.settings.items())) for t in tables])
