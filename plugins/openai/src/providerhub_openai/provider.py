"""The OpenAI provider: the chat-completions API, which most hosted and local model services speak.

Example:

```python
import asyncio

from providerhub_openai import OpenAI


async def main() -> None:
    messages = [{"role": "user", "content": "Name a colour."}]
    async for chunk in OpenAI.create_async_generator("gpt-4o-mini", messages):
        if isinstance(chunk, str):
            print(chunk, end="", flush=True)
    print()


asyncio.run(main())
```

Another service speaking the same API is this class with other declarations: ``OpenAI.configure(
"name", api_base=..., api_key_env=..., models=[...])`` (the presets in ``presets`` are made so),
or a ``[providers.NAME]`` table with ``from = "openai"`` in ``providerhub.toml``.

The HTTP side (``client``, with asyncio and aiohttp) is imported on the first request, so
importing this module, as model resolution may, stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from providerhub import AsyncGeneratorProvider, ProviderModelMixin, validate_messages
from providerhub.http import timeout_seconds
from providerhub.options import convert

TYPE_CHECKING = False  # not typing's: resolving a model imports this module, and need not import typing
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from aiohttp import ClientSession

    from providerhub import AsyncResult, MediaListType, Messages
    from providerhub.testing import Reply, Request

__all__ = ["DEFAULT_FIRST_CHUNK_TIMEOUT", "DEFAULT_TIMEOUT", "OpenAI"]

DEFAULT_TIMEOUT = 600.0
"""Seconds a whole request may take (the answer streamed to its end) unless ``timeout=`` says otherwise."""

DEFAULT_FIRST_CHUNK_TIMEOUT = 120.0
"""Seconds until the answer must start (its first event) unless the provider or ``first_chunk_timeout=`` says."""

OPTIONS: Mapping[str, Any] = {
    "temperature": float,
    "top_p": float,
    "max_tokens": int,
    "stop": list[str],
    "seed": int,
    "presence_penalty": float,
    "frequency_penalty": float,
}
"""The request parameters every preset accepts, by name and type."""


class OpenAI(AsyncGeneratorProvider, ProviderModelMixin):
    """OpenAI's chat models through its chat-completions API; the base of every compatible service.

    ``api_base`` is the URL the API's paths hang off (``{api_base}/chat/completions``). The key, when
    one is found (``api_key=``, else ``$<api_key_env>``), is sent as a bearer token; ``needs_auth``
    only decides whether a missing key is an error.
    """

    name: ClassVar[str] = "openai"
    label: ClassVar[str | None] = "OpenAI"
    url: ClassVar[str | None] = "https://platform.openai.com"
    login_url: ClassVar[str | None] = "https://platform.openai.com/api-keys"
    api_base: ClassVar[str] = "https://api.openai.com/v1"
    """The API's base URL; requests go to ``{api_base}/chat/completions``."""
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"

    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True

    default_model: ClassVar[str] = "gpt-4.1-mini"
    default_vision_model: ClassVar[str | None] = "gpt-4.1-mini"
    vision_models: ClassVar[Sequence[str]] = [
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "o1",
        "o3",
        "o4-mini",
    ]
    models: ClassVar[Sequence[str]] = [*vision_models, "o3-mini"]
    model_aliases: ClassVar[Mapping[str, str]] = {"4o": "gpt-4o", "4o-mini": "gpt-4o-mini", "4.1": "gpt-4.1"}
    options: ClassVar[Mapping[str, Any]] = OPTIONS

    stream_usage: ClassVar[bool] = True
    """Whether to ask for token usage with ``stream_options`` (a few services refuse the field)."""
    max_tokens_field: ClassVar[str] = "max_completion_tokens"
    """The wire name of the ``max_tokens`` option: OpenAI's current one here, ``max_tokens`` elsewhere."""
    first_chunk_timeout: ClassVar[float | None] = DEFAULT_FIRST_CHUNK_TIMEOUT
    """Seconds until the answer must start; ``None`` leaves only the whole request's ``timeout``."""

    @classmethod
    def standin_reply(cls, request: Request, pieces: Sequence[str]) -> Reply:
        """How the API answers ``pieces`` (for ``providerhub.testing``): a chat-completion event stream,
        or one JSON body when the request does not ask for a stream."""
        import json

        from providerhub.testing import Reply

        body = json.loads(request.body or b"{}")
        head = {"id": "chatcmpl-standin", "created": 0, "model": body.get("model", cls.default_model)}
        if body.get("stream") is not True:
            message = {"role": "assistant", "content": "".join(pieces)}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return Reply.json({**head, "object": "chat.completion", "choices": [choice]})

        def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return {**head, "object": "chat.completion.chunk", "choices": [choice]}

        deltas = [chunk({"content": piece}) for piece in pieces]
        return Reply.sse([chunk({"role": "assistant", "content": ""}), *deltas, chunk({}, "stop"), "[DONE]"])

    @classmethod
    def chat_url(cls, api_base: str | None = None) -> str:
        """Where chat requests go: ``{api_base}/chat/completions`` (a query in ``api_base`` is kept)."""
        base, question, query = (api_base or cls.api_base).partition("?")
        return base.rstrip("/") + "/chat/completions" + question + query

    @classmethod
    def request_options(cls, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The declared options found in ``kwargs`` (``None`` means unset), checked and converted as the
        call API does (``OptionsError``), with their wire names."""
        sent: dict[str, Any] = {}
        for name, kind in cls.options.items():
            value = kwargs.get(name)
            if value is None:
                continue
            field = cls.max_tokens_field if name == "max_tokens" else name
            sent[field] = convert(name, kind, value)
        return sent

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        media: MediaListType | None = None,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
        first_chunk_timeout: float | None = None,
        session: ClientSession | None = None,
        **kwargs: Any,
    ) -> AsyncResult:
        """Stream ``model``'s answer to ``messages``: text chunks as they arrive, then ``FinishReason`` and ``Usage``.

        ``media`` images go with the last user message; image content parts in ``messages`` (``data:``
        URIs) stay with theirs. The declared ``options`` found in ``kwargs``
        are sent; other keywords are accepted and ignored. ``timeout`` bounds the whole request,
        ``first_chunk_timeout`` the wait for the answer to start; ``session`` is a caller's
        ``aiohttp.ClientSession`` to use (and leave open). Every failure is a ``providerhub`` error
        naming the provider.
        """
        key = cls.require_api_key(api_key)
        model = cls.get_model(model)
        from . import client

        messages, message_images = client.split_images(messages)
        messages = validate_messages(messages)
        options = cls.request_options(kwargs)
        limit = DEFAULT_TIMEOUT if timeout is None else timeout_seconds(timeout)
        first = first_chunk_timeout if first_chunk_timeout is not None else cls.first_chunk_timeout
        first = None if first is None else timeout_seconds(first, "first_chunk_timeout")

        request = client.Request(
            provider=cls.name,
            model=model,
            url=cls.chat_url(api_base),
            key=key,
            key_env=cls.api_key_env,
            messages=messages,
            media=media,
            message_images=message_images,
            options=options,
            stream_usage=cls.stream_usage,
            proxy=proxy,
            timeout=limit,
            first_chunk_timeout=first,
        )
        answer = client.chat(request, session)
        try:
            async for chunk in answer:
                yield chunk
        finally:
            await answer.aclose()  # as contextlib.aclosing does, without importing contextlib at start
