"""Real plugins for tests: dist-info folders and modules in a folder on ``sys.path``.

``importlib.metadata`` finds them exactly as it finds an installed distribution; nothing about
discovery is faked.
"""

from __future__ import annotations

import importlib
import itertools
import os
import shutil
import sys
import textwrap
import time
from pathlib import Path

_serial = itertools.count()

IN_REPO_PLUGINS = "providerhub-dynaspark,providerhub-openai"
"""The distributions of the plugins in this repository (tox installs them all), for PROVIDERHUB_DISABLE_PLUGINS."""

PROVIDER_TEMPLATE = """
from providerhub import AsyncGeneratorProvider, ProviderModelMixin, hookimpl


class {cls}(AsyncGeneratorProvider, ProviderModelMixin):
    url = "http://127.0.0.1/{cls}"
    working = {working}
    priority = {priority}
    default_model = {default!r}
    models = {models!r}
    vision_models = {vision!r}
    model_aliases = {aliases!r}
{extra}{body}
    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield f"{{cls.name}}:{{cls.get_model(model)}}"


@hookimpl
def register_providers():
    return [{cls}]
"""


def provider_source(
    cls: str,
    models: list[str],
    *,
    default: str | None = None,
    aliases: dict[str, str] | None = None,
    vision: list[str] | None = None,
    priority: int = 0,
    working: bool = True,
    body: str = "",
    **declarations: object,
) -> str:
    """A plugin module registering one provider class with these declarations (and any other class
    attributes given as keywords, e.g. ``name="Other"``, ``any_model=True``); ``body`` holds more
    class-body lines (Python source) that override them, e.g. ``"models = 'abc'"``."""
    return PROVIDER_TEMPLATE.format(
        extra="".join(f"    {key} = {value!r}\n" for key, value in declarations.items()),
        body=textwrap.indent(textwrap.dedent(body), "    "),
        cls=cls,
        models=list(models),
        default=models[0] if default is None else default,
        aliases=dict(aliases or {}),
        vision=list(vision or []),
        priority=priority,
        working=working,
    )


class PluginSite:
    """A folder on ``sys.path`` into which tests install and remove plugin distributions."""

    def __init__(self, root: Path):
        self.root = root
        self.modules: dict[str, str] = {}
        self._tick = time.time_ns()

    def _bump(self, *paths: Path) -> None:
        # File-system timestamps are coarse; make every change visible to mtime-keyed caches.
        self._tick = max(self._tick + 10_000_000, time.time_ns())
        for path in paths:
            os.utime(path, ns=(self._tick, self._tick))
        importlib.invalidate_caches()

    def add(
        self,
        name: str,
        source: str,
        *,
        dist: str | None = None,
        version: str = "1.0",
        attr: str | None = None,
    ) -> str:
        """Install plugin ``name`` (entry-point name) whose module holds ``source``; return the module name."""
        dist = dist or f"ph-test-{name}"
        module = self.modules.get(name) or f"ph_test_{name.replace('-', '_')}_{next(_serial)}"
        self.modules[name] = module
        for stale in self.root.glob(f"__pycache__/{module}.*.pyc"):
            stale.unlink()  # a rewrite within the same second would otherwise import the old code
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        self._remove_dist(dist)
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        value = f"{module}:{attr}" if attr else module
        (info / "entry_points.txt").write_text(f"[providerhub]\n{name} = {value}\n")
        sys.modules.pop(module, None)
        self._bump(info, self.root)
        return module

    def add_dist(self, dist: str, entry_points: bytes, *, version: str = "1.0") -> Path:
        """Install a distribution whose ``entry_points.txt`` holds exactly ``entry_points`` (which may
        be malformed), for modules installed with ``add`` or none at all."""
        self._remove_dist(dist)
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_bytes(entry_points)
        self._bump(info, self.root)
        return info

    def _remove_dist(self, dist: str) -> bool:
        removed = False
        for info in self.root.glob(f"{dist.replace('-', '_')}-*.dist-info"):
            shutil.rmtree(info)
            removed = True
        return removed

    def remove(self, name: str, *, dist: str | None = None) -> None:
        """Uninstall plugin ``name``."""
        self._remove_dist(dist or f"ph-test-{name}")
        module = self.modules.pop(name)
        (self.root / f"{module}.py").unlink()
        sys.modules.pop(module, None)
        self._bump(self.root)
