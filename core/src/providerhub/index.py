"""The persistent model index: discovery's result cached on disk, so a start imports only what it uses.

The index is keyed by everything that can change what discovery finds: the interpreter, the
hub's settings that shape the registry (plugin filters, the configuration file's provider
tables), each plugin's entry point, dist-info folder and that folder's modification time, and
the modification time of every folder holding a plugin (an install or removal there changes
it). A key mismatch, or a file that is not whole and well-formed, is a miss. A plugin that no
longer registers what the index recorded makes the index stale (``StaleIndexError``); callers
then fall back to full discovery and rewrite it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import struct
import sys
import time
import warnings
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .discovery import load_plugin, plugin_manager
from .errors import PluginLoadWarning
from .registry import PluginInfo, ProviderInfo

if TYPE_CHECKING:
    from importlib_metadata import EntryPoint

    from .providers import BaseProvider

FORMAT = 3
MAGIC = b"providerhub index\n"
_HEADER = struct.Struct(">QI")
"""After the magic: the payload's length and its CRC-32, both checked before it is decoded."""
MAX_BYTES = 64 * 1024 * 1024
"""A larger index file is a miss, and is not written."""
KEEP_SECONDS = 30 * 24 * 3600
"""Index files not written or used for this long (other interpreters, old virtualenvs) are removed."""
_SUFFIX = ".idx"
_warned: set[str] = set()


class StaleIndexError(Exception):
    """A plugin registered something other than what the index recorded."""


class Place(NamedTuple):
    """The index file and the hub settings it depends on, taken before any plugin runs: a plugin that
    edits ``sys.path`` at import cannot move the index it is written to."""

    file: str
    settings: tuple[Any, ...]
    """Plain data (JSON-representable): what of the hub's settings shapes its registry."""


class Stored(NamedTuple):
    """What the index holds: discovery's result, and the registry's providers once configuration applied."""

    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    """As the plugins registered them."""
    configured: tuple[ProviderInfo, ...]
    """As the registry holds them: adjusted and derived by the configuration file."""
    notes: tuple[str, ...] = ()
    """Warnings applying the configuration gave, shown again at each start that reads the index."""
    applied: tuple[str, ...] = ()
    """Names (lower case) of the provider tables that applied."""


def cache_dir() -> str:
    """``PROVIDERHUB_CACHE_DIR``, else the platform's user cache directory plus ``providerhub``.

    A relative ``PROVIDERHUB_CACHE_DIR`` raises ``ValueError``: it would mean a new index in every
    working directory.
    """
    explicit = os.environ.get("PROVIDERHUB_CACHE_DIR")
    if explicit:
        expanded = os.path.expanduser(explicit)
        if not os.path.isabs(expanded):
            raise ValueError(f"PROVIDERHUB_CACHE_DIR={explicit!r} is not an absolute path; the model index is not used")
        return expanded
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or ""
        if not os.path.isabs(base):  # the XDG specification: a relative value is ignored
            base = os.path.expanduser("~/.cache")
    return os.path.join(base, "providerhub")


def path(folder: str | None = None) -> str:
    """The index file for this interpreter and ``sys.path``, in ``folder`` (default: ``cache_dir()``).

    A relative ``folder`` raises ``ValueError``, as a relative ``PROVIDERHUB_CACHE_DIR`` does.
    """
    if folder is None:
        folder = cache_dir()
    elif not os.path.isabs(os.path.expanduser(folder)):
        raise ValueError(f"cache_dir {folder!r} is not an absolute path; the model index is not used")
    identity = "\0".join([sys.executable, sys.prefix, *sys.path]).encode("utf-8", "surrogatepass")
    return os.path.join(os.path.expanduser(folder), f"index-{zlib.crc32(identity):08x}{_SUFFIX}")


def locate(folder: str | None = None, settings: tuple[Any, ...] = ()) -> Place | None:
    """Where the index is for this process now; ``None`` (after one warning) when it cannot be used."""
    try:
        file = path(folder)
    except ValueError as exc:
        if str(exc) not in _warned:
            _warned.add(str(exc))
            warnings.warn(str(exc), PluginLoadWarning, stacklevel=3)
        return None
    return Place(file, settings)


def _mtime(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def key(eps: Sequence[EntryPoint], where: Place) -> tuple[Any, ...]:
    """What the index must have been built from to be valid now (time stamps are read now, the rest
    comes from ``where``)."""
    plugins = []
    folders = set()
    for ep in eps:
        found = getattr(ep.dist, "_path", None)
        found = None if found is None else str(found)
        plugins.append((ep.name, ep.value, found, _mtime(found)))
        if found is not None:
            folders.add(os.path.dirname(found))
    # an install or removal beside a plugin (its SDK, say) changes the folder's time
    places = tuple((folder, _mtime(folder)) for folder in sorted(folders))
    return (FORMAT, sys.version, where.settings, places, tuple(plugins))


# The record shapes, field by field: s str, s? str or None, i int, b bool, [s] list of str, [ss] pairs of str.
_PLUGIN = ("s", "s?", "s?", "[s]", "s?", "s")
_PROVIDER = ("s", "s", "[s]", "s", "s?", "[s]", "[ss]", "i", "b", "s?", "s?", "b", "b", "b", "s?", "[ss]")


def _fits(value: object, kind: str) -> bool:
    if kind == "s":
        return type(value) is str
    if kind == "s?":
        return value is None or type(value) is str
    if kind == "i":
        return type(value) is int
    if kind == "b":
        return type(value) is bool
    if type(value) is not list:
        return False
    if kind == "[s]":
        return all(type(v) is str for v in value)
    return all(type(v) is list and len(v) == 2 and type(v[0]) is str and type(v[1]) is str for v in value)


def _frozen(value: Any, kind: str) -> Any:
    return tuple(map(tuple, value)) if kind == "[ss]" else tuple(value) if kind == "[s]" else value


def _records(value: object, shape: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """``value`` as records of ``shape`` (lists become tuples), or ``None`` if anything does not fit."""
    if type(value) is not list:
        return None
    records = []
    for item in value:
        if type(item) is not list or len(item) != len(shape):
            return None
        if not all(_fits(field, kind) for field, kind in zip(item, shape, strict=True)):
            return None
        records.append(tuple(_frozen(f, k) for f, k in zip(item, shape, strict=True)))
    return records


def _plain(value: object) -> object:
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def parse(data: bytes, expected: tuple[Any, ...] | None = None) -> Stored | None:
    """The records in an index file's bytes if they are whole, of the right shape and (when given)
    built under ``expected``; ``None`` otherwise. Length and checksum are checked before decoding."""
    start = len(MAGIC) + _HEADER.size
    if len(data) < start or not data.startswith(MAGIC):
        return None
    length, checksum = _HEADER.unpack_from(data, len(MAGIC))
    payload = data[start:]
    if len(payload) != length or zlib.crc32(payload) != checksum:
        return None
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if type(document) is not list or len(document) != 6:
        return None
    stored_key, plugins, providers, configured, notes, applied = document
    if expected is not None and stored_key != _plain(expected):
        return None
    plugin_records, provider_records = _records(plugins, _PLUGIN), _records(providers, _PROVIDER)
    configured_records = _records(configured, _PROVIDER)
    if plugin_records is None or provider_records is None or configured_records is None:
        return None
    if not (_fits(notes, "[s]") and _fits(applied, "[s]")):
        return None
    return Stored(
        tuple(PluginInfo(*p) for p in plugin_records),
        tuple(ProviderInfo(*p) for p in provider_records),
        tuple(ProviderInfo(*p) for p in configured_records),
        tuple(notes),
        tuple(applied),
    )


def _read_capped(file: str) -> bytes | None:
    """The file's bytes if it is a regular file (not a symlink, FIFO or device) within ``MAX_BYTES``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(file, flags)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        data = f.read(MAX_BYTES + 1)
    if time.time() - info.st_mtime > KEEP_SECONDS / 30:
        with contextlib.suppress(OSError):
            os.utime(file)  # in use: keep it from being pruned
    return data if len(data) <= MAX_BYTES else None


def read(where: Place, expected: tuple[Any, ...]) -> Stored | None:
    """What was recorded under ``expected``, or ``None`` on a miss or a damaged file."""
    try:
        data = _read_capped(where.file)
    except OSError:  # missing, unreadable, a symlink
        return None
    return None if data is None else parse(data, expected)


def write(where: Place, found: tuple[Any, ...], stored: Stored) -> None:
    """Store a result atomically: readers see the old file or the new one, never a mix."""
    import tempfile

    try:
        payload = json.dumps([found, *stored], separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError) as exc:
        warnings.warn(f"the model index is not written: {exc}", PluginLoadWarning, stacklevel=3)
        return
    data = MAGIC + _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
    if len(data) > MAX_BYTES:
        return
    folder = os.path.dirname(where.file)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, where.file)
        except BaseException:
            os.unlink(tmp)
            raise
        prune(folder)
    except OSError:  # a read-only or full cache only costs the next start its speed
        pass


def prune(folder: str) -> None:
    """Remove index files of an older format, and any not written or used for ``KEEP_SECONDS``."""
    now = time.time()
    for entry in os.scandir(folder):
        name = entry.name
        try:
            if name.startswith("index-") and name.endswith(".marshal"):
                os.unlink(entry.path)  # the format before this one
            elif name.startswith(("index-", ".index-")) and now - entry.stat(follow_symlinks=False).st_mtime > (
                KEEP_SECONDS if name.startswith("index-") else 3600
            ):
                os.unlink(entry.path)
        except OSError:
            pass


class IndexedPlugins:
    """Plugins as the index recorded them; each is imported when one of its providers is first used."""

    def __init__(
        self,
        eps: Sequence[EntryPoint],
        plugins: tuple[PluginInfo, ...],
        providers: tuple[ProviderInfo, ...],
        *,
        strict: bool = False,
    ):
        self.eps = {ep.name: ep for ep in eps}
        self.strict = strict
        self.plugins = plugins
        self.providers = providers
        self._classes: dict[str, type[BaseProvider]] = {}

    def load(self, plugin: str) -> dict[str, type[BaseProvider]]:
        """Import ``plugin`` and check it registers exactly what the index says."""
        recorded = next((p for p in self.plugins if p.name == plugin), None)
        if recorded is None or plugin not in self.eps:
            raise StaleIndexError(f"plugin {plugin!r} is not where the model index says")
        mine = sorted(p for p in self.providers if p.plugin == plugin)
        taken = {p.name.lower(): f"plugin {p.plugin!r}" for p in self.providers if p.plugin != plugin}
        info, loaded = load_plugin(self.eps[plugin], plugin_manager(), taken, recorded, strict=self.strict)
        if info != recorded or sorted(record for record, _ in loaded) != mine:
            raise StaleIndexError(f"plugin {plugin!r} changed since the model index was written")
        classes = {record.name: cls for record, cls in loaded}
        self._classes.update(classes)
        return classes

    def provider_class(self, record: ProviderInfo) -> type[BaseProvider]:
        cls = self._classes.get(record.name)
        if cls is None:
            assert record.plugin is not None
            cls = self.load(record.plugin)[record.name]
        return cls

    def retry_failed(self) -> None:
        """Load again the plugins that failed when the index was written: a failure is never cached."""
        for plugin in self.plugins:
            if plugin.error is not None:
                self.load(plugin.name)
