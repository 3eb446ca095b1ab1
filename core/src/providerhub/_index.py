"""The persistent model index: discovery's result cached on disk, so a start imports only what it uses.

The index is keyed by everything that can change what discovery finds, all known without
reading any distribution's metadata: the interpreter, providerhub's version, the hub's settings
that shape the registry (plugin filters, the configuration file's provider tables), and each
``sys.path`` entry with its modification time (an install, upgrade or removal there changes
it). A start that finds its key imports only the plugin it uses, from the module the index
recorded: no entry-point scan, no ``importlib_metadata``, no pluggy. A key mismatch, or a
file that is not whole and well-formed, is a miss. A plugin that no longer registers what the
index recorded makes the index stale (``StaleIndexError``); callers then fall back to full
discovery and rewrite it.
"""

from __future__ import annotations

import os
import stat
import sys
import time
import warnings
import zlib
from itertools import chain

from . import _userfiles
from ._declarations import ProviderInfo
from ._discovery import RecordedEntryPoint, load_plugin
from ._jsonread import loads
from ._records import NamedTuple
from ._registry import PluginInfo
from .errors import PluginLoadWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .providers import BaseProvider

FORMAT = 5
MAGIC = b"providerhub index\n"
_HEADER_SIZE = 12
"""After the magic: the payload's length (8 bytes) and its CRC-32 (4), big-endian, both checked before it is decoded."""
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
    entries: tuple[str, ...] = ()
    """``sys.path`` as it was before any plugin ran."""


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
    scan_notes: tuple[str, ...] = ()
    """Warnings looking for plugins gave (a distribution skipped, a name declared twice), shown again."""


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
    return _userfiles.cache_dir()


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
    return Place(file, settings, tuple(entry for entry in sys.path if isinstance(entry, str)))


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _metadata_in_working_directory() -> tuple[str, ...] | None:
    """The distribution folders in the working directory (``""`` on ``sys.path``): its time
    changes with every file saved there, so its key is what discovery would find in it."""
    try:
        return tuple(sorted(n for n in os.listdir(".") if n.endswith((".dist-info", ".egg-info"))))
    except OSError:
        return None


def key(where: Place) -> tuple[Any, ...]:
    """What the index must have been built under to be valid now, known without reading any metadata.

    Besides the interpreter, providerhub's own version and the hub's settings, each ``sys.path``
    entry and its modification time: installing, upgrading or removing a distribution (an
    editable one included) adds or removes a ``.dist-info`` folder there, which changes the time;
    a changed ``PYTHONPATH`` changes the entries. Read after discovery when writing: importing
    plugins may write bytecode beside them.
    """
    core = sys.modules["providerhub"]
    places = tuple((entry, _mtime(entry) if entry else _metadata_in_working_directory()) for entry in where.entries)
    return (FORMAT, sys.version, sys.executable, getattr(core, "__version__", None), where.settings, places)


# The record shapes, field by field: s str, s? str or None, i int, b bool, [s] list of str, [ss] pairs of str.
_PLUGIN = ("s", "s?", "s?", "[s]", "s?", "s")
_PROVIDER = ("s", "s", "[s]", "s", "s?", "[s]", "[ss]", "i", "b", "s?", "s?", "b", "b", "b", "s?", "[ss]")
_TYPES: dict[str, set[type]] = {
    "s": {str},
    "s?": {str, type(None)},
    "i": {int},
    "b": {bool},
    "[s]": {list},
    "[ss]": {list},
}
_STR, _LIST, _TWO = {str}, {list}, {2}


def _fits(value: object, kind: str) -> bool:
    return _column([value], kind) is not None


def _column(values: list[Any] | tuple[Any, ...], kind: str) -> tuple[Any, ...] | None:
    """One field of every record, checked and converted (lists become tuples), or ``None`` if any does not fit.

    Checked a field at a time over all records (set operations, no per-record calls): an index of
    thousands of providers is read at every start."""
    if not set(map(type, values)) <= _TYPES[kind]:
        return None
    if kind == "[s]":
        if not set(map(type, chain.from_iterable(values))) <= _STR:
            return None
        return tuple(map(tuple, values))
    if kind == "[ss]":
        pairs = list(chain.from_iterable(values))
        if pairs and not (set(map(type, pairs)) <= _LIST and set(map(len, pairs)) <= _TWO):
            return None
        if not set(map(type, chain.from_iterable(pairs))) <= _STR:
            return None
        return tuple(tuple(map(tuple, value)) if value else () for value in values)
    return tuple(values)


def _records(value: object, shape: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """``value`` as records of ``shape`` (lists become tuples), or ``None`` if anything does not fit."""
    if type(value) is not list:
        return None
    if not value:
        return []
    if set(map(type, value)) != _LIST or set(map(len, value)) != {len(shape)}:
        return None
    columns = []
    for field, kind in zip(zip(*value, strict=True), shape, strict=True):
        column = _column(field, kind)
        if column is None:
            return None
        columns.append(column)
    return list(zip(*columns, strict=True))


def _plain(value: object) -> object:
    """``value`` as it reads back from JSON: tuples become lists (a key holds only those, ``str``,
    numbers and ``None``)."""
    return [_plain(item) for item in value] if isinstance(value, (tuple, list)) else value


def parse(data: bytes, expected: tuple[Any, ...] | None = None) -> Stored | None:
    """The records in an index file's bytes if they are whole, of the right shape and (when given)
    built under ``expected``; ``None`` otherwise. Length and checksum are checked before decoding."""
    start = len(MAGIC) + _HEADER_SIZE
    if len(data) < start or not data.startswith(MAGIC):
        return None
    length = int.from_bytes(data[len(MAGIC) : start - 4], "big")
    checksum = int.from_bytes(data[start - 4 : start], "big")
    payload = data[start:]
    if len(payload) != length or zlib.crc32(payload) != checksum:
        return None
    try:
        document = loads(payload.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError included
        return None
    if type(document) is not list or len(document) != 7:
        return None
    stored_key, plugins, providers, configured, notes, applied, scan_notes = document
    if expected is not None and stored_key != _plain(expected):
        return None
    plugin_records, provider_records = _records(plugins, _PLUGIN), _records(providers, _PROVIDER)
    # ``null``: no provider table applied, the registry holds the plugins' providers as they are
    configured_records = provider_records if configured is None else _records(configured, _PROVIDER)
    if plugin_records is None or provider_records is None or configured_records is None:
        return None
    if not (_fits(notes, "[s]") and _fits(applied, "[s]") and _fits(scan_notes, "[s]")):
        return None
    as_read = tuple(map(ProviderInfo._make, provider_records))
    return Stored(
        tuple(map(PluginInfo._make, plugin_records)),
        as_read,
        as_read if configured is None else tuple(map(ProviderInfo._make, configured_records)),
        tuple(notes),
        tuple(applied),
        tuple(scan_notes),
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
        import contextlib  # once a day: a start that only reads needs none of it

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
    import json
    import tempfile

    try:
        document: list[Any] = [found, *stored]
        if stored.configured == stored.providers:
            document[3] = None  # read back as the providers: half the file to check at each start
        payload = json.dumps(document, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError) as exc:
        warnings.warn(f"the model index is not written: {exc}", PluginLoadWarning, stacklevel=3)
        return
    data = MAGIC + len(payload).to_bytes(8, "big") + zlib.crc32(payload).to_bytes(4, "big") + payload
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
    """Plugins as the index recorded them; each is imported (its recorded module, directly) when one
    of its providers is first used, and its hook called without pluggy when it is plainly marked."""

    def __init__(
        self,
        plugins: tuple[PluginInfo, ...],
        providers: tuple[ProviderInfo, ...],
        *,
        strict: bool = False,
    ):
        self.strict = strict
        self.plugins = plugins
        self.providers = providers
        self._classes: dict[str, type[BaseProvider]] = {}

    def load(self, plugin: str) -> dict[str, type[BaseProvider]]:
        """Import ``plugin`` and check it registers exactly what the index says."""
        recorded = next((p for p in self.plugins if p.name == plugin), None)
        if recorded is None:
            raise StaleIndexError(f"plugin {plugin!r} is not where the model index says")
        mine = sorted(p for p in self.providers if p.plugin == plugin)
        ep = RecordedEntryPoint(recorded.name, recorded.value, recorded.distribution, recorded.version)
        # No names taken: the recorded ones are unique, so a name of another plugin's is a change too.
        info, loaded = load_plugin(ep, None, {}, recorded, strict=self.strict)
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
