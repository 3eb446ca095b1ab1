"""The persistent model index: it may only make resolution faster, never different."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import providerhub
from providerhub import (
    AsyncGeneratorProvider,
    BaseProvider,
    ModelNotFoundError,
    PluginInfo,
    PluginLoadWarning,
    ProviderInfo,
)
from providerhub import _default as hub
from providerhub import _index as index
from providerhub._loading import index_settings
from providerhub._registry import Registry
from support.plugins import PluginSite, provider_source
from support.processes import HEAVY, warm_resolve


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
print(json.dumps({{"answer": answer, "modules": mods, "from_index": providerhub._default.registry().from_index}}))
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
    assert providerhub._default.registry().from_index
    with pytest.raises(providerhub.ProviderNotWorkingError):
        providerhub.get_provider("m-1")
    assert not providerhub._default.registry().from_index


def test_a_plugin_taking_another_plugins_name_in_place_is_caught(plugin_site: PluginSite) -> None:
    """Same dist-info, same time stamps; the plugin now registers a name another plugin has."""
    plugin_site.add("a", provider_source("A", ["a-1"]))
    plugin_site.add("b", provider_source("B", ["b-1"]))
    providerhub.get_provider("b-1")
    info = next(plugin_site.root.glob("ph_test_b*.dist-info"))
    stamps = [(p, p.stat().st_mtime_ns) for p in (info, plugin_site.root)]
    module = plugin_site.root / f"{plugin_site.modules['b']}.py"
    module.write_text(provider_source("B", ["b-1"], name="A"))
    for stale in plugin_site.root.glob("__pycache__/ph_test_b*.pyc"):
        stale.unlink()
    for path, ns in stamps:
        os.utime(path, ns=(ns, ns))
    sys.modules.pop(plugin_site.modules["b"], None)
    fresh_start()
    assert providerhub._default.registry().from_index
    taken = "provider name 'A' is already registered by plugin 'a'"
    with pytest.warns(PluginLoadWarning, match=taken), pytest.raises(ModelNotFoundError):
        providerhub.get_provider("b-1")
    assert not providerhub._default.registry().from_index
    assert providerhub.get_provider("a-1").__name__ == "A"


def test_damaged_index_is_a_miss(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    Path(index.path()).write_bytes(b"\x00garbage")
    fresh_start()
    assert providerhub.get_provider("m-1").__name__ == "A"
    assert not providerhub._default.registry().from_index
    assert index.parse(Path(index.path()).read_bytes()) is not None  # rewritten whole


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
    assert providerhub._default.registry().from_index
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
    where = "from providerhub import _index as index; print(index.path())"
    target = Path(subprocess.run([sys.executable, "-c", where], env=env, capture_output=True, text=True).stdout.strip())
    writers = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(4)]
    whole: list[bool] = []  # for each read while writers ran: the bytes on disk were a whole file
    while any(w.poll() is None for w in writers):
        with contextlib.suppress(FileNotFoundError):
            whole.append(index.parse(target.read_bytes()) is not None)
    assert all(w.wait() == 0 for w in writers)
    assert whole and all(whole)
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


@pytest.mark.parametrize("name", ["shared", "m-1", "M-1", "b/shared", "alias-a", "m-2", "nothing", ""])
def test_same_answers_and_warnings_when_the_index_is_read_lazily(plugin_site: PluginSite, name: str) -> None:
    """No provider table applies: a warm start reads the index's records only as they are asked for."""
    plugin_site.add("a", provider_source("A", ["m-1", "shared"], aliases={"alias-a": "shared", "m-2": "m-1"}))
    plugin_site.add("b", provider_source("B", ["shared", "m-2"], priority=2, vision=["m-2"]))
    plugin_site.add("broken", "raise RuntimeError('x')\n")

    def answers(start: Callable[[], object]) -> tuple[list[object], list[str]]:
        out: list[object] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start()
            for media in (None, [(b"GIF89a....", "x.gif")]):
                try:
                    res = providerhub.resolve(name or None, media=media)
                    out.append((res.provider.__name__, res.model, res.match, res.candidates))
                except providerhub.ProviderHubError as exc:
                    out.append(str(exc))
            out += [providerhub.list_plugins(), providerhub.list_providers(), providerhub.list_models()]
        return out, [str(w.message) for w in caught]

    cold = answers(providerhub.reload)
    fresh_start()
    warm = answers(hub.registry)
    assert hub.registry().from_index
    assert any("alias 'm-2' dropped" in message for message in warm[1])  # shadowing, warned at a warm start too
    assert cold == warm


def test_a_warm_start_reads_only_the_records_it_needs_and_a_damaged_one_is_a_miss_when_read(
    plugin_site: PluginSite,
) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    plugin_site.add("b", provider_source("B", ["m-2"]))
    assert who_serves(plugin_site, "m-1")["from_index"] is False
    target = Path(
        run("from providerhub import _index as index; import json; print(json.dumps(index.path()))", plugin_site)
    )
    lines = target.read_bytes()[len(index.MAGIC) + 12 :].decode().split("\n")
    at = lines.index(next(line for line in lines if line.startswith('["B","b",')))
    damaged = lines[at].replace(',"m-2",null,', ',"m-2",1234,', 1)  # a number, the line as long as before
    assert damaged != lines[at]
    lines[at] = damaged
    target.write_bytes(_framed("\n".join(lines).encode()))
    assert who_serves(plugin_site, "m-1") == {  # B's record is not read
        "answer": ["A", "m-1", ["A"]],
        "modules": [plugin_site.modules["a"]],
        "from_index": True,
    }
    listing = "import json, providerhub; print(json.dumps([p.name for p in providerhub.list_providers()]))"
    assert run(listing, plugin_site) == ["A", "B"]  # B's record read: damaged, so full discovery
    assert index.parse(target.read_bytes()) is not None  # and the index rewritten whole
    assert who_serves(plugin_site, "m-2") == {
        "answer": ["B", "m-2", ["B"]],
        "modules": [plugin_site.modules["b"]],
        "from_index": True,
    }


LIST_PLUGINS = """
import json, sys
import providerhub
names = [p.name for p in providerhub.list_plugins()]
print(json.dumps({"plugins": names, "from_index": providerhub._default.registry().from_index,
                  "modules": sorted(m for m in sys.modules if m.startswith("ph_test_"))}))
"""


@pytest.mark.parametrize("damaged", ["provider", "plugin"])
def test_listing_plugins_reads_the_plugin_records_alone(plugin_site: PluginSite, damaged: str) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    plugin_site.add("b", provider_source("B", ["m-2"]))
    assert run(LIST_PLUGINS, plugin_site)["from_index"] is False
    target = Path(
        run("from providerhub import _index as index; import json; print(json.dumps(index.path()))", plugin_site)
    )
    lines = target.read_bytes()[len(index.MAGIC) + 12 :].decode().split("\n")
    start = '["B","b",' if damaged == "provider" else '["b",'
    at = lines.index(next(line for line in lines if line.startswith(start)))
    lines[at] = lines[at][:-1] + " "  # not JSON any more, the line as long as before
    target.write_bytes(_framed("\n".join(lines).encode()))
    listed = run(LIST_PLUGINS, plugin_site)
    assert listed["plugins"] == ["a", "b"]
    if damaged == "provider":  # not read: the plugins came from the index, and no plugin was imported
        assert (listed["from_index"], listed["modules"]) == (True, [])
    else:  # read and found damaged: full discovery answered, and rewrote the index
        assert listed["from_index"] is False
        assert index.parse(target.read_bytes()) is not None


def test_a_model_id_in_any_script_is_served_from_the_index(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["modèle-1", "模型-2"]))
    assert who_serves(plugin_site, "模型-2")["from_index"] is False
    assert who_serves(plugin_site, "模型-2") == {
        "answer": ["A", "模型-2", ["A"]],
        "modules": [plugin_site.modules["a"]],
        "from_index": True,
    }


def test_code_registration_over_a_damaged_index_rediscovers(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.reload()
    target = Path(index.path())
    lines = target.read_bytes()[len(index.MAGIC) + 12 :].decode().split("\n")
    at = lines.index(next(line for line in lines if line.startswith('["A","a",')))
    lines[at] = lines[at][:-1]  # not JSON any more
    target.write_bytes(_framed("\n".join(lines).encode()))
    fresh_start()
    assert hub.registry().from_index

    class Coded(AsyncGeneratorProvider):
        models = ("c-1",)
        default_model = "c-1"

        @classmethod
        async def create_async_generator(cls, model: str, messages: Any, **kwargs: Any) -> Any:  # pragma: no cover
            yield model

    providerhub.register_provider(Coded)
    assert [p.name for p in providerhub.list_providers()] == ["A", "Coded"]
    assert not hub.registry().from_index


def test_index_read_of_other_key_is_a_miss(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    default = hub.default_hub()
    where = index.locate(None, index_settings(default.config, default.plugins, default.disable_plugins))
    assert where is not None
    assert index.read(where, index.key(where)) is not None
    assert index.read(where, ("other",)) is None
    with pytest.raises(ModelNotFoundError):
        providerhub.get_provider("m-2")


DAMAGED_START = """
import json, resource, sys, time
import providerhub
started = time.monotonic()
name = providerhub.get_provider("m-1").__name__
print(json.dumps({"name": name, "from_index": providerhub._default.registry().from_index,
                  "seconds": time.monotonic() - started,
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _limited() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))  # today's reader must fail, not swap


def _framed(payload: bytes) -> bytes:
    import struct
    import zlib

    return index.MAGIC + struct.pack(">QI", len(payload), zlib.crc32(payload)) + payload


def _plant(kind: str, target: Path, whole: bytes) -> None:
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink-to-dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "1-gib":
        with open(target, "wb") as f:
            f.truncate(1024**3)  # sparse: costs no disk
    elif kind == "marshal-bomb":
        target.write_bytes(b"(\xff\xff\xff\x7f")  # a tuple claiming 2**31 items
    elif kind == "deep-json":
        target.write_bytes(_framed(b"[" * 200_000 + b"]" * 200_000))
    elif kind == "wrong-length":
        target.write_bytes(whole[:-1])
    elif kind == "wrong-checksum":
        target.write_bytes(whole[:-2] + bytes([whole[-2] ^ 1]) + whole[-1:])
    elif kind in ("wrong-shape", "wrong-model-entry"):
        lines = whole[len(index.MAGIC) + 12 :].decode().split("\n")
        if kind == "wrong-shape":
            at = lines.index(next(line for line in lines if line.startswith('["A","a",')))  # provider A's record
            record = json.loads(lines[at])
            record[7] = "9"  # priority as a string
            lines[at] = json.dumps(record, separators=(",", ":"))
        else:
            assert lines[-1].startswith("m-1\t[")
            lines[-1] = "m-1\t[7]"  # no record's line starts there
        target.write_bytes(_framed("\n".join(lines).encode()))
    elif kind == "directory":
        target.mkdir()


@pytest.mark.parametrize(
    "kind",
    [
        "fifo",
        "symlink-to-dev-zero",
        "1-gib",
        "marshal-bomb",
        "deep-json",
        "wrong-length",
        "wrong-checksum",
        "wrong-shape",
        "wrong-model-entry",
        "directory",
    ],
)
def test_a_damaged_index_is_a_cheap_miss(plugin_site: PluginSite, kind: str) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    env = {**os.environ, "PYTHONPATH": str(plugin_site.root)}
    run_start = [sys.executable, "-c", textwrap.dedent(DAMAGED_START)]
    first = json.loads(subprocess.run(run_start, env=env, capture_output=True, check=True, timeout=60).stdout)
    assert first["name"] == "A"
    target = Path(
        run("from providerhub import _index as index; import json; print(json.dumps(index.path()))", plugin_site)
    )
    whole = target.read_bytes()
    assert index.parse(whole) is not None
    _plant(kind, target, whole)
    done = subprocess.run(
        run_start, env=env, capture_output=True, check=False, timeout=30, preexec_fn=_limited
    )  # a FIFO read would block, /dev/zero would never end: the timeout catches both
    assert done.returncode == 0, done.stderr
    again = json.loads(done.stdout)
    assert again["name"] == "A" and again["from_index"] is False
    assert again["seconds"] < 10 and again["max_rss_mib"] < 200, again


def test_a_plugin_editing_path_and_environment_keeps_the_index(plugin_site: PluginSite) -> None:
    source = provider_source("Meddler", ["m-1"]) + textwrap.dedent(
        """
        import os, sys
        sys.path.append(os.path.join(os.path.dirname(__file__), "added-at-import"))
        sys.path.insert(0, "/nonexistent/inserted-at-import")
        os.environ["PROVIDERHUB_DISABLE_PLUGINS"] = "something-else"
        os.environ["PROVIDERHUB_PLUGINS"] = "meddler,other"
        """
    )
    plugin_site.add("meddler", source)
    assert who_serves(plugin_site, "m-1")["from_index"] is False
    assert who_serves(plugin_site, "m-1") == {
        "answer": ["Meddler", "m-1", ["Meddler"]],
        "modules": [plugin_site.modules["meddler"]],
        "from_index": True,
    }


def test_relative_cache_dir_is_refused_with_a_clear_message(
    plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("PROVIDERHUB_CACHE_DIR", "relative-cache")
    with pytest.warns(PluginLoadWarning, match=r"PROVIDERHUB_CACHE_DIR='relative-cache' is not an absolute path"):
        assert providerhub.get_provider("m-1").__name__ == "A"
    fresh_start()
    assert providerhub.get_provider("m-1").__name__ == "A"  # warned once per process
    assert list(work.iterdir()) == []
    assert not providerhub._default.registry().from_index


def test_old_index_files_are_pruned(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    folder = Path(index.cache_dir())
    folder.mkdir(parents=True, exist_ok=True)
    month_ago = time.time() - 40 * 24 * 3600
    old_format = folder / "index-0badcafe.marshal"
    stale = folder / "index-00000001.idx"
    recent = folder / "index-00000002.idx"
    leftover = folder / ".index-abandoned"
    unrelated = folder / "notes.txt"
    for path in (old_format, stale, recent, leftover, unrelated):
        path.write_bytes(b"x")
    for path in (stale, leftover, unrelated):
        os.utime(path, (month_ago, month_ago))
    providerhub.reload()
    assert sorted(p.name for p in folder.iterdir()) == sorted([Path(index.path()).name, recent.name, unrelated.name])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=14) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=60,
)


@given(st.binary(max_size=512))
def test_any_bytes_parse_to_a_miss_without_raising(data: bytes) -> None:
    assert index.parse(data) is None
    assert index.parse(index.MAGIC + data) is None


@given(json_values)
def test_any_well_framed_document_parses_to_records_or_a_miss(document: object) -> None:
    parsed = index.parse(_framed(json.dumps(document).encode()))
    if parsed is None:
        return
    assert all(type(p) is providerhub.PluginInfo for p in parsed.plugins)
    for providers in (parsed.providers, parsed.configured):
        assert all(type(p) is providerhub.ProviderInfo and type(p.models) is tuple for p in providers)


ids = st.text(st.characters(exclude_categories=("Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=6).filter(
    lambda text: text.split() == [text]
)
texts = st.text(max_size=8)  # anything: newlines, tabs, quotes, other scripts
optional_texts = st.none() | texts


@st.composite
def stored_records(draw: st.DrawFn) -> index.Stored:
    """What discovery could store: plugins in order, each followed by the providers it registered."""
    plugin_names = draw(st.lists(texts, max_size=4, unique=True))
    provider_names = iter(draw(st.lists(ids, min_size=12, max_size=12, unique_by=str.lower)))
    plugins, providers = [], []
    for name in plugin_names:
        mine = []
        for _ in range(draw(st.integers(0, 3))):
            models = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
            aliases = tuple(sorted(draw(st.dictionaries(ids, st.sampled_from(models), max_size=2)).items()))
            mine.append(
                ProviderInfo(
                    next(provider_names), name, tuple(models), models[0], draw(st.none() | st.sampled_from(models)),
                    tuple(draw(st.lists(st.sampled_from(models), max_size=2, unique=True))), aliases,
                    draw(st.integers(-3, 3)), draw(st.booleans()), draw(optional_texts), draw(optional_texts),
                    draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(optional_texts),
                    (("max_tokens", "int"),) if draw(st.booleans()) else (),
                )
            )  # fmt: skip
        error = draw(optional_texts)
        plugins.append(PluginInfo(name, draw(optional_texts), draw(optional_texts), tuple(r.name for r in mine), error))
        providers += mine
    configured = tuple(providers)
    if providers and draw(st.booleans()):  # a provider table changed one
        configured = (configured[0]._replace(priority=9, label="configured"), *configured[1:])
    notes = tuple(draw(st.lists(texts, max_size=2)))
    return index.Stored(tuple(plugins), tuple(providers), configured, notes, (), notes)


@given(stored_records())
def test_a_written_index_reads_back_the_same_record_by_record_and_whole(stored: index.Stored) -> None:
    key = ("key", ["with", "parts"], 3)
    data = _framed(index.encode(key, stored).encode("utf-8", "surrogatepass"))
    view = index.open_view(data, key)
    assert view is not None and index.open_view(data, ("other",)) is None
    assert view.everything() == stored == index.parse(data)
    assert view.failed == tuple(p.name for p in stored.plugins if p.error is not None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        whole = Registry(stored.configured, stored.plugins, lambda record: BaseProvider)
    assert view.shadowing() == [str(w.message) for w in caught]
    for model, records in whole.by_model.items():
        assert view.serving(model) == records
        assert view.serving(model) == records  # the second time from what the view kept
    assert view.serving("not-a-model") is None and view.serving("two words") is None
    for plugin in stored.plugins:
        assert view.plugin(plugin.name) == (plugin, [r for r in stored.providers if r.plugin == plugin.name])


def test_a_view_looks_a_name_up_once_and_keeps_a_bounded_number(
    plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin_site.add("a", provider_source("A", ["m-1", "m-2"]))
    providerhub.reload()
    view = index.open_view(Path(index.path()).read_bytes())
    assert view is not None
    looked: list[str] = []
    lookup = view._lookup
    monkeypatch.setattr(view, "_lookup", lambda model: looked.append(model) or lookup(model))
    monkeypatch.setattr(index, "MAX_KEPT_NAMES", 2)
    answers = [view.serving(name) for name in ("m-1", "m-1", "nope", "nope", "m-2", "m-1")]
    assert looked == ["m-1", "nope", "m-2", "m-1"]  # at the third name the view held two: it let them go
    assert [[r.name for r in found] if found else found for found in answers] == [
        ["A"], ["A"], None, None, ["A"], ["A"]
    ]  # fmt: skip


def test_written_records_parse_back_equal(plugin_site: PluginSite) -> None:
    plugin_site.add("a", provider_source("A", ["m-1", "m-2"], aliases={"short": "m-2"}, vision=["m-1"], priority=3))
    plugin_site.add("broken", "raise RuntimeError('x')\n")
    with pytest.warns(PluginLoadWarning):
        providerhub.reload()
    parsed = index.parse(Path(index.path()).read_bytes())
    assert parsed is not None
    assert (parsed.plugins, parsed.configured) == (
        tuple(providerhub.list_plugins()),
        tuple(providerhub.list_providers()),
    )


# -- the key: what a start can know without reading any distribution's metadata --------------------

NOTHING_SCANNED = """
import json, sys
import providerhub
res = providerhub.resolve({model!r})
print(json.dumps({{
    "answer": [res.provider.__name__, res.model],
    "from_index": providerhub._default.registry().from_index,
    "loaded": sorted(m for m in ("pluggy", "importlib_metadata", "importlib.metadata", "asyncio") if m in sys.modules),
}}))
"""


def test_a_warm_start_reads_no_metadata_and_imports_no_pluggy(plugin_site: PluginSite) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]))
    plugin_site.add("two", provider_source("Two", ["two-1"]))
    assert run(NOTHING_SCANNED.format(model="two-1"), plugin_site)["from_index"] is False
    warm = run(NOTHING_SCANNED.format(model="two-1"), plugin_site)
    assert warm == {"answer": ["Two", "two-1"], "from_index": True, "loaded": []}


def test_a_warm_start_imports_neither_typing_nor_json(plugin_site: PluginSite, tmp_path: Path) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]))
    plugin_site.add("two", provider_source("Two", ["two-1"]))
    config = tmp_path / "providerhub.toml"
    config.write_text('default_model = "one-1"\nprefer = ["Two"]\n')  # read from its parsed copy once cached
    warm = warm_resolve("two-1", {**os.environ, "PYTHONPATH": str(plugin_site.root), "PROVIDERHUB_CONFIG": str(config)})
    assert (warm["provider"], warm["from_index"]) == ("Two", True)
    imported = warm["imported"]
    assert isinstance(imported, list) and plugin_site.modules["two"] in imported
    assert [name for name in HEAVY if name in imported] == []


def test_a_changed_pythonpath_is_a_miss(plugin_site: PluginSite, tmp_path: Path) -> None:
    plugin_site.add("base", provider_source("Base", ["m-1"]))
    other = PluginSite(tmp_path / "other")
    other.root.mkdir()
    other.add("better", provider_source("Better", ["m-1"], priority=5))
    assert who_serves(plugin_site, "m-1")["answer"] == ["Base", "m-1", ["Base"]]
    assert who_serves(plugin_site, "m-1")["from_index"] is True
    both = os.pathsep.join([str(plugin_site.root), str(other.root)])
    found = who_serves(plugin_site, "m-1", PYTHONPATH=both)
    assert found["answer"] == ["Better", "m-1", ["Better", "Base"]] and found["from_index"] is False
    assert who_serves(plugin_site, "m-1")["answer"] == ["Base", "m-1", ["Base"]]  # and back


def test_an_editable_plugin_is_seen_when_reinstalled_or_when_its_code_changed(
    plugin_site: PluginSite, tmp_path: Path
) -> None:
    # An editable install: the dist-info in the site folder, the code in the project's own folder on sys.path.
    src = tmp_path / "project"
    src.mkdir()
    module = src / "ph_test_editable.py"
    module.write_text(provider_source("Editable", ["ed-1"]))
    plugin_site.add_dist("ph-test-editable", b"[providerhub]\neditable = ph_test_editable\n")
    path = os.pathsep.join([str(plugin_site.root), str(src)])
    assert who_serves(plugin_site, "ed-1", PYTHONPATH=path)["answer"] == ["Editable", "ed-1", ["Editable"]]
    assert who_serves(plugin_site, "ed-1", PYTHONPATH=path)["from_index"] is True
    # The code edited in place: a start that imports the plugin notices and discovers again.
    module.write_text(provider_source("Editable", ["ed-2"]))
    shutil.rmtree(src / "__pycache__", ignore_errors=True)  # the same size within the same second: no stale bytecode
    assert who_serves(plugin_site, "ed-1", PYTHONPATH=path)["answer"] == "ModelNotFoundError"
    assert who_serves(plugin_site, "ed-2", PYTHONPATH=path)["answer"] == ["Editable", "ed-2", ["Editable"]]
    # Reinstalled with another entry point: the site folder's time changes, the index is rebuilt.
    (src / "ph_test_editable_v2.py").write_text(provider_source("EditableTwo", ["ed-3"]))
    plugin_site.add_dist("ph-test-editable", b"[providerhub]\neditable = ph_test_editable_v2\n", version="2.0")
    again = who_serves(plugin_site, "ed-3", PYTHONPATH=path)
    assert again["answer"] == ["EditableTwo", "ed-3", ["EditableTwo"]] and again["from_index"] is False


def test_the_key_holds_the_core_version_and_sys_path(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    providerhub.get_provider("m-1")
    where = index.locate(
        None, index_settings(hub.default_hub().config, hub.default_hub().plugins, hub.default_hub().disable_plugins)
    )
    assert where is not None
    assert index.read(where, index.key(where)) is not None
    monkeypatch.setattr(providerhub, "__version__", "999.0")
    assert index.read(where, index.key(where)) is None
    monkeypatch.undo()
    assert index.read(where, index.key(where._replace(entries=(*where.entries, "/elsewhere")))) is None


# -- each change the key covers: the first start after it rediscovers, the next one reads the index -----


def served_then_indexed(site: PluginSite, model: str, expected: object, **env: str) -> None:
    """The first start discovers (a miss) and gives ``expected``; the next gives it from the index (a hit)."""
    first, second = who_serves(site, model, **env), who_serves(site, model, **env)
    assert (first["answer"], first["from_index"]) == (expected, False)
    assert (second["answer"], second["from_index"]) == (expected, True)


def test_an_install_is_a_miss_then_a_hit(plugin_site: PluginSite) -> None:
    plugin_site.add("old", provider_source("Old", ["m-1"]))
    served_then_indexed(plugin_site, "m-1", ["Old", "m-1", ["Old"]])
    plugin_site.add("new", provider_source("New", ["m-1"], priority=1))
    served_then_indexed(plugin_site, "m-1", ["New", "m-1", ["New", "Old"]])


def test_an_upgrade_is_a_miss_then_a_hit(plugin_site: PluginSite) -> None:
    plugin_site.add("p", provider_source("P", ["m-1"]), version="1.0")
    served_then_indexed(plugin_site, "m-1", ["P", "m-1", ["P"]])
    plugin_site.add("p", provider_source("P", ["m-1"], aliases={"short": "m-1"}), version="2.0")
    served_then_indexed(plugin_site, "short", ["P", "m-1", ["P"]])
    assert who_serves(plugin_site, "m-1")["from_index"] is True


def test_a_removal_is_a_miss_then_a_hit(plugin_site: PluginSite) -> None:
    plugin_site.add("keep", provider_source("Keep", ["m-1"]))
    plugin_site.add("gone", provider_source("Gone", ["m-1"], priority=3))
    served_then_indexed(plugin_site, "m-1", ["Gone", "m-1", ["Gone", "Keep"]])
    plugin_site.remove("gone")
    served_then_indexed(plugin_site, "m-1", ["Keep", "m-1", ["Keep"]])


def test_a_pythonpath_change_is_a_miss_then_a_hit(plugin_site: PluginSite, tmp_path: Path) -> None:
    plugin_site.add("base", provider_source("Base", ["m-1"]))
    other = PluginSite(tmp_path / "other")
    other.root.mkdir()
    other.add("better", provider_source("Better", ["m-1"], priority=5))
    served_then_indexed(plugin_site, "m-1", ["Base", "m-1", ["Base"]])
    both = os.pathsep.join([str(plugin_site.root), str(other.root)])
    served_then_indexed(plugin_site, "m-1", ["Better", "m-1", ["Better", "Base"]], PYTHONPATH=both)


def test_an_editable_install_is_a_miss_then_a_hit(plugin_site: PluginSite, tmp_path: Path) -> None:
    plugin_site.add("base", provider_source("Base", ["m-1"]))
    src = tmp_path / "project"
    src.mkdir()
    (src / "ph_test_editable_key.py").write_text(provider_source("Editable", ["m-1"], priority=2))
    path = os.pathsep.join([str(plugin_site.root), str(src)])
    served_then_indexed(plugin_site, "m-1", ["Base", "m-1", ["Base"]], PYTHONPATH=path)
    plugin_site.add_dist("ph-test-editable-key", b"[providerhub]\neditable = ph_test_editable_key\n")
    served_then_indexed(plugin_site, "m-1", ["Editable", "m-1", ["Editable", "Base"]], PYTHONPATH=path)


def test_a_configuration_change_is_a_miss_then_a_hit(plugin_site: PluginSite, tmp_path: Path) -> None:
    plugin_site.add("a", provider_source("A", ["m-1"]))
    plugin_site.add("b", provider_source("B", ["m-1"], priority=1))
    config = tmp_path / "providerhub.toml"

    def configure(text: str) -> None:
        config.write_text(text)
        later = time.time_ns() + 10_000_000_000  # a second write within the clock's grain is still seen
        os.utime(config, ns=(later, later))

    configure("")
    served_then_indexed(plugin_site, "m-1", ["B", "m-1", ["B", "A"]], PROVIDERHUB_CONFIG=str(config))
    configure("[providers.A]\npriority = 7\n")  # a provider table: part of what the index holds
    served_then_indexed(plugin_site, "m-1", ["A", "m-1", ["A", "B"]], PROVIDERHUB_CONFIG=str(config))
    configure('prefer = ["B"]\n[providers.A]\npriority = 7\n')  # read at each start: the index still serves
    again = who_serves(plugin_site, "m-1", PROVIDERHUB_CONFIG=str(config))
    assert (again["answer"], again["from_index"]) == (["B", "m-1", ["B", "A"]], True)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG rule is the one for other systems")
def test_the_index_lives_in_the_user_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROVIDERHUB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert index.cache_dir() == str(tmp_path / "providerhub")
    assert Path(index.path()).parent == tmp_path / "providerhub"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # the XDG rule: a relative value is ignored
    assert index.cache_dir() == os.path.expanduser("~/.cache/providerhub")
