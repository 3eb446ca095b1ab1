"""The public surface is exported on purpose: every public name documented, internals private.

Public modules list their names in ``__all__``; each function and class there has a docstring,
each constant or type alias an attribute docstring (the string right after its assignment), each
instance of a providerhub class (a hook marker) its class's docstring.
Every other module is named ``_x``. The plugins in this repository import only public names.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path
from types import GenericAlias, ModuleType
from typing import Any

import pytest

import providerhub

ROOT = Path(__file__).resolve().parents[2]

NAMESPACES = ("providerhub", "providerhub.server", "providerhub.testing")
"""The packages whose ``__all__`` gathers names defined in their private modules."""
HELPERS = (
    "providerhub.call",
    "providerhub.errors",
    "providerhub.events",
    "providerhub.hookspecs",
    "providerhub.http",
    "providerhub.loop_local",
    "providerhub.media",
    "providerhub.messages",
    "providerhub.multipart",
    "providerhub.options",
    "providerhub.providers",
    "providerhub.sse",
    "providerhub.types",
)
"""The public modules that define what they export."""
PUBLIC = (*NAMESPACES, *HELPERS)
ENTRY_POINTS = ("providerhub.__main__",)
"""Modules run, never imported for names (``python -m providerhub``)."""


def _public(modules: tuple[str, ...]) -> list[Any]:
    """The modules as parameters, each named in the test's id."""
    return [pytest.param(module, id=module) for module in modules]


def _exports(module: ModuleType) -> list[str]:
    names = module.__all__
    assert isinstance(names, list), f"{module.__name__}.__all__ is a {type(names).__name__}"
    return names


def _private(module_name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module_name.split("."))


def _source_of(module_name: str) -> ast.Module:
    module = importlib.import_module(module_name)
    return ast.parse(inspect.getsource(module))


def _attribute_docstring(module_name: str, name: str, depth: int = 0) -> str | None:
    """The string after ``name``'s assignment in ``module_name``, following ``from .x import name``."""
    assert depth < 5, f"{name}: too many re-exports to follow"
    body = _source_of(module_name).body
    for index, node in enumerate(body):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            after = body[index + 1] if index + 1 < len(body) else None
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                return after.value.value if isinstance(after.value.value, str) else None
            return None
    is_package = hasattr(importlib.import_module(module_name), "__path__")
    package = module_name if is_package else module_name.rpartition(".")[0]
    for node in body:
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            return _attribute_docstring(source, name, depth + 1)
    raise AssertionError(f"{module_name}.{name} is neither assigned nor imported at module level")


def _undocumented(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    missing = []
    for name in _exports(module):
        value = getattr(module, name)
        # a class has its own docstring, not one inherited or made up by NamedTuple (on Python 3.10
        # ``inspect.isclass`` is true of an alias such as ``AsyncIterator[Chunk]`` too: not a class)
        if inspect.isclass(value) and not isinstance(value, GenericAlias):
            doc = value.__dict__.get("__doc__")
            made_up = f"{value.__name__}({', '.join(getattr(value, '_fields', ()))})"
            documented = bool(doc) and doc != made_up
        elif inspect.isroutine(value) or isinstance(value, ModuleType):
            documented = bool(value.__doc__)
        elif type(value).__module__.split(".")[0] == "providerhub":  # a marker: its class says what it is
            documented = bool(type(value).__dict__.get("__doc__"))
        else:
            lazy = getattr(module, "_LAZY", {}).get(name)
            source = f"{module_name}.{lazy}" if lazy else module_name
            documented = bool(_attribute_docstring(source, name))
        if not documented:
            missing.append(name)
    return missing


@pytest.mark.parametrize("module_name", _public(PUBLIC))
def test_every_public_module_lists_its_names_and_each_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = _exports(module)
    assert names, f"{module_name}.__all__ is empty"
    assert len(names) == len(set(names)), f"{module_name}.__all__ lists a name twice"
    absent = [name for name in names if not hasattr(module, name)]
    assert absent == [], f"{module_name}.__all__ names what it does not have: {absent}"


@pytest.mark.parametrize("module_name", _public(PUBLIC))
def test_every_public_name_is_documented(module_name: str) -> None:
    assert importlib.import_module(module_name).__doc__, f"{module_name} has no module docstring"
    assert _undocumented(module_name) == [], f"{module_name}: these public names have no docstring"


@pytest.mark.parametrize("module_name", _public(PUBLIC))
def test_no_private_name_is_exported(module_name: str) -> None:
    names = _exports(importlib.import_module(module_name))
    assert [name for name in names if name.startswith("_")] == []


@pytest.mark.parametrize("module_name", _public(HELPERS))
def test_a_helper_module_exports_only_names_defined_in_public_modules(module_name: str) -> None:
    """A helper module's names are its own (or another public module's): a private one never leaks through it."""
    module = importlib.import_module(module_name)
    leaked = []
    for name in _exports(module):
        value = getattr(module, name)
        home = getattr(value, "__module__", None) if inspect.isclass(value) or inspect.isroutine(value) else None
        if home is not None and _private(home):
            leaked.append(f"{name} (from {home})")
    assert leaked == []


def test_every_module_is_public_or_private_by_name() -> None:
    """A new module chooses: listed here as public, or named ``_x``."""
    found = {providerhub.__name__}
    for info in pkgutil.walk_packages(providerhub.__path__, "providerhub."):
        found.add(info.name)
    undecided = sorted(name for name in found if not _private(name) and name not in (*PUBLIC, *ENTRY_POINTS))
    assert undecided == []
    assert set(PUBLIC) <= found  # the lists name real modules


def _plugin_imports() -> list[tuple[str, int, str, str | None]]:
    """Every ``(file, line, module, name)`` a plugin in this repository imports from providerhub."""
    found = []
    for path in sorted((ROOT / "plugins").glob("*/src/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = str(path.relative_to(ROOT))
            ours = isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "providerhub"
            if isinstance(node, ast.ImportFrom) and ours and node.level == 0:
                found += [(where, node.lineno, node.module or "", alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (where, node.lineno, alias.name, None)
                    for alias in node.names
                    if alias.name.split(".")[0] == "providerhub"
                ]
    return found


def test_plugins_import_only_public_names() -> None:
    imports = _plugin_imports()
    assert len({file for file, *_ in imports}) >= 4  # the scan sees both plugins' modules
    wrong = []
    for file, line, module_name, name in imports:
        if module_name not in PUBLIC:
            wrong.append(f"{file}:{line}: {module_name} is not a public module")
            continue
        if name is None:
            continue
        module = importlib.import_module(module_name)
        submodule = f"{module_name}.{name}"
        if name not in getattr(module, "__all__", ()) and submodule not in PUBLIC:
            wrong.append(f"{file}:{line}: {module_name}.{name} is not in {module_name}.__all__")
    assert wrong == []


def test_the_readme_names_no_private_module_and_its_helper_table_only_public_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"providerhub\._\w+", readme) == []
    table = readme.split("### Helpers for plugin authors\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(providerhub[.\w]*)` \| (.*?) \|", table, re.MULTILINE)
    assert len(rows) >= 10
    for module_name, cell in rows:
        names = re.findall(r"`(\w+)`", cell)
        assert names, module_name
        listed = importlib.import_module(module_name).__all__
        assert [name for name in names if name not in listed] == [], module_name


def test_the_surface_check_notices_a_name_that_loses_its_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    from providerhub import http, sse

    assert _undocumented("providerhub.sse") == []
    monkeypatch.setattr(sse.EventAssembler, "__doc__", None)
    monkeypatch.setattr(http.summarize, "__doc__", None)
    assert _undocumented("providerhub.sse") == ["EventAssembler"]
    assert _undocumented("providerhub.http") == ["summarize"]


def test_the_router_state_interface_is_public() -> None:
    assert providerhub.StateBackend.__name__ == "StateBackend"
    assert "StateBackend" in providerhub.__all__
