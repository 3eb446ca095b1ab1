"""The resolution rules, each on its own, against real fixture plugins."""

from __future__ import annotations

import pytest

import providerhub
from providerhub import (
    ModelNotFoundError,
    ModelNotSupportedError,
    PluginLoadWarning,
    ProviderHubError,
    ProviderNotWorkingError,
)
from support.plugins import PluginSite, provider_source

IMAGE = [(b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "a.png")]


@pytest.fixture
def two(plugin_site: PluginSite) -> PluginSite:
    """Alpha and Beta both serve shared-1; Beta has a higher priority."""
    plugin_site.add(
        "alpha",
        provider_source(
            "Alpha",
            ["alpha-1", "shared-1", "org/model"],
            aliases={"a1": "alpha-1", "short": "shared-1"},
            vision=["shared-1"],
        ),
    )
    plugin_site.add(
        "beta",
        provider_source("Beta", ["beta-1", "shared-1"], aliases={"short": "beta-1"}, priority=5, vision=["beta-1"]),
    )
    return plugin_site


def name(model: str | None, **kwargs: object) -> tuple[str, str, str]:
    res = providerhub.resolve(model, **kwargs)  # type: ignore[arg-type]
    return res.provider.__name__, res.model, res.match


def test_exact_id(two: PluginSite) -> None:
    assert name("alpha-1") == ("Alpha", "alpha-1", "id")


def test_priority_orders_providers_of_one_model(two: PluginSite) -> None:
    res = providerhub.resolve("shared-1")
    assert [c.provider for c in res.candidates] == ["Beta", "Alpha"]
    assert [p.__name__ for p in providerhub.get_providers("shared-1")] == ["Beta", "Alpha"]


def test_prefer_env_beats_priority(two: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_PREFER", "alpha")
    providerhub.reload()  # settings are read when the hub is built
    assert [c.provider for c in providerhub.resolve("shared-1").candidates] == ["Alpha", "Beta"]


def test_prefix_selects_provider_case_insensitively(two: PluginSite) -> None:
    assert name("alpha/shared-1") == ("Alpha", "shared-1", "prefix")
    assert name("BETA/shared-1") == ("Beta", "shared-1", "prefix")
    assert name("beta/short") == ("Beta", "beta-1", "prefix")
    assert name("alpha/") == ("Alpha", "alpha-1", "prefix")


def test_prefix_with_model_the_provider_lacks(two: PluginSite) -> None:
    with pytest.raises(ModelNotSupportedError, match="provider Beta has no model 'alpha-1'; its models are: beta-1"):
        providerhub.resolve("beta/alpha-1")


def test_id_with_slash_is_a_model_id_when_prefix_is_no_provider(two: PluginSite) -> None:
    assert name("org/model") == ("Alpha", "org/model", "id")


def test_provider_name_alone_gives_its_default_model(two: PluginSite) -> None:
    assert name("Beta") == ("Beta", "beta-1", "provider")
    assert name("alpha") == ("Alpha", "alpha-1", "provider")


def test_alias_is_per_provider(two: PluginSite) -> None:
    res = providerhub.resolve("short")
    assert res.match == "alias"
    assert [(c.provider, c.model) for c in res.candidates] == [("Beta", "beta-1"), ("Alpha", "shared-1")]
    assert name("a1") == ("Alpha", "alpha-1", "alias")


def test_case_insensitive_when_unique(two: PluginSite) -> None:
    assert name("ALPHA-1") == ("Alpha", "alpha-1", "case-insensitive")
    assert name("A1") == ("Alpha", "alpha-1", "case-insensitive")


def test_case_insensitive_ambiguity_is_an_error(plugin_site: PluginSite) -> None:
    plugin_site.add("p", provider_source("P", ["Model-X", "model-x"]))
    with pytest.raises(ModelNotFoundError, match="'MODEL-X'.*matches 'Model-X', 'model-x' ignoring case"):
        providerhub.resolve("MODEL-X")


def test_not_found_names_request_and_close_matches(two: PluginSite) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        providerhub.get_provider("alpha-2")
    message = str(info.value)
    assert "'alpha-2'" in message and "did you mean" in message and "'alpha-1'" in message
    assert 1 <= len(info.value.suggestions) <= 3
    assert isinstance(info.value, LookupError) and isinstance(info.value, ProviderHubError)


def test_a_long_name_is_quoted_in_part_and_kept_whole(two: PluginSite) -> None:
    from providerhub.errors import MAX_QUOTED

    long = "alpha-" + "x" * 5000
    with pytest.raises(ModelNotFoundError) as info:
        providerhub.get_provider(long)
    assert f"{long[:MAX_QUOTED]!r}... (5,006 characters)" in str(info.value)
    assert len(str(info.value)) < 400
    assert info.value.requested == long
    with pytest.raises(ModelNotSupportedError) as unsupported:
        providerhub.get_provider("beta/" + long)
    assert "(5,006 characters); its models are: beta-1" in str(unsupported.value)
    provider = providerhub.get_provider("alpha-1")
    with pytest.raises(ModelNotSupportedError) as refused:
        provider.get_model(long)
    assert len(str(refused.value)) < 400 and refused.value.requested == long


def test_not_found_without_any_provider_says_so(plugin_site: PluginSite) -> None:
    with pytest.raises(ModelNotFoundError, match="no provider plugins are installed"):
        providerhub.get_provider("gemini-1.5-flash")


def test_default_model_from_env_then_first_provider(two: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    # Beta ranks first (priority 5), so its default model is the default.
    assert name(None) == ("Beta", "beta-1", "default")
    assert name("") == ("Beta", "beta-1", "default")
    monkeypatch.setenv("PROVIDERHUB_DEFAULT_MODEL", "a1")
    providerhub.reload()
    assert name(None) == ("Alpha", "alpha-1", "default")


def test_alias_equal_to_a_model_id_is_dropped(plugin_site: PluginSite) -> None:
    plugin_site.add("one", provider_source("One", ["one-1"]))
    plugin_site.add("two", provider_source("Two", ["two-1"], aliases={"one-1": "two-1", "t": "two-1"}))
    with pytest.warns(PluginLoadWarning, match="provider Two: alias 'one-1' dropped, it is a model id"):
        providerhub.reload()
    assert name("one-1") == ("One", "one-1", "id")
    assert name("t") == ("Two", "two-1", "alias")


def test_not_working_providers_are_skipped(plugin_site: PluginSite) -> None:
    plugin_site.add("up", provider_source("Up", ["m-1"]))
    plugin_site.add("down", provider_source("Down", ["m-1", "m-2"], priority=9, working=False))
    assert [c.provider for c in providerhub.resolve("m-1").candidates] == ["Up"]
    with pytest.raises(ProviderNotWorkingError, match="'m-2' is served only by providers marked not working: Down"):
        providerhub.get_provider("m-2")


def test_media_needs_a_vision_provider(two: PluginSite) -> None:
    # Beta outranks Alpha for shared-1, but only Alpha sees images of it.
    assert name("shared-1", media=IMAGE) == ("Alpha", "shared-1", "id")
    with pytest.raises(ModelNotSupportedError, match="no provider serves 'alpha-1' with image input; Alpha .* without"):
        providerhub.get_provider("alpha-1", media=IMAGE)


def test_provider_name_with_media_picks_a_vision_model(two: PluginSite) -> None:
    assert name("alpha", media=IMAGE) == ("Alpha", "shared-1", "provider")


def test_resolution_reports_plugin(two: PluginSite) -> None:
    assert providerhub.resolve("beta-1").plugin == "beta"


def test_list_models_rows(two: PluginSite) -> None:
    rows = [(m.id, m.provider, m.aliases, m.vision) for m in providerhub.list_models()]
    assert ("shared-1", "Beta", (), False) in rows
    assert ("shared-1", "Alpha", ("short",), True) in rows
    assert rows.index(("shared-1", "Beta", (), False)) < rows.index(("shared-1", "Alpha", ("short",), True))
    assert ("beta-1", "Beta", ("short",), True) in rows
