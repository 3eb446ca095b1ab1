"""Shared pieces of the OpenAI plugin tests: a provider aimed at the stand-in, collecting answers, ports."""

from __future__ import annotations

from typing import Any

from providerhub import BaseProvider, Chunk, FinishReason, Messages, Usage
from providerhub_openai import OpenAI
from support.net import free_port
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

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def closed_url() -> str:
    """A URL on a loopback port that refuses connections."""
    return f"http://127.0.0.1:{free_port()}"


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
