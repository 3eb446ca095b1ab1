"""OpenAI-compatible chat services for providerhub: OpenAI, Groq, OpenRouter, DeepSeek, Mistral, Together,
and local servers (Ollama, LM Studio, vLLM, llama.cpp)."""

from __future__ import annotations

from providerhub import BaseProvider, hookimpl

from .presets import HOSTED, LOCAL, PRESETS
from .provider import OpenAI

__version__ = "0.1.0"

__all__ = ["HOSTED", "LOCAL", "PRESETS", "OpenAI", "__version__", "register_providers"]


@hookimpl
def register_providers() -> list[type[BaseProvider]]:
    """The providers this plugin adds: ``OpenAI`` and its presets."""
    return [OpenAI, *PRESETS]
