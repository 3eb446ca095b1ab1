"""The persistent model index: discovery's result cached on disk, so a start imports only what it uses.

The index is keyed by everything that can change what discovery finds: the interpreter, the
hub's settings that shape the registry (plugin filters, the configuration file's provider
tables), each plugin's entry point, dist-info folder and that folder's modification time, and
the modification time of every folder holding a plugin (an install or removal there changes
it). A key mismatch is a miss. A plugin that no longer registers what the index recorded makes the index
stale (``StaleIndexError``); callers then fall back to full discovery and rewrite it.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .discovery import load_plugin, plugin_manager
from .registry import PluginInfo, ProviderInfo

if TYPE_CHECKING:
    from importlib_metadata import EntryPoint

    from .providers import BaseProvider

FORMAT = 2


class StaleIndexError(Exception):
    """A plugin registered something other than what the index recorded."""


def cache_dir() -> str:
    """``PROVIDERHUB_CACHE_DIR``, else the platform's user cache directory plus ``providerhub``."""
    explicit = os.environ.get("PROVIDERHUB_CACHE_DIR")
    if explicit:
        return explicit
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "providerhub")


class Stored(NamedTuple):
    """What the index holds: discovery's result, and the registry's providers once configuration applied."""

    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    """As the plugins registered them."""
    configured: tuple[ProviderInfo, ...]
    """As the registry holds them: adjusted and derived by the configuration file."""
    notes: tuple[str, ...]
    """Warnings applying the configuration gave, shown again at each start that reads the index."""
    applied: tuple[str, ...] = ()
    """Names (lower case) of the provider tables that applied."""


def _mtime(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def key(eps: Sequence[EntryPoint], settings: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """What the index must have been built from to be valid now; ``settings`` are the hub's (plain data)."""
    plugins = []
    folders = set()
    for ep in eps:
        where = getattr(ep.dist, "_path", None)
        where = None if where is None else str(where)
        plugins.append((ep.name, ep.value, where, _mtime(where)))
        if where is not None:
            folders.add(os.path.dirname(where))
    # an install or removal beside a plugin (its SDK, say) changes the folder's time
    places = tuple((folder, _mtime(folder)) for folder in sorted(folders))
    return (FORMAT, sys.version, settings, places, tuple(plugins))


def path(folder: str | None = None) -> str:
    """The index file for this interpreter and ``sys.path``, in ``folder`` (default: ``cache_dir()``)."""
    import zlib

    identity = "\0".join([sys.executable, sys.prefix, *sys.path]).encode("utf-8", "surrogatepass")
    return os.path.join(folder or cache_dir(), f"index-{zlib.crc32(identity):08x}.marshal")


def read(expected: tuple[Any, ...], folder: str | None = None) -> Stored | None:
    """What was recorded under ``expected``, or ``None`` on a miss or a damaged file."""
    try:
        with open(path(folder), "rb") as f:
            stored_key, plugins, providers, configured, notes, applied = marshal.loads(f.read())
        if stored_key != expected:
            return None
        return Stored(
            tuple(PluginInfo(*p) for p in plugins),
            tuple(ProviderInfo(*p) for p in providers),
            tuple(ProviderInfo(*p) for p in configured),
            tuple(str(n) for n in notes),
            tuple(str(n) for n in applied),
        )
    except Exception:  # missing, truncated, or from another format: a miss either way
        return None


def write(found: tuple[Any, ...], stored: Stored, folder: str | None = None) -> None:
    """Store a result atomically: readers see the old file or the new one, never a mix."""
    import tempfile

    target = path(folder)
    plugins, providers, configured, notes, applied = stored
    data = marshal.dumps(
        (found, tuple(map(tuple, plugins)), tuple(map(tuple, providers)), tuple(map(tuple, configured)), notes, applied)
    )
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index-", dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:  # a read-only or full cache only costs the next start its speed
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
        recorded = next(p for p in self.plugins if p.name == plugin)
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
