"""Finding installed plugins, loading each in isolation, and collecting their providers."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import PluginLoadError, PluginLoadWarning
from .registry import PluginInfo, ProviderInfo, describe_provider

if TYPE_CHECKING:
    import pluggy
    from importlib_metadata import EntryPoint

    from .providers import BaseProvider

GROUP = "providerhub"
_SEPARATORS = re.compile(r"[-_.]+")


class PluginSet(NamedTuple):
    """What discovery found: every plugin's report, and the providers that validated."""

    plugins: tuple[PluginInfo, ...]
    providers: tuple[ProviderInfo, ...]
    classes: dict[str, type[BaseProvider]]


def normalize(name: str) -> str:
    """A plugin or distribution name in the form used to compare them (PEP 503, lower case)."""
    return _SEPARATORS.sub("-", name).lower()


def report(plugin: str, message: str, strict: bool = False) -> None:
    """Make a plugin failure known: a ``PluginLoadWarning``, or a ``PluginLoadError`` when ``strict``."""
    if strict:
        raise PluginLoadError(message, plugin=plugin)
    warnings.warn(message, PluginLoadWarning, stacklevel=3)


def dist_key(ep: EntryPoint) -> str:
    """The normalized distribution name of an entry point, read from its path when possible."""
    dist = ep.dist
    if dist is None:
        return ""
    return normalize(getattr(dist, "_normalized_name", None) or dist.name or "")


def entry_points(
    plugins: Sequence[str] | None = None, disable_plugins: Sequence[str] = (), *, strict: bool = False
) -> list[EntryPoint]:
    """The ``providerhub`` entry points allowed by ``plugins`` (``None``: all) and ``disable_plugins``.

    Both hold entry-point or distribution names, compared normalized.
    """
    import importlib_metadata

    found = list(importlib_metadata.entry_points(group=GROUP))
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


def _hook_results(pm: pluggy.PluginManager, plugin: object, name: str) -> list[Any]:
    """Register ``plugin`` and call its ``register_providers``; raise ``ValueError`` on any fault."""
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # pluggy.PluginValidationError, or the name is taken
        raise ValueError(f"plugin {name!r} is invalid: {exc}") from None
    callers = pm.get_hookcallers(plugin) or []
    unknown = [caller.name for caller in callers if not caller.has_spec()]
    if unknown:
        from .resolution import close_matches

        pm.unregister(plugin)
        hooks = [c.name for c in vars(pm.hook).values() if getattr(c, "has_spec", None) and c.has_spec()]
        hints = [f"{u!r}" + "".join(f" (did you mean {m!r}?)" for m in close_matches(u, hooks)[:1]) for u in unknown]
        raise ValueError(f"plugin {name!r} implements {', '.join(hints)}, which is not a providerhub hook")
    impls = [impl for impl in pm.hook.register_providers.get_hookimpls() if impl.plugin is plugin]
    if not impls:
        pm.unregister(plugin)
        raise ValueError(f"plugin {name!r} implements no providerhub hook (expected register_providers)")
    results: list[Any] = []
    for impl in impls:
        try:
            result = impl.function()
        except Exception as exc:
            raise ValueError(f"plugin {name!r}: register_providers() raised {type(exc).__name__}: {exc}") from exc
        if result is None:
            continue
        if isinstance(result, (str, bytes, type)) or not isinstance(result, Iterable):
            raise ValueError(
                f"plugin {name!r}: register_providers() must return an iterable of provider classes, "
                f"not {type(result).__name__}"
            )
        results.extend(result)
    return results


def load_plugin(
    ep: EntryPoint,
    pm: pluggy.PluginManager,
    taken: dict[str, str],
    known: PluginInfo | None = None,
    *,
    strict: bool = False,
) -> tuple[PluginInfo, list[tuple[ProviderInfo, type[BaseProvider]]]]:
    """Import one plugin and validate its providers; its faults are reported, never raised past it
    (unless strict). ``taken`` maps lower-cased provider names to the plugin that has them;
    ``known`` (from the model index) spares reading the distribution's metadata again."""
    dist = ep.dist
    distribution = version = None
    if known is not None:
        distribution, version = known.distribution, known.version
    elif dist is not None:
        with contextlib.suppress(Exception):  # unreadable metadata only costs the listing its name
            distribution, version = dist.name, dist.version
    problems: list[str] = []
    loaded: list[tuple[ProviderInfo, type[BaseProvider]]] = []
    try:
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ValueError(f"plugin {ep.name!r} failed to import {ep.value!r}: {type(exc).__name__}: {exc}") from exc
        classes = _hook_results(pm, plugin, ep.name)
    except ValueError as exc:
        problems.append(str(exc))
        classes = []
    for cls in classes:
        try:
            record = describe_provider(cls, ep.name)
        except ValueError as exc:
            problems.append(f"plugin {ep.name!r}: {exc}")
            continue
        owner = taken.get(record.name.lower())
        if owner is not None:
            problems.append(f"plugin {ep.name!r}: provider name {record.name!r} is already registered by {owner}")
            continue
        taken[record.name.lower()] = f"plugin {ep.name!r}"
        loaded.append((record, cls))
    error = "; ".join(problems) or None
    if error:
        report(ep.name, error, strict)
    info = PluginInfo(ep.name, distribution, version, tuple(r.name for r, _ in loaded), error, ep.value)
    return info, loaded


def discover(
    eps: Sequence[EntryPoint] | None = None, taken: dict[str, str] | None = None, *, strict: bool = False
) -> PluginSet:
    """Load every allowed plugin; one plugin's failure leaves the others untouched (unless ``strict``)."""
    eps = entry_points(strict=strict) if eps is None else eps
    pm = plugin_manager()
    taken = {} if taken is None else taken
    plugins, providers, classes = [], [], {}
    for ep in eps:
        info, loaded = load_plugin(ep, pm, taken, strict=strict)
        plugins.append(info)
        for record, cls in loaded:
            providers.append(record)
            classes[record.name] = cls
    return PluginSet(tuple(plugins), tuple(providers), classes)
