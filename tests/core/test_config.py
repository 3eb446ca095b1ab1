"""Configured providers: ``configure()``, the ``providerhub.toml`` file, and the index staying right with both."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import providerhub
from providerhub import ConfigError, ConfigWarning, Hub
from providerhub import _default as hub
from providerhub._config import default_path, load
from support.plugins import PluginSite, provider_source

MESSAGES = [{"role": "user", "content": "Name a colour."}]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def fresh_start() -> None:
    """What a new process sees: no default hub yet (the index and the file on disk stay)."""
    hub._default = None


@pytest.fixture
def echo(plugin_site: PluginSite) -> PluginSite:
    plugin_site.add("echo", provider_source("Echo", ["echo-1", "echo-2"], aliases={"e2": "echo-2"}))
    return plugin_site


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default hub's configuration file (not yet written)."""
    path = tmp_path / "providerhub.toml"
    monkeypatch.setenv("PROVIDERHUB_CONFIG", str(path))
    return path


# -- configure() ------------------------------------------------------------------------------------


def test_configure_derives_a_provider_with_declarations_overridden(echo: PluginSite) -> None:
    base = providerhub.get_provider("echo-1")
    local = base.configure("Local", models=["echo-2", "echo-9"], default_model="echo-9", priority=4)
    assert issubclass(local, base) and local is not base
    assert (local.name, local.models, local.default_model, local.priority) == (
        "Local",
        ("echo-2", "echo-9"),
        "echo-9",
        4,
    )
    assert (base.name, base.models) == ("Echo", ("echo-1", "echo-2"))  # the base is untouched
    providerhub.register_provider(local)
    assert providerhub.resolve("echo-9").provider is local
    assert [c.provider for c in providerhub.resolve("echo-2").candidates] == ["Local", "Echo"]
    assert "".join(map(str, providerhub.complete("local/echo-2", MESSAGES))) == "Local:echo-2"


def test_configure_refuses_an_unknown_setting_naming_the_valid_ones(echo: PluginSite) -> None:
    base = providerhub.get_provider("echo-1")
    with pytest.raises(ValueError, match=r"provider Echo: unknown setting 'api_bse'; the settings are: .*api_endpoint"):
        base.configure("Local", api_bse="http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"default_model": "nope"}, "default_model 'nope' is not in its models"),
        ({"priority": "high"}, "priority must be an int"),
        ({"model_aliases": {"x": "missing"}}, "alias 'x' points to unknown model 'missing'"),
        ({"options": {"temperature": complex}}, "option 'temperature' has type"),
    ],
)
def test_configure_validates_the_result_like_a_registered_provider(
    echo: PluginSite, settings: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        providerhub.get_provider("echo-1").configure("Local", **settings)


@pytest.mark.parametrize("name", ["", "a/b", None])
def test_configure_needs_a_usable_name(echo: PluginSite, name: Any) -> None:
    with pytest.raises(ValueError, match="name"):
        providerhub.get_provider("echo-1").configure(name)


# -- the configuration file -------------------------------------------------------------------------


def test_default_path_follows_the_variable_then_the_user_config_dir(tmp_path: Path) -> None:
    assert default_path({"PROVIDERHUB_CONFIG": "/x/my.toml"}) == "/x/my.toml"
    if sys.platform not in ("win32", "darwin"):
        where = default_path({"XDG_CONFIG_HOME": str(tmp_path)})
        assert where == os.path.join(str(tmp_path), "providerhub", "providerhub.toml")


def test_file_settings_shape_the_default_hub(echo: PluginSite, config_file: Path) -> None:
    echo.add("other", provider_source("Other", ["echo-1", "o-1"], priority=9))
    write(
        config_file,
        """
        default_model = "e2"
        prefer = ["echo"]
        disable_plugins = ["providerhub-dynaspark", "providerhub-openai"]

        [router]
        cooldown = 30
        """,
    )
    assert providerhub.resolve(None).model == "echo-2"
    assert [c.provider for c in providerhub.resolve("echo-1").candidates] == ["Echo", "Other"]
    assert providerhub.default_hub().config.router == {"cooldown": 30}


def test_environment_overrides_the_file(echo: PluginSite, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    echo.add("other", provider_source("Other", ["echo-1"], priority=9))
    write(config_file, 'prefer = ["echo"]\ndefault_model = "e2"\nplugins = ["echo"]\n')
    monkeypatch.setenv("PROVIDERHUB_PREFER", "other")
    monkeypatch.setenv("PROVIDERHUB_DEFAULT_MODEL", "echo-1")
    monkeypatch.setenv("PROVIDERHUB_PLUGINS", "echo,other")
    assert [c.provider for c in providerhub.resolve("echo-1").candidates] == ["Other", "Echo"]
    assert providerhub.resolve(None).model == "echo-1"


def test_plugins_list_in_the_file_limits_discovery(echo: PluginSite, config_file: Path) -> None:
    echo.add("other", "raise RuntimeError('must not be imported')\n")
    write(config_file, 'plugins = ["echo"]\n')
    assert [p.name for p in providerhub.list_plugins()] == ["echo"]


def test_invalid_toml_is_one_clear_error(config_file: Path) -> None:
    write(config_file, "prefer = [\n")
    with pytest.raises(ConfigError, match=f"configuration file {config_file} is not valid TOML") as info:
        providerhub.list_providers()
    assert info.value.path == str(config_file)
    assert isinstance(info.value, providerhub.ProviderHubError)


def test_a_file_too_large_or_not_text_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    with pytest.raises(ConfigError, match="is larger than"):
        load(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"prefer = ['\xff']\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load(binary)


def test_missing_file_is_an_empty_configuration(tmp_path: Path) -> None:
    config = load(tmp_path / "absent.toml")
    assert (config.prefer, config.plugins, config.providers) == (None, None, ())


def test_unknown_and_ill_typed_top_level_keys_warn_and_are_left_out(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'prefr = ["a"]\nprefer = "a"\ndefault_model = "ok"\n')
    with pytest.warns(ConfigWarning) as caught:
        config = load(path)
    messages = [str(w.message) for w in caught]
    assert any(f"{path}: unknown key 'prefr' is ignored; the keys are: default_model" in m for m in messages)
    assert any(f"{path}: prefer must be a list of strings, not 'a'" in m for m in messages)
    assert (config.prefer, config.default_model) == (None, "ok")


def test_options_are_declared_by_type_name_in_the_file(echo: PluginSite, config_file: Path) -> None:
    write(config_file, '[providers.Tuned]\nfrom = "Echo"\noptions = { temperature = "float", stop = "list[str]" }\n')
    tuned = {p.name: p for p in providerhub.list_providers()}["Tuned"]
    assert tuned.options == (("stop", "list[str]"), ("temperature", "float"))
    assert providerhub.get_provider("tuned").options == {"temperature": float, "stop": list[str]}
    write(config_file, '[providers.Tuned]\nfrom = "Echo"\noptions = { temperature = "double" }\n')
    with pytest.warns(ConfigWarning, match=r"\[providers\.Tuned\]: .*option 'temperature' has type 'double'"):
        providerhub.reload()


def test_derived_and_adjusted_providers_from_the_file(echo: PluginSite, config_file: Path) -> None:
    write(
        config_file,
        """
        [providers.Echo]
        priority = 2

        [providers.Shout]
        from = "Echo"
        models = ["echo-2", "loud-1"]
        default_model = "loud-1"
        model_aliases = { loud = "loud-1" }
        """,
    )
    records = {p.name: p for p in providerhub.list_providers()}
    assert set(records) == {"Echo", "Shout"}
    assert (records["Echo"].priority, records["Shout"].priority) == (2, 2)  # derived from the adjusted Echo
    assert records["Shout"].plugin == "echo"
    found = providerhub.resolve("loud")
    assert (found.provider.name, found.model) == ("Shout", "loud-1")
    assert "".join(map(str, providerhub.complete("shout/echo-2", MESSAGES))) == "Shout:echo-2"
    assert providerhub.get_provider("Echo").priority == 2


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('[providers.Bad]\nfrom = "Nowhere"\n', "no installed provider is named 'Nowhere'"),
        ('[providers.Bad]\nfrom = "Echo"\napi_bse = "x"\n', "unknown setting 'api_bse'"),
        ('[providers.Bad]\nfrom = "Echo"\ndefault_model = "zzz"\n', "default_model 'zzz' is not in its models"),
        ('[providers.Bad]\nfrom = "Echo"\npriority = "high"\n', "priority must be an int"),
        ("[providers.Bad]\nfrom = 3\n", "'from' must name an installed provider"),
        ("[providers]\nBad = 3\n", "must be a table"),
        (
            '[providers.Bad]\nmodels = ["x"]\n',
            "no installed provider is named 'Bad' \\(to add a new provider, give it from",
        ),
        ('[providers.ECHO]\nfrom = "Echo"\n', "a provider named 'Echo' is already registered"),
    ],
)
def test_a_bad_table_drops_only_its_provider(echo: PluginSite, config_file: Path, table: str, error: str) -> None:
    write(config_file, '[providers.Good]\nfrom = "Echo"\nmodels = ["good-1"]\ndefault_model = "good-1"\n\n' + table)
    name = table.split("]")[0].split(".")[-1] if "providers." in table else "Bad"
    with pytest.warns(ConfigWarning, match=rf"{config_file}: \[providers\.{name}\]: .*{error}"):
        names = [p.name for p in providerhub.list_providers()]
    assert names == ["Echo", "Good"]


def test_an_adjusting_table_that_fails_drops_that_provider(echo: PluginSite, config_file: Path) -> None:
    echo.add("other", provider_source("Other", ["o-1"]))
    write(config_file, '[providers.Echo]\ndefault_model = "nope"\n')
    with pytest.warns(ConfigWarning, match=r"\[providers\.Echo\]: .*default_model 'nope'"):
        assert [p.name for p in providerhub.list_providers()] == ["Other"]


def test_a_derived_provider_answers_through_the_dynaspark_standin(tmp_path: Path) -> None:
    from support.dynaspark_standin import serve_in_thread

    with serve_in_thread() as server:
        path = write(
            tmp_path / "providerhub.toml",
            f"""
            [providers.Spark]
            from = "Dynaspark"
            api_endpoint = "{server.url}"
            models = ["gemini-2.0-flash"]
            """,
        )
        mine = Hub(config=path, plugins=["dynaspark"])
        found = mine.resolve("spark")
        assert (found.provider.name, found.model, found.plugin) == ("Spark", "gemini-2.0-flash", "dynaspark")
        assert [c.provider for c in mine.resolve("gemini-2.0-flash").candidates] == ["Dynaspark", "Spark"]
        assert list(mine.complete("spark", MESSAGES)) == ["echo[gemini-2.0-flash]: Name a colour."]
        assert [r.ai_model for r in server.requests] == ["gemini-2.0-flash"]


# -- the model index with configuration ---------------------------------------------------------------


def test_config_change_is_seen_by_the_next_start_with_the_index_on(echo: PluginSite, config_file: Path) -> None:
    module = echo.modules["echo"]
    write(config_file, '[providers.First]\nfrom = "Echo"\n')
    assert [p.name for p in providerhub.list_providers()] == ["Echo", "First"]
    fresh_start()
    sys.modules.pop(module)
    assert [p.name for p in providerhub.list_providers()] == ["Echo", "First"]
    assert providerhub._default.registry().from_index and module not in sys.modules  # listed without importing
    assert providerhub.resolve("first").provider.name == "First"
    write(config_file, '[providers.Second]\nfrom = "Echo"\nmodels = ["s-1"]\ndefault_model = "s-1"\n')
    fresh_start()
    assert [p.name for p in providerhub.list_providers()] == ["Echo", "Second"]
    assert providerhub.resolve("s-1").provider.name == "Second"
    with pytest.raises(providerhub.ModelNotFoundError):
        providerhub.resolve("first")
    fresh_start()
    sys.modules.pop(module)
    assert providerhub.resolve("s-1").provider.name == "Second"  # from the index, and the same answer
    assert providerhub._default.registry().from_index
    assert [m.id for m in providerhub.list_models()] == ["echo-1", "echo-2", "s-1"]


def test_a_bad_table_is_reported_again_by_a_start_from_the_index(echo: PluginSite, config_file: Path) -> None:
    write(config_file, '[providers.Bad]\nfrom = "Nowhere"\n')
    with pytest.warns(ConfigWarning, match="Nowhere"):
        providerhub.list_providers()
    fresh_start()
    with pytest.warns(ConfigWarning, match="Nowhere"):
        assert [p.name for p in providerhub.list_providers()] == ["Echo"]
    assert providerhub._default.registry().from_index


def test_a_base_changed_in_place_makes_the_derived_record_stale(echo: PluginSite, config_file: Path) -> None:
    """The index recorded Copy with Echo's models; Echo now declares others: full discovery answers."""
    write(config_file, '[providers.Copy]\nfrom = "Echo"\n')
    providerhub.list_providers()
    module = echo.root / f"{echo.modules['echo']}.py"
    stamps = [(p, p.stat().st_mtime_ns) for p in (module, echo.root, *echo.root.glob("*.dist-info"))]
    module.write_text(provider_source("Echo", ["echo-1", "echo-3"]))
    for stale in echo.root.glob("__pycache__/*.pyc"):
        stale.unlink()
    for path, ns in stamps:
        os.utime(path, ns=(ns, ns))
    sys.modules.pop(echo.modules["echo"])
    fresh_start()
    assert providerhub._default.registry().from_index
    with pytest.raises(providerhub.ModelNotSupportedError):
        providerhub.resolve("copy/echo-3")  # the index answers what it knows, importing nothing
    assert providerhub._default.registry().from_index
    assert providerhub.resolve("copy/echo-1").provider.models == ("echo-1", "echo-3")  # the import shows it stale
    assert not providerhub._default.registry().from_index
    assert providerhub.resolve("copy/echo-3").model == "echo-3"
