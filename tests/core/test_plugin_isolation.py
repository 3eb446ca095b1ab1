"""A bad plugin, however it is bad, is reported and left out; every other plugin keeps working."""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import providerhub
from providerhub import PluginLoadError, PluginLoadWarning
from providerhub import _default as hub
from support.plugins import PluginSite, provider_source
from support.processes import run_python

GOOD = provider_source("Good", ["good-1"])
HOOK = "from providerhub import hookimpl\n{classes}\n\n@hookimpl\ndef register_providers():\n{body}\n"


def hook_source(body: str, classes: str = "") -> str:
    """A plugin module whose hook runs ``body`` (indented here); ``classes`` is module-level source."""
    return HOOK.format(classes=textwrap.dedent(classes), body=textwrap.indent(textwrap.dedent(body), "    "))


GOOD_CLASS = provider_source("Inner", ["inner-1"]).split("@hookimpl")[0]


def errors() -> dict[str, str | None]:
    return {p.name: p.error for p in providerhub.list_plugins()}


def assert_good_still_served() -> None:
    assert providerhub.get_provider("good-1").__name__ == "Good"
    assert errors()["good"] is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("raise SystemExit(3)\n", r"'bad' failed to import .*SystemExit: 3"),
        (hook_source("raise SystemExit('bye')"), r"'bad': register_providers\(\) raised SystemExit: bye"),
        (
            hook_source("yield Inner\nraise RuntimeError('halfway')", GOOD_CLASS),
            r"'bad': what register_providers\(\) returned raised RuntimeError: halfway",
        ),
        (
            hook_source("class Endless:\n    def __iter__(self):\n        raise OSError('no')\nreturn Endless()"),
            r"'bad': what register_providers\(\) returned raised OSError: no",
        ),
        (
            hook_source(
                "return [Weird]",
                GOOD_CLASS
                + "\nclass Meta(type(Inner)):\n    @property\n    def models(cls):\n        raise LookupError('gone')\n"
                + "\nWeird = Meta('Weird', (Inner,), {})\n",
            ),
            r"'bad': reading provider Weird raised LookupError: gone",
        ),
        ("plugin = None\n", r"'bad': entry point '.*:plugin' is None"),
    ],
    ids=["import-systemexit", "hook-systemexit", "generator-halfway", "iter-raises", "declaration-raises", "none"],
)
def test_any_fault_is_reported_and_isolated(plugin_site: PluginSite, source: str, message: str) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("bad", source, attr="plugin" if "plugin = None" in source else None)
    with pytest.warns(PluginLoadWarning, match=message):
        providerhub.reload()
    assert_good_still_served()
    bad = next(p for p in providerhub.list_plugins() if p.name == "bad")
    assert bad.providers == ()
    assert bad.error is not None and "\n" not in bad.error


def test_strict_mode_raises_for_a_generator_that_fails(
    plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin_site.add("bad", hook_source("yield Inner\nraise RuntimeError('halfway')", GOOD_CLASS))
    monkeypatch.setenv("PROVIDERHUB_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="halfway") as info:
        providerhub.reload()
    assert info.value.plugin == "bad"


def test_keyboard_interrupt_at_import_propagates(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("interrupted", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        providerhub.reload()


def test_endless_hook_result_is_reported_not_consumed(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("endless", hook_source("while True:\n    yield Inner", GOOD_CLASS))
    started = time.monotonic()
    with pytest.warns(PluginLoadWarning, match=r"'endless': register_providers\(\) returned more than 10000 providers"):
        providerhub.reload()
    assert time.monotonic() - started < 20
    assert_good_still_served()
    assert [p.name for p in providerhub.list_providers()] == ["Good"]


INVALID = [
    ("models = 'abc'", "models must be a list or tuple of strings, not str 'abc'"),
    ("vision_models = 'good-1'", "vision_models must be a list or tuple of strings, not str"),
    ("models = ['bad-1', 7]", "models entry must be a non-empty string, not int 7"),
    ("models = ['bad-1', '']", "models entry must be a non-empty string"),
    ("model_aliases = [('a', 'bad-1')]", "model_aliases must be a mapping of strings, not list"),
    ("model_aliases = {'a': 3}", "alias 'a' must point to a string, not int 3"),
    ("model_aliases = {5: 'bad-1'}", "alias must be a non-empty string, not int 5"),
    ("priority = True", "priority must be an int, not bool True"),
    ("priority = '1'", "priority must be an int, not str '1'"),
    ("url = 3", "url must be a string or None, not int 3"),
    ("label = b'x'", "label must be a string or None, not bytes"),
    ("default_model = None", "default_model must be a string, not NoneType None"),
    ("default_vision_model = 1", "default_vision_model must be a string or None, not int 1"),
    ("models = ['bad 1']\ndefault_model = 'bad 1'", r"Bad: models entry 'bad 1' contains whitespace"),
    ("models = ['bad-1', 'x\\x1b[31m']", r"Bad: models entry 'x\\x1b\[31m' contains whitespace or a control"),
    ("model_aliases = {'al\\tias': 'bad-1'}", r"Bad: alias 'al\\tias' contains whitespace"),
]


@pytest.mark.parametrize(
    ("body", "message"), INVALID, ids=[b.split("=")[0].strip() + str(i) for i, (b, _) in enumerate(INVALID)]
)
def test_declarations_are_checked_by_type(plugin_site: PluginSite, body: str, message: str) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("bad", provider_source("Bad", ["bad-1"], body=body))
    with pytest.warns(PluginLoadWarning, match=message):
        providerhub.reload()
    assert_good_still_served()
    assert [p.name for p in providerhub.list_providers()] == ["Good"]


def test_provider_names_are_checked(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add(
        "bad",
        hook_source(
            "return [type('', (Inner,), {}), type('Two Words', (Inner,), {})]",
            GOOD_CLASS,
        ),
    )
    with pytest.warns(PluginLoadWarning) as caught:
        providerhub.reload()
    (message,) = [str(w.message) for w in caught]
    assert "a provider class has an empty name" in message
    assert "provider name 'Two Words' contains whitespace" in message
    assert_good_still_served()


def test_enum_members_are_stored_as_plain_values(plugin_site: PluginSite) -> None:
    body = """
    import enum
    class M(str, enum.Enum):
        ONE = "enum-1"
        TWO = "enum-2"
        SHORT = "two"
    class P(enum.IntEnum):
        HIGH = 7
    models = [M.ONE, M.TWO]
    default_model = M.ONE
    model_aliases = {M.SHORT: M.TWO}
    priority = P.HIGH
    """
    plugin_site.add("enums", provider_source("Enums", ["enum-1"], body=body))
    assert providerhub.get_provider("two").__name__ == "Enums"
    (record,) = providerhub.list_providers()
    assert [type(m) for m in (*record.models, record.default_model, *record.aliases[0])] == [str] * 5
    assert record.models == ("enum-1", "enum-2") and type(record.priority) is int and record.priority == 7
    hub._default = None  # a new start reads what was written
    assert providerhub.get_provider("enum-1").__name__ == "Enums"
    assert hub.registry().from_index


def test_malformed_entry_points_skip_only_their_distribution(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add_dist("ph-no-equals", b"[providerhub]\nnoequals\n")
    plugin_site.add_dist("ph-bad-encoding", b"[console_scripts]\n\xff\xfe = x:y\n")
    plugin_site.add_dist("ph-half-written", b"[providerhub]\nhalf = ph_nowhere\n[provid")
    with pytest.warns(PluginLoadWarning) as caught:
        assert providerhub.get_provider("good-1").__name__ == "Good"
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3, messages
    for message, dist in zip(messages, ["bad_encoding", "half_written", "no_equals"], strict=True):
        assert f"ph_{dist}-1.0.dist-info is skipped: its metadata cannot be read" in message
    assert [p.name for p in providerhub.list_plugins()] == ["good"]
    hub._default = None  # a new start: the index serves the rest
    with pytest.warns(PluginLoadWarning, match="is skipped"):
        assert providerhub.get_provider("good-1").__name__ == "Good"
    assert hub.registry().from_index


def test_two_distributions_declaring_one_name(plugin_site: PluginSite) -> None:
    module = plugin_site.add("twice", provider_source("Twice", ["twice-1"]), dist="ph-a")
    plugin_site.add("good", GOOD)
    plugin_site.add_dist("ph-b", f"[providerhub]\ntwice = {module}\n".encode())
    with pytest.warns(PluginLoadWarning) as caught:
        assert providerhub.get_provider("twice-1").__name__ == "Twice"
    (message,) = [str(w.message) for w in caught]
    assert (
        message == "plugin 'twice' is declared by distributions 'ph-a' and 'ph-b'; only the one from 'ph-a' is loaded"
    )
    assert_good_still_served()
    hub._default = None
    with pytest.warns(PluginLoadWarning, match="'twice' is declared by distributions 'ph-a' and 'ph-b'"):
        assert providerhub.get_provider("twice-1").__name__ == "Twice"
    assert hub.registry().from_index


SLOW_IMPORT = """
import json, sys, time, warnings
warnings.simplefilter("always")
import providerhub
started = time.monotonic()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    served = providerhub.get_provider("good-1").__name__
    first = time.monotonic() - started
    providerhub.reload()
print(json.dumps({"served": served, "first": first, "total": time.monotonic() - started,
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_slow_import_is_reported_and_left_out(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("slow", "import time\ntime.sleep(30)\n" + provider_source("Slow", ["slow-1"]))
    env = {**os.environ, "PYTHONPATH": str(plugin_site.root), "PROVIDERHUB_PLUGIN_TIMEOUT": "0.5"}
    out = run_python(SLOW_IMPORT, env=env, timeout=25)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["served"] == "Good"
    assert result["first"] < 10 and result["total"] < 12
    first, again = result["warnings"]
    assert "plugin 'slow': importing" in first and "took longer than 0.5 s (PROVIDERHUB_PLUGIN_TIMEOUT)" in first
    assert "plugin 'slow': importing" in again and "is still running after 0.5 s" in again


def test_bad_timeout_value_is_named(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    env = {**os.environ, "PYTHONPATH": str(plugin_site.root), "PROVIDERHUB_PLUGIN_TIMEOUT": "soon"}
    code = "import providerhub, warnings\nwarnings.simplefilter('always')\n"
    code += "print(providerhub.get_provider('good-1').__name__)"
    out = run_python(code, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Good"
    assert "PROVIDERHUB_PLUGIN_TIMEOUT='soon' is not a positive number of seconds; using 20" in out.stderr


@given(st.lists(st.text(max_size=5), max_size=60), st.integers(min_value=1, max_value=30))
def test_name_lists_are_bounded(names: list[str], limit: int) -> None:
    from providerhub.errors import name_list

    text = name_list(names, limit, sep="|")
    shown = min(len(names), limit)
    more = len(names) - shown
    expected = "|".join(names[:shown]) + (f" and {more} more" if more else "")
    assert text == expected


@given(st.text(max_size=300), st.integers(min_value=1, max_value=150))
def test_quoted_names_are_bounded(text: str, limit: int) -> None:
    from providerhub.errors import quoted

    shown = quoted(text, limit)
    if len(text) <= limit:
        assert shown == repr(text)
    else:
        assert shown == f"{text[:limit]!r}... ({len(text):,} characters)"
        assert len(shown) <= len(repr(text[:limit])) + 30


def test_messages_listing_models_show_twenty_and_count_the_rest(plugin_site: PluginSite) -> None:
    from providerhub.errors import MAX_LISTED

    models = [f"m-{i:02d}" for i in range(35)]
    plugin_site.add("big", provider_source("Big", models))
    with pytest.raises(providerhub.ModelNotSupportedError) as info:
        providerhub.get_provider("Big/nope")
    message = str(info.value)
    assert message.endswith(f"its models are: {', '.join(models[:MAX_LISTED])} and {35 - MAX_LISTED} more")
    assert "m-20" not in message


def test_list_models_is_linear(plugin_site: PluginSite) -> None:
    from providerhub import AsyncGeneratorProvider, ProviderModelMixin

    count = 20_000
    ids = [f"m-{i}" for i in range(count)]

    class Big(AsyncGeneratorProvider, ProviderModelMixin):
        default_model = ids[0]
        models = ids
        vision_models = ids
        model_aliases = {f"a-{i}": f"m-{i}" for i in range(count)}

        @classmethod
        async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
            yield "x"

    providerhub.register_provider(Big)
    started = time.monotonic()
    rows = providerhub.list_models()
    elapsed = time.monotonic() - started
    assert len(rows) == count and rows[0].aliases == ("a-0",) and rows[0].vision
    assert elapsed < 2.0, f"list_models took {elapsed:.1f} s for {count} models"  # quadratic: about 8 s


@pytest.mark.parametrize("call", ["resolve", "get_provider", "get_providers"])
@pytest.mark.parametrize("model", [3, b"good-1", ["good-1"]])
def test_non_string_model_name_is_a_type_error(plugin_site: PluginSite, call: str, model: object) -> None:
    plugin_site.add("good", GOOD)
    with pytest.raises(TypeError, match=f"a model name must be a string or None, not {type(model).__name__}$"):
        getattr(providerhub, call)(model)


def test_unknown_default_model_names_the_variable(plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_site.add("good", GOOD)
    monkeypatch.setenv("PROVIDERHUB_DEFAULT_MODEL", "good-2")
    with pytest.raises(providerhub.ModelNotFoundError, match=r"^PROVIDERHUB_DEFAULT_MODEL='good-2': .*'good-1'"):
        providerhub.get_provider()
    assert providerhub.get_provider("good-1").__name__ == "Good"


def test_plugin_using_the_registry_at_import_fails_at_once(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("eager", "import providerhub\nproviderhub.list_providers()\n" + provider_source("Eager", ["e-1"]))
    started = time.monotonic()
    with pytest.warns(
        PluginLoadWarning, match="'eager' failed to import .*uses the registry while it is being imported"
    ):
        assert providerhub.get_provider("good-1").__name__ == "Good"
    assert time.monotonic() - started < 5


def test_strict_mode_raises_for_a_malformed_distribution(
    plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add_dist("ph-no-equals", b"[providerhub]\nnoequals\n")
    monkeypatch.setenv("PROVIDERHUB_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match=r"^distribution .*ph_no_equals-1.0.dist-info is skipped"):
        providerhub.reload()
