"""Provider identity: ``name`` everywhere, clashes, ``any_model`` pass-through, and ``get_model`` accepting
every form that resolves to its provider."""

from __future__ import annotations

import asyncio

import pytest

import providerhub
from providerhub import ModelNotSupportedError, PluginLoadWarning, ProviderNotWorkingError
from support.plugins import IN_REPO_PLUGINS, PluginSite, provider_source


def answer(model: str) -> str:
    """What ``get_provider(model).create_async_generator(model, ...)`` says: the direct, g4f-style call."""

    async def run() -> str:
        provider = providerhub.get_provider(model)
        chunks = [c async for c in provider.create_async_generator(model, [{"role": "user", "content": "hi"}])]
        return "".join(map(str, chunks))

    return asyncio.run(run())


@pytest.fixture
def compat(plugin_site: PluginSite) -> PluginSite:
    """Two plugins, each with a class called ``OpenAICompat``, named ``Groq`` and ``Ollama`` (any model)."""
    plugin_site.add(
        "groq",
        provider_source("OpenAICompat", ["llama-3.1-8b", "shared"], aliases={"llama": "llama-3.1-8b"}, name="Groq"),
    )
    plugin_site.add(
        "ollama",
        provider_source("OpenAICompat", ["qwen2", "shared"], priority=3, name="Ollama", any_model=True),
    )
    return plugin_site


def test_equal_class_names_with_different_names_both_register(compat: PluginSite) -> None:
    assert [(p.name, p.plugin) for p in providerhub.list_providers()] == [("Groq", "groq"), ("Ollama", "ollama")]
    assert [(p.name, p.providers, p.error) for p in providerhub.list_plugins()] == [
        ("groq", ("Groq",), None),
        ("ollama", ("Ollama",), None),
    ]
    assert [(m.id, m.provider) for m in providerhub.list_models() if m.id == "shared"] == [
        ("shared", "Ollama"),
        ("shared", "Groq"),
    ]
    groq = providerhub.get_provider("groq/shared")
    assert (groq.__name__, groq.name) == ("OpenAICompat", "Groq")
    assert [c.provider for c in providerhub.resolve("shared").candidates] == ["Ollama", "Groq"]
    assert providerhub.resolve("ollama").candidates[0].provider == "Ollama"


def test_prefer_and_errors_speak_names(compat: PluginSite) -> None:
    hub = providerhub.Hub(prefer=["groq"], disable_plugins=IN_REPO_PLUGINS.split(","))
    assert [c.provider for c in hub.resolve("shared").candidates] == ["Groq", "Ollama"]
    with pytest.raises(ModelNotSupportedError, match="provider Groq has no model 'qwen2'"):
        hub.resolve("Groq/qwen2")


def test_name_clash_drops_only_the_later_provider(plugin_site: PluginSite) -> None:
    first = provider_source("First", ["f-1"], name="Shared")
    classes = [
        provider_source(*spec, **named).split("\n@hookimpl")[0]
        for spec, named in (
            (("Second", ["s-1"]), {"name": "SHARED"}),
            (("Kept", ["k-1"]), {}),
        )
    ]
    second = "\n".join(classes) + "\n@hookimpl\ndef register_providers():\n    return [Second, Kept]\n"
    plugin_site.add("a", first)
    plugin_site.add("b", second)
    with pytest.warns(PluginLoadWarning, match="provider name 'SHARED' is already registered by plugin 'a'"):
        plugins = providerhub.list_plugins()
    assert [(p.name, p.providers) for p in plugins] == [("a", ("Shared",)), ("b", ("Kept",))]
    assert "SHARED" in (plugins[1].error or "")
    assert providerhub.get_provider("k-1").name == "Kept"
    assert providerhub.get_provider("shared").name == "Shared"
    with pytest.raises(providerhub.ModelNotFoundError):
        providerhub.resolve("s-1")


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("", "a provider class has an empty name"),
        ("a/b", r"provider name 'a/b' contains '/' or ','"),
        ("a,b", r"provider name 'a,b' contains '/' or ','"),
        (" padded", "provider name ' padded' contains whitespace"),
        (3, "provider class Odd: name must be a string, not int 3"),
    ],
)
def test_a_name_that_cannot_be_a_prefix_is_refused(bad: object, error: str) -> None:
    class Odd(providerhub.AsyncGeneratorProvider):
        default_model = "m"

        @classmethod
        async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
            yield ""

    Odd.name = bad  # type: ignore[assignment]
    with pytest.raises(ValueError, match=error):
        providerhub.register_provider(Odd)


def test_any_model_passes_any_id_after_its_prefix(compat: PluginSite) -> None:
    found = providerhub.resolve("ollama/llama3.2:1b")
    assert (found.provider.name, found.model, found.match) == ("Ollama", "llama3.2:1b", "prefix")
    assert providerhub.resolve("Ollama/qwen2").model == "qwen2"  # declared models still resolve
    assert providerhub.resolve("Ollama/QWEN2").model == "qwen2"
    assert providerhub.resolve("Ollama/").model == "qwen2"
    assert [m.id for m in providerhub.list_models() if m.provider == "Ollama"] == ["qwen2", "shared"]
    with pytest.raises(providerhub.ModelNotFoundError):
        providerhub.resolve("llama3.2:1b")  # without the prefix, only declared names match
    with pytest.raises(ModelNotSupportedError, match="provider Groq has no model 'llama3.2:1b'"):
        providerhub.resolve("groq/llama3.2:1b")  # a provider without any_model keeps its list
    # with an image, a passed-through id is the provider's to judge
    assert providerhub.resolve("ollama/llava", media=[(b"GIF89a....", "x.gif")]).model == "llava"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("llama-3.1-8b", "Groq:llama-3.1-8b"),  # exact id
        ("llama", "Groq:llama-3.1-8b"),  # alias
        ("LLAMA-3.1-8B", "Groq:llama-3.1-8b"),  # unique case-insensitive match
        ("groq/llama", "Groq:llama-3.1-8b"),  # <name>/<alias>
        ("GROQ/shared", "Groq:shared"),  # <name>/<id>, any case
        ("Groq", "Groq:llama-3.1-8b"),  # the provider's own name
        ("groq/", "Groq:llama-3.1-8b"),
        ("ollama/anything:7b", "Ollama:anything:7b"),  # any_model pass-through
        ("ollama", "Ollama:qwen2"),
        ("shared", "Ollama:shared"),
    ],
)
def test_get_model_accepts_every_form_that_resolves_to_the_provider(
    compat: PluginSite, requested: str, expected: str
) -> None:
    provider = providerhub.get_provider(requested)
    assert provider.get_model(requested) == providerhub.resolve(requested).model  # type: ignore[attr-defined]
    assert answer(requested) == expected


def test_get_model_still_refuses_what_does_not_resolve_to_it(compat: PluginSite) -> None:
    groq = providerhub.get_provider("Groq")
    for other in ("qwen2", "ollama/qwen2", "Ollama", "nothing"):
        with pytest.raises(ModelNotSupportedError, match=f"Groq does not serve model '{other}'"):
            groq.get_model(other)  # type: ignore[attr-defined]


def test_not_working_error_names_providers(plugin_site: PluginSite) -> None:
    plugin_site.add("down", provider_source("Impl", ["d-1"], working=False, name="Down"))
    with pytest.raises(ProviderNotWorkingError, match="served only by providers marked not working: Down"):
        providerhub.resolve("d-1")


def test_declarations_are_plain_data_in_records_and_in_the_index(plugin_site: PluginSite) -> None:
    body = "options = {'temperature': float, 'stop': list[str], 'n': int}"
    plugin_site.add(
        "opt", provider_source("Impl", ["o-1"], body=body, name="Opt", api_key_env="OPT_KEY", any_model=True)
    )
    (record,) = providerhub.list_providers()
    expected = ("Opt", True, "OPT_KEY", (("n", "int"), ("stop", "list[str]"), ("temperature", "float")))
    assert (record.name, record.any_model, record.api_key_env, record.options) == expected
    providerhub._default._default = None
    assert providerhub.list_providers() == [record]
    assert providerhub._default.registry().from_index


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("options = {'temperature': complex}", "option 'temperature' has type"),
        ("options = {'not an identifier': int}", "option name 'not an identifier' is not an identifier"),
        ("options = [('n', int)]", "options must be a mapping"),
        ("api_key_env = ''", "api_key_env must be a variable name or None"),
    ],
)
def test_bad_declarations_leave_out_only_that_provider(plugin_site: PluginSite, line: str, error: str) -> None:
    plugin_site.add("bad", provider_source("Bad", ["b-1"], body=line))
    plugin_site.add("good", provider_source("Good", ["g-1"]))
    with pytest.warns(PluginLoadWarning, match=error):
        assert [p.name for p in providerhub.list_providers()] == ["Good"]
