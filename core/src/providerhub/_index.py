"""The persistent model index: discovery's result cached on disk, so a start imports only what it uses.

The index is keyed by everything that can change what discovery finds, all known without
reading any distribution's metadata: the interpreter, providerhub's version, the hub's settings
that shape the registry (plugin filters, the configuration file's provider tables), and each
``sys.path`` entry with its modification time (an install, upgrade or removal there changes
it). A start that finds its key imports only the plugin it uses, from the module the index
recorded: no entry-point scan, no ``importlib_metadata``, no pluggy, and of the index itself
only the records it needs are decoded (``View``). A key mismatch, or a file that is not whole
and well-formed, is a miss. A plugin that no longer registers what the index recorded, or a
record found damaged when it is read, makes the index stale (``StaleIndexError``); callers then
fall back to full discovery and rewrite it.
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
from ._declarations import ProviderInfo, _bad_id, shadowing_aliases, shadowing_message
from ._discovery import RecordedEntryPoint, load_plugin
from ._jsonread import loads
from ._records import NamedTuple
from ._registry import PluginInfo
from .errors import PluginLoadWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .providers import BaseProvider

FORMAT = 6
MAGIC = b"providerhub index\n"
_HEADER_SIZE = 12
"""After the magic: the payload's length (8 bytes) and its CRC-32 (4), big-endian, both checked before it is decoded."""
MAX_BYTES = 64 * 1024 * 1024
"""A larger index file is a miss, and is not written."""
KEEP_SECONDS = 30 * 24 * 3600
"""Index files not written or used for this long (other interpreters, old virtualenvs) are removed."""
_SUFFIX = ".idx"
MAX_KEPT_NAMES = 4096
"""How many looked-up model names a view keeps the answer for."""
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


def _payload(data: bytes) -> str | None:
    """The payload of an index file's bytes if it is whole (length and checksum checked before any decoding)."""
    start = len(MAGIC) + _HEADER_SIZE
    if len(data) < start or not data.startswith(MAGIC):
        return None
    length = int.from_bytes(data[len(MAGIC) : start - 4], "big")
    checksum = int.from_bytes(data[start - 4 : start], "big")
    payload = data[start:]
    if len(payload) != length or zlib.crc32(payload) != checksum:
        return None
    try:
        return payload.decode("utf-8", "surrogatepass")  # JSON lines are ASCII; model ids in the lookup as they are
    except UnicodeDecodeError:
        return None


def _decoded(line: str) -> object:
    try:
        return loads(line)
    except (ValueError, RecursionError):
        raise StaleIndexError("the model index holds a damaged record") from None


def _one(line: str, shape: tuple[str, ...]) -> tuple[Any, ...]:
    """One record line, checked: a line that does not fit is a damaged (so stale) index."""
    records = _records([_decoded(line)], shape)
    if records is None:
        raise StaleIndexError("the model index holds a record of the wrong shape")
    return records[0]


def _counts(value: object, total: int | None = None) -> bool:
    """Whether ``value`` is a list of whole numbers >= 0 (each below ``total`` when given)."""
    if type(value) is not list or not set(map(type, value)) <= {int}:
        return False
    return not value or (min(value) >= 0 and (total is None or max(value) < total))


class View:
    """An index file whose head is read and checked; each record is decoded and checked when first asked for.

    The file: after the frame, one line of JSON (the head: the key, the notes, each plugin's name,
    provider count and place, which plugins failed, which aliases shadow a model id), then per
    plugin one JSON line for it and one per provider it registered, then one line per provider
    as configured (when a provider table changed any), then one line per model id: the id, a tab,
    and the places of the providers serving it. A start resolving one model id decodes that line
    and those records alone, whatever the number of plugins. A record that turns out damaged
    raises ``StaleIndexError``, on which callers fall back to full discovery, as for a stale plugin.
    """

    def __init__(self, head: list[Any], text: str, base: int):
        _key, notes, applied, scan_notes, names, counts, failed, configured, shadowed, lookup_at, places = head
        self.notes: tuple[str, ...] = tuple(notes)
        self.applied: tuple[str, ...] = tuple(applied)
        self.scan_notes: tuple[str, ...] = tuple(scan_notes)
        self.names: list[str] = names
        self.failed: tuple[str, ...] = tuple(names[i] for i in failed)
        self._counts: list[int] = counts
        self._places: list[int] = places
        self._configured: int | None = configured  # None: the providers as registered
        self._shadowed: dict[int, tuple[str, ...]] = {place: tuple(aliases) for place, aliases in shadowed}
        self._text = text
        self._base = base
        self._end = base + lookup_at
        self._records: dict[int, ProviderInfo] = {}
        self._serving: dict[str, list[ProviderInfo] | None] = {}
        self._stored: Stored | None = None

    def _line(self, place: int) -> str:
        """The record line starting ``place`` characters after the head."""
        at = self._base + place
        if not (self._base <= at < self._end and self._text[at - 1] == "\n"):
            raise StaleIndexError("the model index holds a damaged place")
        end = self._text.find("\n", at, self._end + 1)
        return self._text[at : end if end >= 0 else self._end]

    def _record(self, place: int) -> ProviderInfo:
        """The provider at ``place`` as the registry holds it (aliases shadowing a model id left out)."""
        record = self._records.get(place)
        if record is None:
            record = ProviderInfo._make(_one(self._line(place), _PROVIDER))
            dropped = self._shadowed.get(place)
            if dropped:
                record = record._replace(aliases=tuple(a for a in record.aliases if a[0] not in dropped))
            self._records[place] = record
        return record

    def shadowing(self) -> list[str]:
        """What the registry warns of aliases that are model ids, in its order."""
        return [shadowing_message(self._record(place), aliases) for place, aliases in self._shadowed.items()]

    def serving(self, model: str) -> list[ProviderInfo] | None:
        """The providers (as the registry holds them) serving the model id ``model``, in the registry's
        order; ``None`` when it is no model id. Kept once found (a long-running process asks for the
        same few names at every call, and finding one scans the lookup lines); do not change the list."""
        try:
            return self._serving[model]
        except KeyError:
            pass
        found = self._lookup(model)
        if len(self._serving) >= MAX_KEPT_NAMES:
            self._serving.clear()  # names come from callers: a bound, not a cache of everything asked
        self._serving[model] = found
        return found

    def _lookup(self, model: str) -> list[ProviderInfo] | None:
        if _bad_id(model):
            return None  # never a model id, and it could not be found as one below
        at = self._text.find("\n" + model + "\t", self._end)
        if at < 0:
            return None
        end = self._text.find("\n", at + 1)
        places = _decoded(self._text[at + len(model) + 2 : end if end >= 0 else len(self._text)])
        if type(places) is not list or not places or not _counts(places):
            raise StaleIndexError("the model index holds a damaged model entry")
        records = [self._record(place) for place in places]
        if any(model not in record.models for record in records):
            raise StaleIndexError("the model index holds a damaged model entry")
        return records

    def plugin(self, name: str) -> tuple[PluginInfo, list[ProviderInfo]]:
        """A plugin as recorded, and the providers it registered (as it registered them)."""
        try:
            i = self.names.index(name)
        except ValueError:
            raise StaleIndexError(f"plugin {name!r} is not where the model index says") from None
        place = self._places[i]
        line = self._line(place)
        info = PluginInfo._make(_one(line, _PLUGIN))
        mine = []
        for _ in range(self._counts[i]):
            place += len(line) + 1
            line = self._line(place)
            mine.append(ProviderInfo._make(_one(line, _PROVIDER)))
        if info.name != name or any(record.plugin != name for record in mine):
            raise StaleIndexError("the model index holds a damaged plugin entry")
        return info, mine

    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every plugin as recorded, without their providers (``StaleIndexError`` if any is damaged)."""
        if self._stored is not None:
            return self._stored.plugins
        values = _decoded("[" + ",".join(map(self._line, self._places)) + "]")
        records = _records(values, _PLUGIN)
        if records is None or [record[0] for record in records] != self.names:
            raise StaleIndexError("the model index holds a damaged plugin entry")
        return tuple(map(PluginInfo._make, records))

    def everything(self) -> Stored:
        """Every record, decoded and checked (``StaleIndexError`` if any is damaged)."""
        if self._stored is None:
            lines = self._text[self._base : self._end]
            values = _decoded("[" + lines.replace("\n", ",") + "]") if lines else []
            configured = self._configured or 0
            if type(values) is not list or len(values) != len(self.names) + sum(self._counts) + configured:
                raise StaleIndexError("the model index has another number of records than its head says")
            plugins, providers, at = [], [], 0
            for count in self._counts:
                plugins.append(values[at])
                providers += values[at + 1 : at + 1 + count]
                at += 1 + count
            plugin_records = _records(plugins, _PLUGIN)
            provider_records = _records(providers, _PROVIDER)
            configured_records = provider_records if self._configured is None else _records(values[at:], _PROVIDER)
            if plugin_records is None or provider_records is None or configured_records is None:
                raise StaleIndexError("the model index holds a record of the wrong shape")
            as_read = tuple(map(ProviderInfo._make, provider_records))
            self._stored = Stored(
                tuple(map(PluginInfo._make, plugin_records)),
                as_read,
                as_read if self._configured is None else tuple(map(ProviderInfo._make, configured_records)),
                self.notes,
                self.applied,
                self.scan_notes,
            )
        return self._stored


def _head(value: object, body: int) -> list[Any] | None:
    """The head line's value if it has the right shape and fits a body of ``body`` characters; ``None`` otherwise."""
    if type(value) is not list or len(value) != 11:
        return None
    _key, notes, applied, scan_notes, names, counts, failed, configured, shadowed, lookup_at, places = value
    if not all(_fits(v, "[s]") for v in (notes, applied, scan_notes, names)):
        return None
    if not (_counts(counts) and _counts(places) and len(counts) == len(names) == len(places)):
        return None
    if not _counts(failed, len(names)) or len(set(names)) != len(names):
        return None
    if configured is not None and (type(configured) is not int or configured < 0):
        return None
    pairs = shadowed if type(shadowed) is list else [None]
    if not all(type(pair) is list and len(pair) == 2 and _counts(pair[:1]) and _fits(pair[1], "[s]") for pair in pairs):
        return None
    if type(lookup_at) is not int or not 0 <= lookup_at <= body:
        return None
    return value


def open_view(data: bytes, expected: tuple[Any, ...] | None = None) -> View | None:
    """An index file's bytes as a ``View`` if they are whole, their head of the right shape and (when
    given) built under ``expected``; ``None`` otherwise."""
    text = _payload(data)
    if text is None:
        return None
    end = text.find("\n")
    base = len(text) + 1 if end < 0 else end + 1
    try:
        value = loads(text[: base - 1])
    except (ValueError, RecursionError):
        return None
    head = _head(value, len(text) - base)
    if head is None or (expected is not None and head[0] != _plain(expected)):
        return None
    return View(head, text, base)


def parse(data: bytes, expected: tuple[Any, ...] | None = None) -> Stored | None:
    """Every record in an index file's bytes if they are whole, of the right shape and (when given)
    built under ``expected``; ``None`` otherwise."""
    return _whole(open_view(data, expected))


def _whole(view: View | None) -> Stored | None:
    """Every record of ``view``; ``None`` when there is no view or a record is damaged."""
    if view is None:
        return None
    try:
        return view.everything()
    except StaleIndexError:
        return None


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
    return _whole(open_index(where, expected))


def open_index(where: Place, expected: tuple[Any, ...]) -> View | None:
    """The index recorded under ``expected``, its records read when asked for; ``None`` on a miss or a damaged file."""
    try:
        data = _read_capped(where.file)
    except OSError:  # missing, unreadable, a symlink
        return None
    return None if data is None else open_view(data, expected)


def _by_name(record: ProviderInfo) -> tuple[str, str]:
    return (record.name.lower(), record.name)  # the registry's order


def encode(found: tuple[Any, ...], stored: Stored) -> str:
    """The payload of an index file (see ``View``); ``TypeError`` or ``ValueError`` for what JSON cannot hold."""
    import json

    def line(value: object) -> str:
        return json.dumps(value, separators=(",", ":"))  # ASCII: every other character escaped

    registered: dict[str | None, int] = {}
    for record in stored.providers:
        registered[record.plugin] = registered.get(record.plugin, 0) + 1
    counts = [registered.get(plugin.name, 0) for plugin in stored.plugins]
    owners = [plugin.name for plugin, count in zip(stored.plugins, counts, strict=True) for _ in range(count)]
    if owners != [record.plugin for record in stored.providers]:  # as discovery gives them
        raise ValueError("the providers are not in the order of the plugins that registered them")
    configured = stored.configured
    same = configured == stored.providers
    order = sorted(range(len(configured)), key=lambda i: _by_name(configured[i]))
    model_ids = frozenset(m for record in configured for m in record.models)
    shadowed: list[tuple[int, list[str]]] = []
    serving: dict[str, list[int]] = {}
    for i in order:
        shadowing = shadowing_aliases(configured[i], model_ids)
        if shadowing:
            shadowed.append((i, shadowing))
        for model in configured[i].models:
            serving.setdefault(model, []).append(i)
    lines: list[str] = []
    places: dict[int, int] = {}  # places: the character after the head where a record's line starts
    size = 0

    def add(text: str) -> int:
        nonlocal size
        lines.append(text)
        size += len(text) + 1
        return size - len(text) - 1

    at = 0
    plugin_places = []
    for plugin, count in zip(stored.plugins, counts, strict=True):
        plugin_places.append(add(line(list(plugin))))
        for i in range(at, at + count):
            places[i] = add(line(list(stored.providers[i])))
        at += count
    if not same:
        places = {i: add(line(list(record))) for i, record in enumerate(configured)}
    records = "\n".join(lines)
    lookup = "".join(f"\n{model}\t{line([places[i] for i in positions])}" for model, positions in serving.items())
    failed = [i for i, plugin in enumerate(stored.plugins) if plugin.error is not None]
    head = [
        found,
        stored.notes,
        stored.applied,
        stored.scan_notes,
        [plugin.name for plugin in stored.plugins],
        counts,
        failed,
        None if same else len(configured),
        [[places[i], aliases] for i, aliases in shadowed],
        len(records),
        plugin_places,
    ]
    return line(head) + "\n" + records + lookup


def write(where: Place, found: tuple[Any, ...], stored: Stored) -> None:
    """Store a result atomically: readers see the old file or the new one, never a mix."""
    import tempfile

    try:
        payload = encode(found, stored).encode("utf-8", "surrogatepass")
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

    def __init__(self, view: View, *, strict: bool = False):
        self.strict = strict
        self.view = view
        self._classes: dict[str, type[BaseProvider]] = {}

    def load(self, plugin: str) -> dict[str, type[BaseProvider]]:
        """Import ``plugin`` and check it registers exactly what the index says."""
        recorded, mine = self.view.plugin(plugin)
        ep = RecordedEntryPoint(recorded.name, recorded.value, recorded.distribution, recorded.version)
        # No names taken: the recorded ones are unique, so a name of another plugin's is a change too.
        info, loaded = load_plugin(ep, None, {}, recorded, strict=self.strict)
        if info != recorded or sorted(record for record, _ in loaded) != sorted(mine):
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
        for plugin in self.view.failed:
            self.load(plugin)
