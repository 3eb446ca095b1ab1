"""Shared pieces of the OpenAI plugin tests: a provider aimed at the stand-in, collecting answers."""

from __future__ import annotations

from typing import Any

from providerhub import BaseProvider, Chunk, FinishReason, Messages, Usage
from providerhub_openai import OpenAI
from support.openai_standin import OpenAIStandin

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "GROQ_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "TOGETHER_API_KEY",
    "STANDIN_API_KEY",
)

HELLO: Messages = [{"role": "user", "content": "Hello there"}]


def aimed_at(server: OpenAIStandin, name: str = "standin", **settings: Any) -> type[OpenAI]:
    """A provider derived from ``OpenAI`` that talks to ``server`` (any model; no key needed unless said)."""
    settings.setdefault("needs_auth", False)
    settings.setdefault("any_model", True)
    settings.setdefault("api_key_env", "STANDIN_API_KEY")
    return OpenAI.configure(name, api_base=server.base, **settings)


async def collect(provider: type[BaseProvider], model: str, messages: Messages = HELLO, **kwargs: Any) -> list[Chunk]:
    """Every chunk of one answer."""
    return [chunk async for chunk in provider.create_async_generator(model, messages, **kwargs)]  # type: ignore[attr-defined]


def texts(chunks: list[Chunk]) -> list[str]:
    return [c for c in chunks if isinstance(c, str)]


def events(chunks: list[Chunk]) -> list[Chunk]:
    return [c for c in chunks if isinstance(c, (FinishReason, Usage))]
