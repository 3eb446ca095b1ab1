"""What the plugin declares: the OpenAI provider, its presets, and their registration through the entry point."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

import providerhub
from providerhub import MissingCredentialsError, ModelNotSupportedError
from providerhub._registry import describe_provider
from providerhub_openai import HOSTED, LOCAL, PRESETS, OpenAI
from support.processes import run_python

HOSTED_SERVICES = {
    "groq": ("https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "deepseek": ("https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "mistral": ("https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    "together": ("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
}
LOCAL_PORTS = {"ollama": 11434, "lmstudio": 1234, "vllm": 8000, "llamacpp": 8080}


def test_openai_declarations() -> None:
    assert OpenAI.name == "openai"
    assert OpenAI.api_base == "https://api.openai.com/v1"
    assert OpenAI.api_key_env == "OPENAI_API_KEY"
    assert OpenAI.needs_auth is True
    assert OpenAI.supports_system_message is True
    assert OpenAI.supports_message_history is True
    assert OpenAI.supports_stream is True
    assert dict(OpenAI.options) == {
        "temperature": float,
        "top_p": float,
        "max_tokens": int,
        "stop": list[str],
        "seed": int,
        "presence_penalty": float,
        "frequency_penalty": float,
    }
    assert {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"} <= set(OpenAI.models)
    assert "gpt-4o" in OpenAI.vision_models and "o3-mini" not in OpenAI.vision_models
    assert OpenAI.chat_url() == "https://api.openai.com/v1/chat/completions"
    assert OpenAI.chat_url("http://127.0.0.1:9/v1/") == "http://127.0.0.1:9/v1/chat/completions"
    assert (
        OpenAI.chat_url("http://127.0.0.1:9/v1?api-version=2") == "http://127.0.0.1:9/v1/chat/completions?api-version=2"
    )


def test_presets_are_derived_providers_with_their_services() -> None:
    assert [p.name for p in HOSTED] == list(HOSTED_SERVICES)
    assert [p.name for p in LOCAL] == list(LOCAL_PORTS)
    for preset in PRESETS:
        assert issubclass(preset, OpenAI) and preset is not OpenAI
        describe_provider(preset, "openai")  # valid as a registered provider
        assert preset.default_model in preset.models
        assert preset.max_tokens_field == "max_tokens"
    for preset in HOSTED:
        assert (preset.api_base, preset.api_key_env) == HOSTED_SERVICES[preset.name]
        assert preset.needs_auth is True and preset.any_model is False
        assert urlsplit(preset.api_base).scheme == "https"
    for preset in LOCAL:
        parts = urlsplit(preset.api_base)
        where = (parts.scheme, parts.hostname, parts.port, parts.path)
        assert where == ("http", "127.0.0.1", LOCAL_PORTS[preset.name], "/v1")
        assert preset.needs_auth is False and preset.api_key_env is None and preset.any_model is True
        assert preset.first_chunk_timeout == 300  # a local server may be loading the model
    assert {p.first_chunk_timeout for p in (OpenAI, *HOSTED)} == {120}


def test_the_plugin_registers_openai_and_every_preset() -> None:
    names = {p.name for p in providerhub.list_providers() if p.plugin == "openai"}
    assert names == {"openai", *HOSTED_SERVICES, *LOCAL_PORTS}
    (plugin,) = [p for p in providerhub.list_plugins() if p.name == "openai"]
    assert (plugin.distribution, plugin.error, plugin.value) == ("providerhub-openai", None, "providerhub_openai")
    assert providerhub.get_provider("gpt-4o") is OpenAI
    assert providerhub.get_provider("groq/llama-3.1-8b-instant").name == "groq"
    listed = {p.name: p for p in providerhub.list_providers()}
    assert listed["groq"].needs_auth and not listed["ollama"].needs_auth


def test_resolution_does_not_import_aiohttp() -> None:
    code = (
        "import sys, providerhub\n"
        "p = providerhub.get_provider('groq/llama-3.3-70b-versatile')\n"
        "assert p.name == 'groq', p\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aiohttp', 'providerhub_openai.client'))))"
    )
    out = run_python(code)
    assert (out.stdout.strip(), out.returncode) == ("[]", 0), out.stderr


@pytest.mark.parametrize("preset", HOSTED, ids=lambda p: p.name)
async def test_a_hosted_preset_without_its_key_fails_naming_the_variable(preset: type[OpenAI]) -> None:
    with pytest.raises(MissingCredentialsError, match=f"{preset.name} needs a key.*{preset.api_key_env}") as caught:
        async for _ in preset.create_async_generator(preset.default_model, [{"role": "user", "content": "x"}]):
            pass
    assert caught.value.provider == preset.name


def test_any_model_passes_the_name_through_only_where_declared() -> None:
    ollama = next(p for p in LOCAL if p.name == "ollama")
    assert ollama.get_model("llama3.2") == "llama3.2"
    assert ollama.get_model("qwen2.5-coder:7b") == "qwen2.5-coder:7b"
    assert ollama.get_model("ollama/mistral-nemo") == "mistral-nemo"
    assert ollama.get_model(None) == "llama3.2"
    with pytest.raises(ModelNotSupportedError, match="openai does not serve model 'llama3.2'"):
        OpenAI.get_model("llama3.2")


def test_configure_keeps_the_wire_settings_and_checks_unknown_ones() -> None:
    derived = OpenAI.configure("elsewhere", api_base="http://127.0.0.1:1/v1", stream_usage=False, first_chunk_timeout=5)
    assert (derived.name, derived.api_base, derived.stream_usage, derived.first_chunk_timeout) == (
        "elsewhere",
        "http://127.0.0.1:1/v1",
        False,
        5,
    )
    assert derived.api_key_env == "OPENAI_API_KEY" and derived.options == OpenAI.options
    with pytest.raises(ValueError, match="unknown setting 'api_bsae'"):
        OpenAI.configure("typo", api_bsae="http://127.0.0.1:1/v1")


def test_configure_with_models_alone_drops_declarations_naming_other_models() -> None:
    mine = OpenAI.configure("mine", api_base="http://127.0.0.1:1/v1", models=["house-7b", "house-vl"])
    assert (mine.default_model, mine.default_vision_model, tuple(mine.vision_models), dict(mine.model_aliases)) == (
        "house-7b",
        None,
        (),
        {},
    )
    kept = OpenAI.configure("kept", models=["gpt-4o", "house-7b"], vision_models=["gpt-4o"])
    assert (kept.default_model, tuple(kept.vision_models), dict(kept.model_aliases)) == (
        "gpt-4o",
        ("gpt-4o",),
        {"4o": "gpt-4o"},
    )
    assert kept.default_vision_model is None
