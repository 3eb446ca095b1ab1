"""Discovery: real dist-info plugins on sys.path, and one plugin's failure never reaching another."""

from __future__ import annotations

import warnings

import pytest

import providerhub
from providerhub import ModelNotFoundError, PluginLoadError, PluginLoadWarning
from support.plugins import IN_REPO_PLUGINS, PluginSite, provider_source


def test_good_plugin_is_discovered_with_its_distribution(plugin_site: PluginSite) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1", "good-2"]), dist="ph-good", version="2.5")
    assert providerhub.get_provider("good-2").__name__ == "Good"
    (info,) = providerhub.list_plugins()
    assert (info.name, info.distribution, info.version, info.providers, info.error) == (
        "good",
        "ph-good",
        "2.5",
        ("Good",),
        None,
    )


def test_import_error_is_isolated_and_reported(plugin_site: PluginSite) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1"]))
    plugin_site.add("broken", "import not_a_module_anywhere_xyz\n")
    with pytest.warns(PluginLoadWarning, match=r"'broken' failed to import .*not_a_module_anywhere_xyz"):
        assert providerhub.get_provider("good-1").__name__ == "Good"
    plugins = {p.name: p for p in providerhub.list_plugins()}
    assert plugins["broken"].providers == ()
    assert "ModuleNotFoundError" in (plugins["broken"].error or "")
    assert plugins["good"].error is None


def test_misspelled_hook_is_reported_with_a_hint(plugin_site: PluginSite) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1"]))
    source = provider_source("Typo", ["typo-1"]).replace("def register_providers", "def register_provider")
    plugin_site.add("typo", source)
    with pytest.warns(PluginLoadWarning, match=r"'register_provider' \(did you mean 'register_providers'\?\)"):
        providerhub.reload()
    with pytest.raises(ModelNotFoundError):
        providerhub.get_provider("typo-1")
    assert providerhub.get_provider("good-1").__name__ == "Good"


def test_exception_in_hook_is_isolated(plugin_site: PluginSite) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1"]))
    plugin_site.add(
        "raises",
        "from providerhub import hookimpl\n\n@hookimpl\ndef register_providers():\n    raise RuntimeError('boom')\n",
    )
    with pytest.warns(PluginLoadWarning, match=r"'raises': register_providers\(\) raised RuntimeError: boom"):
        providerhub.reload()
    assert providerhub.get_provider("good-1").__name__ == "Good"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"default": "elsewhere"}, "default_model 'elsewhere' is not in its models"),
        ({"vision": ["bad-1", "other"]}, "vision_models 'other' are not in its models"),
        ({"aliases": {"short": "missing"}}, "alias 'short' points to unknown model 'missing'"),
    ],
)
def test_invalid_provider_is_left_out(plugin_site: PluginSite, kwargs: dict[str, object], message: str) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1"]))
    plugin_site.add("bad", provider_source("Bad", ["bad-1"], **kwargs))  # type: ignore[arg-type]
    with pytest.warns(PluginLoadWarning, match=message):
        providerhub.reload()
    assert [p.name for p in providerhub.list_providers()] == ["Good"]
    bad = next(p for p in providerhub.list_plugins() if p.name == "bad")
    assert bad.providers == () and message.replace("\\", "") in (bad.error or "")


def test_non_provider_class_is_left_out(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "odd", "from providerhub import hookimpl\n\n@hookimpl\ndef register_providers():\n    return [dict]\n"
    )
    with pytest.warns(PluginLoadWarning, match="'dict' is not a providerhub.BaseProvider subclass"):
        providerhub.reload()
    assert providerhub.list_providers() == []


def test_strict_mode_raises(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_site.add("broken", "raise ImportError('nope')\n")
    monkeypatch.setenv("PROVIDERHUB_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="'broken' failed to import") as info:
        providerhub.reload()
    assert info.value.plugin == "broken"


def test_only_and_disable_filters(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]), dist="ph-one")
    plugin_site.add("two", provider_source("Two", ["two-1"]), dist="ph-two")
    plugin_site.add("three", "raise RuntimeError('must not be imported')\n")
    monkeypatch.setenv("PROVIDERHUB_PLUGINS", "one,ph_two")  # entry-point name and distribution name
    providerhub.reload()
    assert [p.name for p in providerhub.list_plugins()] == ["one", "two"]
    monkeypatch.setenv("PROVIDERHUB_PLUGINS", "")
    providerhub.reload()
    assert providerhub.list_plugins() == []
    monkeypatch.delenv("PROVIDERHUB_PLUGINS")
    monkeypatch.setenv("PROVIDERHUB_DISABLE_PLUGINS", f"three,ph-two,{IN_REPO_PLUGINS}")
    providerhub.reload()
    assert [p.name for p in providerhub.list_plugins()] == ["one"]


def test_unknown_name_in_plugin_filter_warns(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_PLUGINS", "nowhere")
    with pytest.warns(PluginLoadWarning, match=r"'nowhere' named in the plugins to load \(PROVIDERHUB_PLUGINS"):
        providerhub.reload()


def test_duplicate_provider_name_keeps_the_first_plugin(plugin_site: PluginSite) -> None:
    plugin_site.add("a-first", provider_source("Same", ["a-1"]))
    plugin_site.add("b-second", provider_source("Same", ["b-1"]))
    with pytest.warns(PluginLoadWarning, match="provider name 'Same' is already registered by plugin 'a-first'"):
        providerhub.reload()
    assert providerhub.get_provider("a-1").__name__ == "Same"
    with pytest.raises(ModelNotFoundError):
        providerhub.get_provider("b-1")


def test_discovery_runs_once_per_process(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "counted",
        provider_source("Counted", ["c-1"])
        + "\nimport builtins\nbuiltins.ph_imports = getattr(builtins, 'ph_imports', 0) + 1\n",
    )
    import builtins

    builtins.ph_imports = 0  # type: ignore[attr-defined]
    for _ in range(3):
        providerhub.get_provider("c-1")
    assert builtins.ph_imports == 1  # type: ignore[attr-defined]


def test_threads_share_one_discovery(plugin_site: PluginSite) -> None:
    from concurrent.futures import ThreadPoolExecutor

    plugin_site.add("one", provider_source("One", ["one-1"]))
    with ThreadPoolExecutor(8) as pool:
        registries = set(pool.map(lambda _: id(providerhub._default.registry()), range(32)))
    assert len(registries) == 1


def test_registering_in_code_needs_no_entry_point(plugin_site: PluginSite) -> None:
    from providerhub import AsyncGeneratorProvider, ProviderModelMixin

    class InCode(AsyncGeneratorProvider, ProviderModelMixin):
        default_model = "code-1"
        models = ["code-1"]

        @classmethod
        async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
            yield "x"

    providerhub.register_provider(InCode)
    assert providerhub.get_provider("code-1") is InCode
    assert providerhub.resolve("code-1").plugin is None
    providerhub.unregister_provider(InCode)
    with pytest.raises(ModelNotFoundError):
        providerhub.get_provider("code-1")


def test_register_invalid_class_in_code_raises() -> None:
    with pytest.raises(ValueError, match="is not a providerhub.BaseProvider subclass"):
        providerhub.register_provider(int)  # type: ignore[type-var]


def test_no_warning_when_all_plugins_are_good(plugin_site: PluginSite) -> None:
    plugin_site.add("good", provider_source("Good", ["good-1"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        providerhub.reload()


def test_the_hook_markers_set_what_pluggy_reads() -> None:
    import pluggy

    from providerhub import hookimpl, hookspec

    def mine() -> None: ...

    def theirs() -> None: ...

    for options in ({}, {"tryfirst": True}, {"specname": "register_providers", "wrapper": True}):
        hookimpl(**options)(mine)  # type: ignore[call-overload]
        pluggy.HookimplMarker("providerhub")(**options)(theirs)
        assert mine.providerhub_impl == theirs.providerhub_impl  # type: ignore[attr-defined]
    hookspec(mine)
    pluggy.HookspecMarker("providerhub")(theirs)
    read = ("firstresult", "historic", "warn_on_impl")  # what pluggy's HookSpec takes from them
    assert [mine.providerhub_spec[k] for k in read] == [theirs.providerhub_spec[k] for k in read]  # type: ignore[attr-defined]


def test_distribution_name_and_version_come_from_the_metadata_headers(plugin_site: PluginSite) -> None:
    module = plugin_site.add("good", provider_source("Good", ["good-1"]), dist="ph-good", version="2.5")
    (info_dir,) = plugin_site.root.glob("ph_good-2.5.dist-info")
    (info_dir / "METADATA").write_text(
        "Metadata-Version: 2.1\nname: ph-good\nSummary: a plugin\n  folded on: two lines\nVersion: 2.5\n"
        "Version: 9.9\n\nName: decoy\nVersion: 0.0\n"
    )
    egg = plugin_site.root / "ph_egg-0.3.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: ph-egg\nVersion: 0.3\n")
    (egg / "entry_points.txt").write_text(f"[providerhub]\negg = {module}\n")
    with pytest.warns(PluginLoadWarning, match="provider name 'Good' is already registered"):
        providerhub.reload()
    found = {p.name: (p.distribution, p.version) for p in providerhub.list_plugins()}
    assert found == {"good": ("ph-good", "2.5"), "egg": ("ph-egg", "0.3")}
