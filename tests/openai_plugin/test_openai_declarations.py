"""What the plugin declares: the OpenAI provider, its presets, and their registration through the entry point."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import providerhub
from providerhub import MissingCredentialsError, ModelNotSupportedError
from providerhub_openai import HOSTED, LOCAL, PRESETS, OpenAI
from support.images import PNG
from support.openai_standin import OpenAIStandin
from support.processes import run_python

from .helpers import HELLO, collect, texts

README = Path(__file__).resolve().parents[2] / "plugins" / "openai" / "README.md"
ROW = re.compile(r"^\| `(?P<name>[a-z]+)` +\| `(?P<base>[^`]+)` +\| (?:`(?P<key>[A-Z_]+)`|none) +\|", re.MULTILINE)


def readme_table() -> dict[str, tuple[str, str | None]]:
    """The plugin README's table of providers: name -> (base URL, key variable or None)."""
    section = README.read_text(encoding="utf-8").split("## Providers\n", 1)[1].split("\n## ", 1)[0]
    return {row["name"]: (row["base"], row["key"]) for row in ROW.finditer(section)}


def test_the_readme_table_is_what_the_plugin_declares() -> None:
    """Users configure against the README's table: each provider's base URL and key variable as declared."""
    declared = {p.name: (p.api_base, p.api_key_env) for p in (OpenAI, *PRESETS)}
    assert readme_table() == declared
    assert all(urlsplit(p.api_base).scheme == "https" for p in (OpenAI, *HOSTED))
    assert all(urlsplit(p.api_base).hostname == "127.0.0.1" for p in LOCAL)


def test_chat_url_joins_the_base_and_keeps_its_query() -> None:
    assert OpenAI.chat_url() == "https://api.openai.com/v1/chat/completions"
    assert OpenAI.chat_url("http://127.0.0.1:9/v1/") == "http://127.0.0.1:9/v1/chat/completions"
    assert (
        OpenAI.chat_url("http://127.0.0.1:9/v1?api-version=2") == "http://127.0.0.1:9/v1/chat/completions?api-version=2"
    )


def test_vision_models_take_images_and_the_others_are_refused_with_them() -> None:
    assert providerhub.resolve("gpt-4o", media=[(PNG, "a.png")]).provider is OpenAI
    with pytest.raises(ModelNotSupportedError, match="'o3-mini' with image input"):
        providerhub.resolve("o3-mini", media=[(PNG, "a.png")])


def test_a_local_server_gets_longer_to_start_answering_than_a_hosted_service() -> None:
    """A local server may be loading the model when the first request comes."""
    assert min(p.first_chunk_timeout for p in LOCAL) > max(p.first_chunk_timeout for p in (OpenAI, *HOSTED))


def test_the_plugin_registers_openai_and_every_preset() -> None:
    names = {p.name for p in providerhub.list_providers() if p.plugin == "openai"}
    assert names == {"openai", *readme_table()}
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


@pytest.mark.parametrize("preset", [OpenAI, *HOSTED], ids=lambda p: p.name)
async def test_a_hosted_preset_without_its_key_fails_naming_the_variable(preset: type[OpenAI]) -> None:
    with pytest.raises(MissingCredentialsError, match=f"{preset.name} needs a key.*{preset.api_key_env}") as caught:
        async for _ in preset.create_async_generator(preset.default_model, [{"role": "user", "content": "x"}]):
            pass
    assert caught.value.provider == preset.name


@pytest.mark.parametrize("preset", HOSTED, ids=lambda p: p.name)
def test_a_hosted_preset_serves_only_its_listed_models(preset: type[OpenAI]) -> None:
    assert preset.get_model(preset.default_model) == preset.default_model
    with pytest.raises(ModelNotSupportedError, match=f"{preset.name} does not serve model 'llama3.2'"):
        preset.get_model("llama3.2")


@pytest.mark.parametrize("preset", LOCAL, ids=lambda p: p.name)
async def test_a_local_preset_answers_any_model_without_a_key(server: OpenAIStandin, preset: type[OpenAI]) -> None:
    here = preset.configure(f"{preset.name}-here", api_base=server.base)  # the same preset, on the stand-in's port
    chunks = await collect(here, "house-model:7b", HELLO)
    assert texts(chunks) and server.requests[0].model == "house-model:7b"
    assert server.requests[0].authorization is None


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
