"""Finding installed plugins, loading each in isolation, and collecting their providers."""

from __future__ import annotations

import math
import os
import sys
import warnings
from _thread import allocate_lock, get_ident, start_new_thread  # threading is not needed for these
from collections.abc import Callable, Iterable, Sequence
from types import FunctionType, ModuleType

from ._declarations import ProviderInfo, describe_provider
from ._records import NamedTuple
from ._registry import PluginInfo
from .errors import PluginLoadError, PluginLoadWarning, name_list
from .hookspecs import IMPL_ATTR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import pluggy
    from importlib_metadata import EntryPoint
    from importlib_metadata import IDistribution as Distribution

    from .providers import BaseProvider

GROUP = "providerhub"
_SEPARATORS = r"[-_.]+"  # compiled on first use (re caches it): a warm start never needs it

PLUGIN_TIMEOUT = 20.0
"""Seconds a plugin's import may take before it is reported and left out (``PROVIDERHUB_PLUGIN_TIMEOUT``)."""
MAX_PROVIDERS = 10_000
"""Providers one plugin may register; past this the plugin is reported and its hook is not consumed further."""
_MAX_DETAIL = 300
"""Characters of an exception's text kept in a report."""


class _Fault(Exception):
    """A plugin fault, already worded for its report."""


class PluginSet(NamedTuple):
    """What discovery found: every plugin's report, and the providers that validated."""

    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    classes: dict[str, type[BaseProvider]]


def normalize(name: str) -> str:
    """A plugin or distribution name in the form used to compare them (PEP 503, lower case)."""
    import re  # here: a warm start never compares names

    return re.sub(_SEPARATORS, "-", name).lower()


def report(plugin: str, message: str, strict: bool = False) -> None:
    """Make a plugin failure known: a ``PluginLoadWarning``, or a ``PluginLoadError`` when ``strict``."""
    if strict:
        raise PluginLoadError(message, plugin=plugin)
    warnings.warn(message, PluginLoadWarning, stacklevel=3)


_report = report  # for the scan's own ``report``, which also keeps the message


def dist_key(ep: EntryPoint | RecordedEntryPoint) -> str:
    """The normalized name of an entry point's distribution (``""`` when it has none)."""
    if isinstance(ep, RecordedEntryPoint):
        return normalize(ep.distribution or "")
    return normalize(_name_and_version(ep.dist)[0] or "")


def _name_and_version(dist: Distribution | None) -> tuple[str | None, str | None]:
    """A distribution's name and version, its metadata read once (``dist.name`` and ``dist.version``
    would each read and parse it again); ``(None, None)`` when it cannot be read.

    Only the two headers are read from the metadata's header block: the entry-point scan does not
    need the ``email`` package, and neither does this."""
    if dist is None:
        return None, None
    try:
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
        if text is None:
            metadata = dist.metadata  # any other form: the full parser
            return metadata["Name"], metadata["Version"]
        return _headers(text)
    except Exception:  # unreadable metadata only costs the listing its name
        return None, None


def _headers(text: str) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from core metadata's header block (the first of each, as the email parser gives)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the end of the headers; the description follows
        key, colon, value = line.partition(":")
        key = key.lower()
        if colon and key in ("name", "version") and key not in found and not line[0].isspace():
            found[key] = value.strip()
            if len(found) == 2:
                break
    return found.get("name"), found.get("version")


def _folder(dist: Distribution) -> str:
    """The metadata folder of a distribution, for a message: found beside its files by its name."""
    try:
        base = str(dist.locate_file(""))
        name = normalize(_name_and_version(dist)[0] or "")
        for entry in sorted(os.listdir(base)):
            stem, dash, _ = entry.partition("-")
            if dash and entry.endswith((".dist-info", ".egg-info")) and normalize(stem) == name:
                return os.path.join(base, entry)
        return f"{name or 'a distribution'} in {base}"
    except Exception:
        return "a distribution"


def detail(exc: BaseException) -> str:
    """An exception's text on one bounded line (it may come from plugin code)."""
    try:
        text = " ".join(str(exc).split())
    except Exception:
        text = "(its message cannot be shown)"
    return text[:_MAX_DETAIL] + "..." if len(text) > _MAX_DETAIL else text


def failure(exc: BaseException) -> str:
    """An exception as ``Type: text`` on one bounded line."""
    text = detail(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _scan(strict: bool = False, notes: list[str] | None = None) -> list[RecordedEntryPoint]:
    """Every ``providerhub`` entry point on ``sys.path``, each with its distribution's name and version
    (its metadata parsed once). The first of two distributions declaring the same entry-point name is
    kept (both are named on one line). When some distribution's metadata cannot be read, they are
    read one at a time and only that one is skipped, with one warning. Warnings are also added to ``notes``."""
    import importlib_metadata

    def report(plugin: str, message: str, strict: bool) -> None:
        _report(plugin, message, strict)
        if notes is not None:
            notes.append(message)

    try:  # the common case: one pass, distributions shadowed as importlib.metadata shadows them
        declared = [(ep, ep.dist) for ep in importlib_metadata.entry_points(group=GROUP)]
    except Exception:
        declared = _scan_each(report, strict)
    found: dict[str, RecordedEntryPoint] = {}
    for ep, dist in declared:
        distribution, version = _name_and_version(dist)
        recorded = RecordedEntryPoint(ep.name, ep.value, distribution, version)
        first = found.setdefault(ep.name, recorded)
        if first is not recorded:
            report(
                ep.name,
                f"plugin {ep.name!r} is declared by distributions {dist_key(first)!r} and {dist_key(recorded)!r}; "
                f"only the one from {dist_key(first)!r} is loaded",
                strict,
            )
    return list(found.values())


def _scan_each(report: Callable[[str, str, bool], None], strict: bool) -> list[tuple[EntryPoint, Distribution | None]]:
    """The entry points of each distribution in turn: one whose metadata cannot be read is skipped."""
    import importlib_metadata

    declared: list[tuple[EntryPoint, Distribution | None]] = []
    seen: set[str] = set()
    try:
        for dist in importlib_metadata.distributions():
            try:
                key = normalize(dist.metadata["Name"] or "")
                if key in seen:
                    continue  # shadowed by one earlier on sys.path, as importlib.metadata does
                seen.add(key)
                declared.extend((ep, dist) for ep in dist.entry_points.select(group=GROUP))
            except Exception as exc:
                where = _folder(dist)
                report(where, f"distribution {where} is skipped: its metadata cannot be read ({failure(exc)})", strict)
    except PluginLoadError:  # strict mode
        raise
    except Exception as exc:  # a broken path entry or finder: keep what was found before it
        report("", f"looking for installed plugins stopped early: {failure(exc)}", strict)
    return declared


def entry_points(
    plugins: Sequence[str] | None = None,
    disable_plugins: Sequence[str] = (),
    *,
    strict: bool = False,
    notes: list[str] | None = None,
) -> list[RecordedEntryPoint]:
    """The ``providerhub`` entry points allowed by ``plugins`` (``None``: all) and ``disable_plugins``.

    Both hold entry-point or distribution names, compared normalized. The warnings given on the
    way are also added to ``notes`` (the model index repeats them at each start it serves).
    """

    def report(plugin: str, message: str, strict: bool) -> None:
        _report(plugin, message, strict)
        if notes is not None:
            notes.append(message)

    found = _scan(strict, notes)
    only, disabled = _normalized(plugins), _normalized(disable_plugins)
    if only is not None:
        known = {normalize(ep.name) for ep in found} | {dist_key(ep) for ep in found}
        for name in only:
            if name not in known:
                report(
                    name,
                    f"plugin {name!r} named in the plugins to load (PROVIDERHUB_PLUGINS or the configuration's "
                    "plugins) is not installed",
                    strict,
                )
        found = [ep for ep in found if normalize(ep.name) in only or dist_key(ep) in only]
    if disabled:
        found = [ep for ep in found if normalize(ep.name) not in disabled and dist_key(ep) not in disabled]
    return sorted(found, key=lambda ep: (ep.name, dist_key(ep)))


def _normalized(names: Sequence[str] | None) -> list[str] | None:
    return None if names is None else [normalize(name.strip()) for name in names if name.strip()]


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows providerhub's hooks."""
    import pluggy

    from . import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


_timeout: float | None = None
_plugin_of: dict[int, str] = {}
"""The plugin each plugin-import thread is importing, by thread id."""


class _Import:
    """One plugin import, and its outcome once it has one."""

    def __init__(self, ep: EntryPoint | RecordedEntryPoint):
        self.ep = ep
        self.outcome: tuple[bool, Any] | None = None
        self.done = allocate_lock()
        self.done.acquire()

    def run(self) -> None:
        _plugin_of[get_ident()] = self.ep.name
        try:
            self.outcome = (True, self.ep.load())
        except BaseException as exc:  # handed to the caller's thread
            self.outcome = (False, exc)
        finally:
            _plugin_of.pop(get_ident(), None)
            self.done.release()


class Imports:
    """Plugins imported one after another on one daemon thread, while the caller takes each in turn.

    The caller waits for each import at most ``plugin_timeout()`` seconds; an import past the bound
    keeps its thread (a thread cannot be stopped) and a new one goes on with the rest. One thread
    for all imports: starting one per plugin costs more than a small plugin's import.
    """

    def __init__(self, eps: Sequence[EntryPoint | RecordedEntryPoint]):
        self._jobs = [_Import(ep) for ep in eps]
        self._next = 0
        self._lock = allocate_lock()
        self._owner: object = None
        for job in self._jobs:
            running = _importing.get(job.ep.value)
            if running is not None and running.outcome is None:  # still running from an earlier discovery
                job.outcome = (False, None)
                job.done.release()
        self._serve_from_now()

    def _serve_from_now(self) -> None:
        token = self._owner = object()
        start_new_thread(self._serve, (token,))  # a daemon thread, as threading.Thread(daemon=True) makes

    def _serve(self, token: object) -> None:
        while True:
            with self._lock:
                if self._owner is not token or self._next >= len(self._jobs):
                    return
                job = self._jobs[self._next]
                self._next += 1
            if job.outcome is None:
                job.run()

    def close(self) -> None:
        """Import nothing more (the caller stopped early)."""
        with self._lock:
            self._owner = None

    def result(self, i: int) -> object:
        """What importing the ``i``-th entry point gave; ``_Fault`` when it failed or took too long."""
        job, timeout = self._jobs[i], plugin_timeout()
        ep = job.ep
        if not job.done.acquire(timeout=timeout):
            _importing[ep.value] = job
            with self._lock:
                self._serve_from_now()  # this thread is held by the import: a new one goes on
            raise _Fault(
                f"plugin {ep.name!r}: importing {ep.value!r} took longer than {timeout:g} s "
                "(PROVIDERHUB_PLUGIN_TIMEOUT); it is left out"
            )
        assert job.outcome is not None
        ok, result = job.outcome
        if ok:
            _importing.pop(ep.value, None)
            return result
        if result is None:
            raise _Fault(f"plugin {ep.name!r}: importing {ep.value!r} is still running after {timeout:g} s")
        _importing.pop(ep.value, None)
        if isinstance(result, KeyboardInterrupt):
            raise result
        raise _Fault(f"plugin {ep.name!r} failed to import {ep.value!r}: {failure(result)}") from result


_importing: dict[str, _Import] = {}
"""Imports still running past the bound, by entry-point value: never started twice."""


def importing_plugin() -> str | None:
    """The plugin this thread is importing, if it is a plugin-import thread."""
    return _plugin_of.get(get_ident())


def plugin_timeout() -> float:
    """``PROVIDERHUB_PLUGIN_TIMEOUT`` (seconds, finite and positive), read once per process."""
    global _timeout
    if _timeout is None:
        raw = os.environ.get("PROVIDERHUB_PLUGIN_TIMEOUT", "").strip()
        value = PLUGIN_TIMEOUT
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                warnings.warn(
                    f"PROVIDERHUB_PLUGIN_TIMEOUT={raw!r} is not a positive number of seconds; using {PLUGIN_TIMEOUT:g}",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                value = PLUGIN_TIMEOUT
        _timeout = value
    return _timeout


class RecordedEntryPoint(NamedTuple):
    """An entry point with its distribution's name and version, as discovery read them and the model
    index recorded them: loaded by importing its module directly, with no metadata read again."""

    name: str
    value: str
    distribution: str | None = None
    version: str | None = None

    def load(self) -> object:
        """The object named by ``module:attr.path`` (extras in brackets ignored), as ``EntryPoint.load`` does."""
        module, _, attrs = self.value.partition("[")[0].partition(":")
        __import__(module.strip())  # the importlib package is not needed for this (nor imported)
        found: object = sys.modules[module.strip()]
        for attr in filter(None, attrs.strip().split(".")):
            found = getattr(found, attr)
        return found


def _marked_hooks(plugin: object) -> list[Callable[..., Any]] | None:
    """A module plugin's ``register_providers`` implementations, read from the marker's attribute as
    pluggy would, when that is all it marks plainly; ``None`` when pluggy must judge it."""
    if not isinstance(plugin, ModuleType):
        return None
    found = []
    for attr, value in vars(plugin).items():
        opts = getattr(value, IMPL_ATTR, None) if isinstance(value, FunctionType) else None
        if opts is None:
            continue
        if not isinstance(opts, dict) or (opts.get("specname") or attr) != "register_providers":
            return None
        if opts.get("wrapper") or opts.get("hookwrapper") or opts.get("tryfirst") or opts.get("trylast"):
            return None
        if value.__code__.co_argcount or value.__code__.co_kwonlyargcount:
            return None  # pluggy names what the spec does not offer
        found.append(value)
    return found if len(found) == 1 else None


def _hook_results(pm: pluggy.PluginManager | None, plugin: object, name: str) -> list[Any]:
    """Register ``plugin`` and call its ``register_providers``; raise ``_Fault`` on any fault.

    Without ``pm`` a plainly marked module's hook is called directly (as pluggy would call it);
    anything else gets a real plugin manager, which checks and reports it."""
    marked = _marked_hooks(plugin) if pm is None else None
    if marked is not None:
        return _collect(name, marked)
    if pm is None:
        pm = plugin_manager()
    try:
        pm.register(plugin, name=name)
    except (Exception, SystemExit) as exc:  # pluggy.PluginValidationError, or the name is taken
        raise _Fault(f"plugin {name!r} is invalid: {failure(exc)}") from None
    callers = pm.get_hookcallers(plugin) or []
    unknown = [caller.name for caller in callers if not caller.has_spec()]
    if unknown:
        from ._resolution import close_matches

        pm.unregister(plugin)
        hooks = [c.name for c in vars(pm.hook).values() if getattr(c, "has_spec", None) and c.has_spec()]
        hints = [f"{u!r}" + "".join(f" (did you mean {m!r}?)" for m in close_matches(u, hooks)[:1]) for u in unknown]
        raise _Fault(f"plugin {name!r} implements {name_list(hints)}, which is not a providerhub hook")
    impls = [impl for impl in pm.hook.register_providers.get_hookimpls() if impl.plugin is plugin]
    if not impls:
        pm.unregister(plugin)
        raise _Fault(f"plugin {name!r} implements no providerhub hook (expected register_providers)")
    return _collect(name, [impl.function for impl in impls])


def _collect(name: str, functions: Iterable[Callable[..., Any]]) -> list[Any]:
    """Call each ``register_providers`` implementation and gather what they return, bounded."""
    results: list[Any] = []
    for function in functions:
        try:
            result = function()
        except (Exception, SystemExit) as exc:
            raise _Fault(f"plugin {name!r}: register_providers() raised {failure(exc)}") from exc
        if result is None:
            continue
        if isinstance(result, (str, bytes, type)) or not isinstance(result, Iterable):
            raise _Fault(
                f"plugin {name!r}: register_providers() must return an iterable of provider classes, "
                f"not {type(result).__name__}"
            )
        try:
            for item in result:
                if len(results) >= MAX_PROVIDERS:
                    raise _Fault(
                        f"plugin {name!r}: register_providers() returned more than {MAX_PROVIDERS} providers; "
                        "the plugin is left out"
                    )
                results.append(item)
        except _Fault:
            raise
        except (Exception, SystemExit) as exc:
            raise _Fault(f"plugin {name!r}: what register_providers() returned raised {failure(exc)}") from exc
    return results


def load_plugin(
    ep: EntryPoint | RecordedEntryPoint,
    pm: pluggy.PluginManager | None,
    taken: dict[str, str],
    known: PluginInfo | None = None,
    *,
    strict: bool = False,
    imported: Imports | None = None,
    position: int = 0,
) -> tuple[PluginInfo, list[tuple[ProviderInfo, type[BaseProvider]]]]:
    """Import one plugin and validate its providers; its faults are reported, never raised past it
    (unless strict). ``taken`` maps lower-cased provider names to the plugin that has them;
    ``known`` (from the model index) spares reading the distribution's metadata again; ``pm``
    ``None`` calls a plainly marked hook without pluggy (a plugin manager is made if needed);
    ``imported`` holds the import already under way (``ep`` at ``position``), else it is imported now."""
    if known is not None:
        distribution, version = known.distribution, known.version
    elif isinstance(ep, RecordedEntryPoint):
        distribution, version = ep.distribution, ep.version
    else:
        distribution, version = _name_and_version(ep.dist)
    problems: list[str] = []
    loaded: list[tuple[ProviderInfo, type[BaseProvider]]] = []
    try:
        plugin = imported.result(position) if imported is not None else Imports([ep]).result(0)
        if plugin is None:
            raise _Fault(f"plugin {ep.name!r}: entry point {ep.value!r} is None")
        classes = _hook_results(pm, plugin, ep.name)
    except _Fault as exc:
        problems.append(str(exc))
        classes = []
    for cls in classes:
        try:
            record = describe_provider(cls, ep.name)
        except ValueError as exc:
            problems.append(f"plugin {ep.name!r}: {detail(exc)}")
            continue
        except (Exception, SystemExit) as exc:  # a declaration that raises when read
            problems.append(f"plugin {ep.name!r}: reading provider {_class_name(cls)} raised {failure(exc)}")
            continue
        owner = taken.get(record.name.lower())
        if owner is not None:
            problems.append(f"plugin {ep.name!r}: provider name {record.name!r} is already registered by {owner}")
            continue
        taken[record.name.lower()] = f"plugin {ep.name!r}"
        loaded.append((record, cls))
    error = name_list(problems, sep="; ") or None
    if error:
        report(ep.name, error, strict)
    info = PluginInfo(ep.name, distribution, version, tuple(r.name for r, _ in loaded), error, ep.value)
    return info, loaded


def _class_name(cls: object) -> str:
    try:
        name = getattr(cls, "__name__", None)
    except Exception:
        name = None
    return name if isinstance(name, str) else type(cls).__name__


def discover(
    eps: Sequence[EntryPoint | RecordedEntryPoint] | None = None,
    taken: dict[str, str] | None = None,
    *,
    strict: bool = False,
) -> PluginSet:
    """Load every allowed plugin; one plugin's failure leaves the others untouched (unless ``strict``)."""
    eps = entry_points(strict=strict) if eps is None else eps
    taken = {} if taken is None else taken
    plugins, providers, classes = [], [], {}
    imported = Imports(eps)  # the next plugin imports while this one registers its providers
    try:
        for i, ep in enumerate(eps):
            # pluggy only for a plugin that needs it
            info, loaded = load_plugin(ep, None, taken, strict=strict, imported=imported, position=i)
            plugins.append(info)
            for record, cls in loaded:
                providers.append(record)
                classes[record.name] = cls
    finally:
        imported.close()
    return PluginSet(tuple(plugins), tuple(providers), classes)
