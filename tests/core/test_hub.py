"""The hub as an object: settings fixed when built, independent hubs, and the module-level facade."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import providerhub
from providerhub import Hub, ModelNotFoundError
from providerhub import _default as hub
from support.plugins import PluginSite, provider_source

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def three(plugin_site: PluginSite) -> PluginSite:
    plugin_site.add("alpha", provider_source("Alpha", ["shared", "a-1"]))
    plugin_site.add("beta", provider_source("Beta", ["shared", "b-1"], priority=1))
    plugin_site.add("gamma", provider_source("Gamma", ["g-1"]))
    return plugin_site


def test_two_hubs_with_different_settings_coexist(three: PluginSite) -> None:
    first = Hub(plugins=["alpha", "beta"], prefer=["alpha"], default_model="b-1")
    second = Hub(plugins="beta,gamma")
    assert [c.provider for c in first.resolve("shared").candidates] == ["Alpha", "Beta"]
    assert [c.provider for c in second.resolve("shared").candidates] == ["Beta"]
    assert first.resolve(None).model == "b-1"
    assert second.resolve(None).provider.name == "Beta"
    assert [p.name for p in first.list_plugins()] == ["alpha", "beta"]
    assert [p.name for p in second.list_providers()] == ["Beta", "Gamma"]
    with pytest.raises(ModelNotFoundError):
        first.resolve("g-1")
    assert second.get_provider("g-1").name == "Gamma"
    assert [m.provider for m in first.list_models() if m.id == "shared"] == ["Alpha", "Beta"]
    assert [m.provider for m in second.list_models() if m.id == "shared"] == ["Beta"]
    assert first.registry() is not second.registry()


def test_code_registrations_belong_to_one_hub(three: PluginSite) -> None:
    first, second = Hub(plugins=()), Hub(plugins=())

    class Local(providerhub.AsyncGeneratorProvider, providerhub.ProviderModelMixin):
        default_model = "local-1"
        options = {"temperature": float}

        @classmethod
        async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
            yield f"{cls.name}:{model}:{kwargs.get('temperature')}"

    first.register_provider(Local)
    assert first.get_provider("local-1") is Local
    with pytest.raises(ModelNotFoundError):
        second.resolve("local-1")
    with pytest.raises(ModelNotFoundError):
        providerhub.resolve("local-1")
    assert list(first.complete("local", MESSAGES, temperature=0.5)) == ["Local:local-1:0.5"]
    first.unregister_provider("local")
    with pytest.raises(ModelNotFoundError):
        first.resolve("local-1")


async def test_hub_stream_uses_its_own_providers(three: PluginSite) -> None:
    mine = Hub(plugins=["gamma"])
    assert [chunk async for chunk in mine.stream("gamma", MESSAGES)] == ["Gamma:g-1"]
    with pytest.raises(ModelNotFoundError):
        [chunk async for chunk in mine.stream("a-1", MESSAGES)]


def test_default_hub_reads_the_environment_once(three: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_PREFER", "alpha")
    default = providerhub.default_hub()
    assert default is providerhub.default_hub()
    assert default.prefer == ("alpha",)
    assert providerhub.resolve("shared").provider.name == "Alpha"
    monkeypatch.setenv("PROVIDERHUB_PREFER", "beta")
    assert providerhub.resolve("shared").provider.name == "Alpha"  # not read per call
    providerhub.reload()  # reads the settings again
    assert providerhub.resolve("shared").provider.name == "Beta"
    assert providerhub.default_hub() is not default


def test_reload_keeps_code_registrations(three: PluginSite) -> None:
    class Kept(providerhub.AsyncGeneratorProvider):
        default_model = "kept-1"

        @classmethod
        async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
            yield ""

    providerhub.register_provider(Kept)
    providerhub.reload()
    assert providerhub.get_provider("kept-1") is Kept


def test_module_functions_are_the_default_hubs(three: PluginSite) -> None:
    default = providerhub.default_hub()
    assert providerhub.list_providers() == default.list_providers()
    assert providerhub.list_models() == default.list_models()
    assert providerhub.list_plugins() == default.list_plugins()
    assert providerhub.resolve("shared") == default.resolve("shared")
    assert providerhub.get_providers("shared") == default.get_providers("shared")


def test_not_found_with_a_valid_index_is_answered_from_it(three: PluginSite) -> None:
    assert providerhub.get_provider("a-1").name == "Alpha"
    hub._default = None
    for module in three.modules.values():
        sys.modules.pop(module, None)
    with pytest.raises(ModelNotFoundError, match="did you mean 'a-1'"):
        providerhub.resolve("a-2")
    assert providerhub._default.registry().from_index  # no rediscovery
    assert not [m for m in three.modules.values() if m in sys.modules]  # and no plugin imported
    assert providerhub.get_provider("g-1").name == "Gamma"
    assert [m for m in three.modules.values() if m in sys.modules] == [three.modules["gamma"]]


def test_hubs_with_their_own_cache_folders(three: PluginSite, tmp_path: Path) -> None:
    folder = str(tmp_path)
    Hub(cache_dir=folder).list_providers()
    warm = Hub(cache_dir=folder)
    assert warm.resolve("a-1").provider.name == "Alpha"
    assert warm.registry().from_index
    assert not Hub(cache_dir=folder, use_index=False).registry().from_index


def test_a_relative_cache_dir_is_refused_with_a_warning(three: PluginSite) -> None:
    mine = Hub(cache_dir="relative-index-folder", plugins=["alpha"])
    with pytest.warns(providerhub.PluginLoadWarning, match="cache_dir 'relative-index-folder' is not an absolute path"):
        assert mine.get_provider("a-1").name == "Alpha"
    assert not mine.registry().from_index
