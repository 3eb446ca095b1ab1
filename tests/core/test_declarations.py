"""Declarations: one set of rules, whoever checks a provider (discovery, configure, code, providerhub.testing)."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import providerhub
from providerhub import AsyncGeneratorProvider, Hub, PluginLoadWarning, ProviderModelMixin
from providerhub._declarations import ProviderInfo, _bad_id, describe_provider
from providerhub._records import NamedTuple
from providerhub._resolution import Resolution
from providerhub.testing import CHECKS, Transport
from support.plugins import PluginSite, provider_source


class Base(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "base-1"
    models = ("base-1", "base-2")
    model_aliases = {"short": "base-2"}

    @classmethod
    async def create_async_generator(cls, model: str, messages: Any, **kwargs: Any) -> Any:  # pragma: no cover
        yield model


def check(name: str, cls: type) -> Any:
    (found,) = [c for c in CHECKS if c.name == name]
    return found.bind(Transport()).run(cls)


BAD_SETTINGS: list[tuple[dict[str, Any], str]] = [
    ({"models": "base-1"}, "models must be a list or tuple of strings"),
    ({"default_model": "elsewhere"}, "default_model 'elsewhere' is not in its models"),
    ({"model_aliases": {"x": "nowhere"}}, "alias 'x' points to unknown model 'nowhere'"),
    ({"priority": "high"}, "priority must be an int"),
    ({"options": {"max tokens": int}}, "option name 'max tokens' is not an identifier"),
]


@pytest.mark.parametrize(("settings", "error"), BAD_SETTINGS)
def test_configure_code_registration_and_the_kit_give_one_message(settings: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match="Derived") as configured:
        Base.configure("Derived", **settings)
    assert error in str(configured.value)
    derived = type("Derived", (Base,), dict(settings))
    with pytest.raises(ValueError) as registered:
        Hub(use_index=False, plugins=()).register_provider(derived)
    result = check("check_declarations", derived)
    assert str(configured.value) == str(registered.value)
    assert result.outcome == "failed" and str(configured.value) in result.reason


def test_a_provider_table_breaking_a_rule_names_the_rule(plugin_site: PluginSite, tmp_path: Any) -> None:
    plugin_site.add("base", provider_source("Plain", ["p-1"]))
    config = tmp_path / "providerhub.toml"
    config.write_text('[providers.Plain]\nmodels = ["p 1"]\n')
    with pytest.warns(providerhub.ConfigWarning, match=r"models entry 'p 1' contains whitespace"):
        assert Hub(config=config, use_index=False, plugins="base").list_providers() == []


def test_the_kit_and_the_registry_drop_the_same_shadowing_alias() -> None:
    shadowing = type("Shadowing", (Base,), {"model_aliases": {"base-1": "base-2"}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginLoadWarning)
        hub = Hub(use_index=False, plugins=())
        hub.register_provider(shadowing)
        (record,) = hub.list_providers()
    assert record.aliases == ()
    (warned,) = [str(w.message) for w in caught if issubclass(w.category, PluginLoadWarning)]
    result = check("check_aliases_do_not_shadow_ids", shadowing)
    assert result.outcome == "failed" and warned in result.reason
    assert check("check_aliases_do_not_shadow_ids", Base).outcome == "passed"


def test_settable_names_the_declarations_configure_accepts() -> None:
    from providerhub.providers import settable

    names = settable(Base)
    assert {"models", "model_aliases", "default_model", "api_key_env", "options"} <= names
    assert not names & {"name", "configure", "create_async_generator", "get_model"}
    with pytest.raises(ValueError, match=r"unknown setting 'get_model'; the settings are: .*models"):
        Base.configure("Derived", get_model=None)


# -- discovery imports plugins on one thread, and a slow one holds up none of the others ----------


THREADS = """
import json, sys, threading, warnings
warnings.simplefilter("ignore")
import providerhub
names = [providerhub.get_provider(f"m-{i}").__name__ for i in range(4)]
idents = {sys.modules[m].IMPORTED_ON for m in sys.modules if m.startswith("ph_test_")}
print(json.dumps({"names": names, "threads": len(idents), "main": threading.get_ident() in idents}))
"""

SLOW_FIRST = """
import json, time, warnings
import providerhub
started = time.monotonic()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    names = [providerhub.get_provider(f"m-{i}").__name__ for i in range(3)]
print(json.dumps({"names": names, "seconds": time.monotonic() - started,
                  "warnings": [str(w.message) for w in caught]}))
"""


def _run(code: str, site: PluginSite, **env: str) -> dict[str, Any]:
    full_env = {**os.environ, "PYTHONPATH": str(site.root), "PROVIDERHUB_NO_CACHE": "1", **env}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=full_env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_plugins_are_imported_one_after_another_on_one_thread(plugin_site: PluginSite) -> None:
    marker = "import threading\nIMPORTED_ON = threading.get_ident()\n"
    for i in range(4):
        plugin_site.add(f"p{i}", marker + provider_source(f"P{i}", [f"m-{i}"]))
    assert _run(THREADS, plugin_site) == {"names": ["P0", "P1", "P2", "P3"], "threads": 1, "main": False}


def test_a_slow_import_holds_up_only_itself(plugin_site: PluginSite) -> None:
    plugin_site.add("a-slow", "import time\ntime.sleep(30)\n" + provider_source("Slow", ["slow-1"]))
    for i in range(3):
        plugin_site.add(f"p{i}", provider_source(f"P{i}", [f"m-{i}"]))
    result = _run(SLOW_FIRST, plugin_site, PROVIDERHUB_PLUGIN_TIMEOUT="0.5")
    assert result["names"] == ["P0", "P1", "P2"]
    assert result["seconds"] < 10
    (warned,) = result["warnings"]
    assert "plugin 'a-slow': importing" in warned and "took longer than 0.5 s" in warned


ID_CHARACTERS = st.characters(codec="utf-8") | st.sampled_from(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\x00\x7f\x9f"
)


@given(st.text(ID_CHARACTERS, max_size=12))
def test_an_id_is_refused_exactly_where_the_pattern_finds_whitespace_or_a_control_character(text: str) -> None:
    """The check is plain string methods (a start need not import ``re``); the rule is the pattern's."""
    assert _bad_id(text) is bool(re.search(r"[\s\x00-\x1f\x7f-\x9f]", text))


def test_records_are_named_tuples_that_pickle_and_keep_their_shape() -> None:
    record = describe_provider(Base, "plugin")
    assert isinstance(record, tuple) and type(record).__bases__ == (tuple,)
    assert pickle.loads(pickle.dumps(record)) == record and type(pickle.loads(pickle.dumps(record))) is ProviderInfo
    assert (
        ProviderInfo._fields[:3] == ("name", "plugin", "models") and ProviderInfo._field_defaults["any_model"] is False
    )
    assert record._replace(priority=5).priority == 5 and record._asdict()["name"] == "Base"
    assert ProviderInfo._make(record) == record and ProviderInfo.__doc__.startswith("What a provider declares")
    assert repr(record).startswith("ProviderInfo(name='Base', plugin='plugin', models=(")
    assert Resolution.__module__ == "providerhub._resolution" and Resolution.__qualname__ == "Resolution"
    with pytest.raises(TypeError, match="Non-default namedtuple field b cannot follow default field a"):

        class Bad(NamedTuple):
            a: int = 0
            b: int
