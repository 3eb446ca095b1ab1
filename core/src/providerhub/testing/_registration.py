"""The registration checks: the plugin loads through discovery, registers statically, imports cheaply."""

from __future__ import annotations

import warnings
from typing import Any

from .._declarations import describe_provider
from ..errors import PluginLoadWarning
from ..providers import BaseProvider
from ._base import Check, collect, describe_error, fail, one_line
from ._transport import CheckSkipped, Transport

CHECKS: list[Check] = []
check = collect(CHECKS)


def _entry_point(cls: type[BaseProvider]) -> Any:
    """The installed ``providerhub`` entry point whose package defines ``cls``; ``CheckSkipped`` when none."""
    import importlib_metadata

    from .._discovery import GROUP

    module = cls.__module__
    eps = list(importlib_metadata.entry_points(group=GROUP))
    for ep in eps:  # the entry module, or a package holding the class's module
        if module == ep.module or module.startswith(ep.module + "."):
            return ep
    for ep in eps:  # a sibling module of the same top-level package
        if module.split(".")[0] == ep.module.split(".")[0]:
            return ep
    raise CheckSkipped(f"no installed plugin's entry point is in {module} (provider {cls.name} registered in code?)")


def _hook_classes(ep: Any) -> list[Any]:
    """What the plugin's ``register_providers`` returns, through discovery's own validation."""
    from .._discovery import _Fault, _hook_results, plugin_manager

    try:
        plugin = ep.load()
    except Exception as exc:
        raise fail(f"plugin {ep.name!r} failed to load: {describe_error(exc)}") from None
    try:
        return _hook_results(plugin_manager(), plugin, ep.name)
    except _Fault as exc:
        raise fail(str(exc)) from None


@check
def check_registration(cls: type[BaseProvider], transport: Transport) -> None:
    """The plugin loads through discovery (valid hook, no undeclared hook arguments) and registers the provider."""
    from .._discovery import load_plugin, plugin_manager

    ep = _entry_point(cls)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", PluginLoadWarning)
        info, loaded = load_plugin(ep, plugin_manager(), {})
    if info.error:
        raise fail(info.error)
    if not any(loaded_cls is cls for _, loaded_cls in loaded):
        names = ", ".join(record.name for record, _ in loaded) or "none"
        raise CheckSkipped(f"plugin {ep.name!r} does not register this class (it registers: {names}); configured?")


@check
def check_registration_is_static(cls: type[BaseProvider], transport: Transport) -> None:
    """Calling the hook twice gives the same classes with the same declarations."""
    ep = _entry_point(cls)
    calls = []
    for _ in range(2):
        classes = _hook_classes(ep)
        try:
            calls.append((classes, [describe_provider(c, ep.name) for c in classes]))
        except ValueError as exc:
            raise CheckSkipped(f"a registered provider is invalid (see check_declarations): {exc}") from None
    (first, described), (second, again) = calls
    if [id(c) for c in first] != [id(c) for c in second]:
        raise fail(f"plugin {ep.name!r}: register_providers() returned different classes on a second call")
    if described != again:
        raise fail(f"plugin {ep.name!r}: the declarations changed between two calls of register_providers()")


def _probe(cls: type[BaseProvider]) -> Any:
    from ._importing import probe

    ep = _entry_point(cls)
    result = probe(ep.value)
    if result.error:
        raise fail(f"loading entry point {ep.value!r} in a fresh interpreter failed: {one_line(result.error, 200)}")
    return ep, result


@check
def check_import_is_offline(cls: type[BaseProvider], transport: Transport) -> None:
    """Importing the entry module and calling the hook does no network I/O (checked in a fresh interpreter)."""
    ep, result = _probe(cls)
    if result.blocked:
        raise fail(f"importing {ep.value!r} and calling its hook tried network I/O: {result.blocked[0]}")


@check
def check_import_is_light(cls: type[BaseProvider], transport: Transport) -> None:
    """Importing the entry module imports no HTTP client or vendor SDK (they belong inside the request)."""
    ep, result = _probe(cls)
    if result.heavy:
        raise fail(
            f"importing {ep.value!r} imports {', '.join(result.heavy)}; import it inside the request instead, "
            "since resolution may import the plugin"
        )


@check
def check_import_is_fast(cls: type[BaseProvider], transport: Transport) -> None:
    """Importing the entry module and calling the hook stays within the import-time budget (CPU seconds)."""
    from ._importing import IMPORT_BUDGET

    ep, result = _probe(cls)
    if result.cpu > IMPORT_BUDGET:
        raise fail(f"importing {ep.value!r} took {result.cpu:.2f} CPU s; the budget is {IMPORT_BUDGET:g} s")
