"""The call API: resolve a name, call the provider that serves it, and give back typed chunks and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ProviderError, ProviderHubError
from .messages import validate_messages
from .types import Chunk, MediaListType, Messages

if TYPE_CHECKING:
    from .resolution import Resolution


async def stream(
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    **options: Any,
) -> AsyncIterator[Chunk]:
    """Answer ``messages`` with the provider that serves ``model``: text chunks and events as they arrive.

    Any exception a provider lets escape that is not a providerhub error becomes a
    ``ProviderError`` naming the provider (the original chained).
    """
    from .hub import default_hub

    async for chunk in default_hub().stream(model, messages, media=media, timeout=timeout, **options):
        yield chunk


async def answer(
    resolve: Callable[..., Resolution],
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    options: Mapping[str, Any],
) -> AsyncIterator[Chunk]:
    """``stream`` with the given ``resolve`` (a hub's)."""
    messages = validate_messages(messages)
    found = resolve(model, media=media)
    provider, model_id = found.provider, found.model
    name = provider.name
    kwargs: dict[str, Any] = dict(options)
    if media:
        kwargs["media"] = media
    if timeout is not None:
        kwargs["timeout"] = timeout
    answer = provider.create_async_generator(model_id, messages, **kwargs)  # type: ignore[attr-defined]
    partial = False
    try:
        async for chunk in answer:
            if isinstance(chunk, str):
                if not chunk:
                    continue
                partial = True
            yield chunk
    except ProviderError as exc:
        if exc.provider is None:
            exc.provider = name
        if exc.model is None:
            exc.model = model_id
        exc.partial = exc.partial or partial
        raise
    except ProviderHubError:
        raise
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise ProviderError(
            f"provider {name} failed: {type(exc).__name__}: {detail}", provider=name, model=model_id, partial=partial
        ) from exc
    finally:
        aclose = getattr(answer, "aclose", None)
        if aclose is not None:
            await aclose()


def complete(
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    **options: Any,
) -> Iterator[Chunk]:
    """``stream`` for sync code: an iterator of the same chunks, usable inside a running event loop too."""
    from .sync import iterate_in_thread

    return iterate_in_thread(lambda: stream(model, messages, media=media, timeout=timeout, **options))
