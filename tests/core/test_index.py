"""The persistent model index: it may only make resolution faster, never different."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import providerhub
from providerhub import ModelNotFoundError, PluginLoadWarning, hub, index
from support.plugins import PluginSite, provider_source


def fresh_start() -> None:
    """What a new process sees: no registry in memory (the index on disk stays)."""
    hub._default = None


def run(code: str, site: PluginSite, **env: str) -> dict[str, object]:
    """Run ``code`` in a new interpreter with the plugin site on its path; it prints one JSON line."""
    full_env = {**os.environ, "PYTHONPATH": str(site.root), **env}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=full_env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


WHO_SERVES = """
import json, sys
import providerhub
try:
    res = providerhub.resolve({model!r})
    answer = [res.provider.__name__, res.model, [c.provider for c in res.candidates]]
except providerhub.ProviderHubError as exc:
    answer = type(exc).__name__
mods = sorted(m for m in sys.modules if m.startswith("ph_test_"))
print(json.dumps({{"answer": answer, "modules": mods, "from_index": providerhub.hub.registry().from_index}}))
"""


def who_serves(site: PluginSite, model: str, **env: str) -> dict[str, object]:
    return run(WHO_SERVES.format(model=model), site, **env)


def test_second_start_imports_only_the_plugin_it_needs(plugin_site: PluginSite) -> None:
    one = plugin_site.add("one", provider_source("One", ["one-1"]))
    plugin_site.add("two", provider_source("Two", ["two-1"]))
    first = who_serves(plugin_site, "one-1")
    assert first["answer"] == ["One", "one-1", ["One"]]
    assert len(first["modules"]) == 2 and first["from_index"] is False  # type: ignore[arg-type]
    again = who_serves(plugin_site, "one-1")
    assert again == {"answer": ["One", "one-1", ["One"]], "modules": [one], "from_index": True}


def test_upgrade_invalidates(plugin_site: PluginSite) -> None:
    plugin_site.add("p", provider_source("P", ["old-1"]), version="1.0")
    assert who_serves(plugin_site, "old-1")["answer"] == ["P", "old-1", ["P"]]
    who_serves(plugin_site, "old-1")
    plugin_site.add("p", provider_source("P", ["new-1"]), version="2.0")
    assert who_serves(plugin_site, "new-1")["answer"] == ["P", "new-1", ["P"]]
    assert who_serves(plugin_site, "old-1")["answer"] == "ModelNotFoundError"


def test_removal_invalidates(plugin_site: PluginSite) -> None:
    plugin_site.add("keep", provider_source("Keep", ["m-1"]))
    plugin_site.add("gone", provider_source("Gone", ["m-1", "gone-1"], priority=3))
    assert who_serves(plugin_site, "m-1")["answer"] == ["Gone", "m-1", ["Gone", "Keep"]]
    who_serves(plugin_site, "m-1")
    plugin_site.remove("gone")
    assert who_serves(plugin_site, "m-1")["answer"] == ["Keep", "m-1", ["Keep"]]
    assert who_serves(plugin_site, "gone-1")["answer"] == "ModelNotFoundError"


def test_addition_invalidates(plugin_site: PluginSite) -> None:
    plugin_site.add("old", provider_source("Old", ["m-1"]))
    who_serves(plugin_site, "m-1")
    who_serves(plugin_site, "m-1")
    plugin_site.add("new", provider_source("New", ["m-1"], priority=1))
    assert who_serves(plugin_site, "m-1")["answer"] == ["New", "m-1", ["New", "Old"]]


def test_plugin_changed_in_place_is_caught(plugin_site: PluginSite) -> None:
    """Same dist-info, same time stamps, different code: the import shows the index is stale."""
    plugin_site.add("a", provider_source("A", ["m-1"]))
    plugin_site.add("b", provider_source("B", ["b-1"]))
    providerhub.get_provider("m-1")
    info = next(plugin_site.root.glob("ph_test_a*.dist-info"))
    stamps = [(p, p.stat().st_mtime_ns) for p in (info, plugin_site.root)]
    module = plugin_site.root / f"{plugin_site.modules['a']}.py"
    module.write_text(provider_source("A", ["m-1"], working=False))
    for stale in plugin_site.root.glob("__pycache__/ph_test_a*.pyc"):
        stale.unlink()
    for path, ns in stamps:
        os.utime(path, ns=(ns, ns))
    sys.modules.pop(plugin_site.modules["a"], None)
    fresh_start()
    assert providerhub.hub.registry().from_index
    with pytest.raises(providerhub.ProviderNotWorkingError):
        providerhub.get_provider("m-1")
    assert not providerhub.hub.registry().from_index


def test_damaged_index_is_a_miss(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    Path(index.path()).write_bytes(b"\x00garbage")
    fresh_start()
    assert providerhub.get_provider("m-1").__name__ == "A"
    assert not providerhub.hub.registry().from_index
    marshal.loads(Path(index.path()).read_bytes())  # rewritten whole


def test_no_cache_env_turns_it_off(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_NO_CACHE", "1")
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    assert not os.path.exists(index.path())


def test_failed_plugin_is_retried_not_cached(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    plugin_site.add("broken", "import ph_missing_dependency\n")
    with pytest.warns(PluginLoadWarning, match="ph_missing_dependency"):
        providerhub.get_provider("m-1")
    fresh_start()
    with pytest.warns(PluginLoadWarning, match="ph_missing_dependency"):
        assert providerhub.get_provider("m-1").__name__ == "A"
    assert providerhub.hub.registry().from_index
    # the missing dependency appears (in a folder whose time stamp is left alone)
    deps = plugin_site.root.parent / "deps"
    deps.mkdir()
    (deps / "ph_missing_dependency.py").write_text("")
    sys.path.insert(0, str(deps))
    plugin_site.add(
        "broken", provider_source("Fixed", ["fixed-1"]).replace("\nfrom", "\nimport ph_missing_dependency\nfrom", 1)
    )
    try:
        fresh_start()
        assert providerhub.get_provider("fixed-1").__name__ == "Fixed"
    finally:
        sys.path.remove(str(deps))


def test_concurrent_writers_never_corrupt(plugin_site: PluginSite, tmp_path: Path) -> None:
    for i in range(5):
        plugin_site.add(f"p{i}", provider_source(f"P{i}", [f"m-{i}"]))
    code = """
import providerhub
for _ in range(15):
    providerhub.reload()
"""
    env = {**os.environ, "PYTHONPATH": str(plugin_site.root)}
    where = "from providerhub import index; print(index.path())"
    target = Path(subprocess.run([sys.executable, "-c", where], env=env, capture_output=True, text=True).stdout.strip())
    writers = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(4)]
    reads = 0
    while any(w.poll() is None for w in writers):
        if target.exists():
            marshal.loads(target.read_bytes())  # every state on disk is a whole file
            reads += 1
    assert all(w.wait() == 0 for w in writers)
    assert reads > 0
    assert not list(target.parent.glob(".index-*"))  # no temporary file left behind
    assert who_serves(plugin_site, "m-3") == {
        "answer": ["P3", "m-3", ["P3"]],
        "modules": [plugin_site.modules["p3"]],
        "from_index": True,
    }


@pytest.mark.parametrize(
    "name",
    [
        *("m-1", "shared", "SHARED", "alias-a", "b", "B/shared", "a/", "nothing", "", "vision-only"),
        *("derived", "Derived/m-1", "derived/anything", "d-1", "C/shared", "open/x"),
    ],
)
def test_same_answers_with_index_on_and_off(
    plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    config = tmp_path / "providerhub.toml"
    config.write_text(
        '[providers.Derived]\nfrom = "A"\nmodels = ["m-1", "d-1"]\npriority = 5\nany_model = true\n'
        "[providers.C]\nworking = true\n"
        '[providers.Open]\nfrom = "C"\nany_model = true\n'
        '[providers.Bad]\nfrom = "Nowhere"\n'
    )
    monkeypatch.setenv("PROVIDERHUB_CONFIG", str(config))
    plugin_site.add("a", provider_source("A", ["m-1", "shared"], aliases={"alias-a": "shared"}, vision=["shared"]))
    plugin_site.add("b", provider_source("B", ["shared", "vision-only"], priority=2, vision=["vision-only"]))
    plugin_site.add("c", provider_source("C", ["shared"], working=False, priority=9))
    plugin_site.add("broken", "raise RuntimeError('x')\n")

    def answers() -> list[object]:
        out: list[object] = []
        for media in (None, [(b"GIF89a....", "x.gif")]):
            try:
                res = providerhub.resolve(name, media=media)
                out.append((res.provider.__name__, res.model, res.match, res.candidates))
            except providerhub.ProviderHubError as exc:
                out.append(str(exc))
        out.append([tuple(p) for p in providerhub.list_plugins()])
        out.append(providerhub.list_providers())
        out.append(providerhub.list_models())
        return out

    with pytest.warns(PluginLoadWarning):
        providerhub.reload()
        cold = answers()
    fresh_start()
    with pytest.warns(PluginLoadWarning):
        warm = answers()
    monkeypatch.setenv("PROVIDERHUB_NO_CACHE", "1")
    fresh_start()
    with pytest.warns(PluginLoadWarning):
        off = answers()
    assert cold == warm == off


def test_index_read_of_other_key_is_a_miss(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    default = hub.default_hub()
    eps = providerhub.discovery.entry_points(default.plugins, default.disable_plugins)
    assert index.read(index.key(eps, default._index_settings())) is not None
    assert index.read(("other",)) is None
    with pytest.raises(ModelNotFoundError):
        providerhub.get_provider("m-2")
