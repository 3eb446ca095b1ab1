"""Well-known OpenAI-compatible services, hosted and local, as providers derived from ``OpenAI``.

Each is ``OpenAI.configure(name, ...)`` with the service's documented base URL and key variable.
The local servers listen on their default loopback ports, need no key (one found in
``api_key_env`` is still sent) and take any model name: ``ollama/llama3.2`` asks Ollama for
``llama3.2`` whether or not it is listed here. A ``[providers.NAME]`` table in
``providerhub.toml`` points any of them elsewhere.
"""

from __future__ import annotations

from .provider import OpenAI

TYPE_CHECKING = False  # not typing's: see provider.py
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HOSTED", "LOCAL", "PRESETS"]

# Services other than OpenAI take ``max_tokens``; most send usage when asked with ``stream_options``.
_COMPATIBLE = {"max_tokens_field": "max_tokens"}

HOSTED = (
    OpenAI.configure(
        "groq",
        label="Groq",
        url="https://console.groq.com",
        login_url="https://console.groq.com/keys",
        api_base="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        default_model="llama-3.3-70b-versatile",
        default_vision_model="meta-llama/llama-4-scout-17b-16e-instruct",
        models=[
            "llama-3.3-70b-versatile",
            "llama-3.1-8b-instant",
            "meta-llama/llama-4-scout-17b-16e-instruct",
            "meta-llama/llama-4-maverick-17b-128e-instruct",
            "gemma2-9b-it",
        ],
        vision_models=["meta-llama/llama-4-scout-17b-16e-instruct", "meta-llama/llama-4-maverick-17b-128e-instruct"],
        model_aliases={},
        **_COMPATIBLE,
    ),
    OpenAI.configure(
        "openrouter",
        label="OpenRouter",
        url="https://openrouter.ai",
        login_url="https://openrouter.ai/settings/keys",
        api_base="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        default_model="meta-llama/llama-3.3-70b-instruct",
        default_vision_model="google/gemini-2.0-flash-001",
        models=[
            "meta-llama/llama-3.3-70b-instruct",
            "anthropic/claude-3.5-sonnet",
            "google/gemini-2.0-flash-001",
            "mistralai/mistral-small-3.1-24b-instruct",
            "qwen/qwen-2.5-72b-instruct",
        ],
        vision_models=["anthropic/claude-3.5-sonnet", "google/gemini-2.0-flash-001"],
        model_aliases={},
        **_COMPATIBLE,
    ),
    OpenAI.configure(
        "deepseek",
        label="DeepSeek",
        url="https://platform.deepseek.com",
        login_url="https://platform.deepseek.com/api_keys",
        api_base="https://api.deepseek.com",
        api_key_env="DEEPSEEK_API_KEY",
        default_model="deepseek-chat",
        default_vision_model=None,
        models=["deepseek-chat", "deepseek-reasoner"],
        vision_models=[],
        model_aliases={},
        **_COMPATIBLE,
    ),
    OpenAI.configure(
        "mistral",
        label="Mistral AI",
        url="https://console.mistral.ai",
        login_url="https://console.mistral.ai/api-keys",
        api_base="https://api.mistral.ai/v1",
        api_key_env="MISTRAL_API_KEY",
        default_model="mistral-small-latest",
        default_vision_model="pixtral-large-latest",
        models=[
            "mistral-small-latest",
            "mistral-medium-latest",
            "mistral-large-latest",
            "pixtral-large-latest",
            "codestral-latest",
            "ministral-8b-latest",
        ],
        vision_models=["mistral-small-latest", "mistral-medium-latest", "pixtral-large-latest"],
        model_aliases={},
        # Mistral refuses fields it does not know (it sends usage unasked) and calls the seed random_seed.
        stream_usage=False,
        options={name: kind for name, kind in OpenAI.options.items() if name != "seed"},
        **_COMPATIBLE,
    ),
    OpenAI.configure(
        "together",
        label="Together AI",
        url="https://www.together.ai",
        login_url="https://api.together.xyz/settings/api-keys",
        api_base="https://api.together.xyz/v1",
        api_key_env="TOGETHER_API_KEY",
        default_model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
        default_vision_model="meta-llama/Llama-3.2-90B-Vision-Instruct-Turbo",
        models=[
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "meta-llama/Llama-3.2-90B-Vision-Instruct-Turbo",
            "deepseek-ai/DeepSeek-V3",
            "Qwen/Qwen2.5-72B-Instruct-Turbo",
        ],
        vision_models=["meta-llama/Llama-3.2-90B-Vision-Instruct-Turbo"],
        model_aliases={},
        **_COMPATIBLE,
    ),
)
"""Hosted services: each needs a key, read from the service's usual variable."""

# Local servers: no key, whatever model the user pulled or loaded, and more patience for a first
# answer (a server loads the model into memory on its first request).
_LOCAL: dict[str, Any] = {
    **_COMPATIBLE,
    "needs_auth": False,
    "api_key_env": None,
    "any_model": True,
    "login_url": None,
    "model_aliases": {},
    "first_chunk_timeout": 300.0,
}

LOCAL = (
    OpenAI.configure(
        "ollama",
        label="Ollama",
        url="https://ollama.com",
        api_base="http://127.0.0.1:11434/v1",
        default_model="llama3.2",
        default_vision_model="llama3.2-vision",
        models=["llama3.2", "llama3.2-vision"],
        vision_models=["llama3.2-vision"],
        **_LOCAL,
    ),
    OpenAI.configure(
        "lmstudio",
        label="LM Studio",
        url="https://lmstudio.ai",
        api_base="http://127.0.0.1:1234/v1",
        default_model="qwen2.5-7b-instruct",
        default_vision_model=None,
        models=["qwen2.5-7b-instruct"],
        vision_models=[],
        **_LOCAL,
    ),
    OpenAI.configure(
        "vllm",
        label="vLLM",
        url="https://docs.vllm.ai",
        api_base="http://127.0.0.1:8000/v1",
        default_model="Qwen/Qwen2.5-1.5B-Instruct",
        default_vision_model=None,
        models=["Qwen/Qwen2.5-1.5B-Instruct"],
        vision_models=[],
        **_LOCAL,
    ),
    OpenAI.configure(
        "llamacpp",
        label="llama.cpp server",
        url="https://github.com/ggml-org/llama.cpp",
        api_base="http://127.0.0.1:8080/v1",
        default_model="default",
        default_vision_model=None,
        models=["default"],
        vision_models=[],
        **_LOCAL,
    ),
)
"""Local servers on their default loopback ports: no key needed, any model name passed through."""

PRESETS = (*HOSTED, *LOCAL)
"""Every preset, hosted then local."""
