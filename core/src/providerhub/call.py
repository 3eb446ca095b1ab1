"""The call API: check a request, call a provider in whichever style it has, give back typed chunks and errors.

``answer`` is ``prepare`` + a given ``resolve`` + a router that calls ``call_provider`` once per
attempt, in the candidates' order; ``stream`` is ``answer`` with the process's resolution and
router, and a hub passes its own.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from ._default import default_hub
from ._resolution import Candidate, Resolution
from ._router import AttemptFunction, Router, _raising
from .errors import (
    MediaError,
    MessagesError,
    ProviderConnectionError,
    ProviderError,
    ProviderHubError,
    ProviderTimeoutError,
)
from .events import FinishReason, Usage
from .http import timeout_seconds
from .media import media_items, off_loop, to_image
from .messages import content_text, validate_messages
from .options import convert_options
from .providers import BaseProvider
from .types import Chunk, MediaListType, Message, Messages

_EVENTS = (Usage, FinishReason)
_BLANK = {"type": "text", "text": ""}


# -- the request --------------------------------------------------------------------------------


def prepare(messages: Any, media: Any = None) -> tuple[Messages, MediaListType | None]:
    """Check a request and give it the shape providers take: text messages and a list of images.

    Images inside messages as OpenAI-style content parts (``{"type": "image_url", "image_url":
    {"url": "data:..."}}``) are moved into the media list, after any ``media`` given, in order.
    Every image is read and checked here (``MediaError`` naming it), so a provider receives
    ``(bytes, filename)`` pairs it can use as they are. A remote ``http(s)`` image is refused.
    """
    if not isinstance(messages, (list, tuple)):
        validate_messages(messages)  # raises the usual MessagesError
    images: list[tuple[Any, str | None]] = media_items(media)
    texts: list[Message] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(_is_image_part(part) for part in content):
            where = f"messages[{i}]['content']"
            content_text([_BLANK if _is_image_part(part) else part for part in content], where)  # true indexes
            kept = []
            for j, part in enumerate(content):
                if _is_image_part(part):
                    images.append((_image_url(part, f"{where}[{j}]"), None))
                else:
                    kept.append(part)
            message = {**message, "content": content_text(kept, where)}
        texts.append(message)
    checked = validate_messages(texts)
    if not images:
        return checked, None
    prepared: MediaListType = []
    for source, filename in images:
        image = to_image(source, filename)
        prepared.append((image.data, image.filename))
    return checked, prepared


def _is_image_part(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "image_url"


def _image_url(part: dict[str, Any], where: str) -> str:
    """The ``data:`` URI of an ``image_url`` part (``{"url": ...}`` or, as some clients send, the URL itself)."""
    value = part.get("image_url")
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url:
        raise MessagesError(f"{where} is an image_url part without a URL: expected {{'image_url': {{'url': str}}}}")
    if url.startswith("data:"):
        return url
    if url.lower().startswith(("http://", "https://")):
        raise MediaError(
            f"{where}: remote image {url[:80]!r} is not fetched; send the image itself as a data: URI or in media"
        )
    raise MediaError(f"{where}: image URL {url[:40]!r} is not a data: URI")


# -- one provider -------------------------------------------------------------------------------


def _open(provider: type[BaseProvider], model: str, messages: Messages, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    """The provider's answer as an async iterator, whichever style it implements."""
    create = getattr(provider, "create_async_generator", None)
    if create is not None:
        result = create(model, messages, **kwargs)
        if not hasattr(result, "__anext__"):
            close = getattr(result, "close", None)
            if close is not None:
                close()  # a coroutine never awaited would warn about it
            raise ProviderError(
                f"provider {provider.name}: create_async_generator returned {type(result).__name__}, "
                "not an async iterator",
                retryable=False,
            )
        return result  # type: ignore[no-any-return]
    if not any("create_completion" in vars(klass) for klass in provider.__mro__ if klass is not BaseProvider):
        raise ProviderError(
            f"provider {provider.name} implements neither create_async_generator nor create_completion",
            retryable=False,
        )
    from ._sync import drive_in_thread

    return drive_in_thread(lambda: provider.create_completion(model, messages, **kwargs))


def _wrap(exc: Exception, name: str, model: str, partial: bool) -> ProviderError:
    """A stray exception from a provider as the ``ProviderError`` a router can act on."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    message = f"provider {name} failed: {type(exc).__name__}: {detail}"
    asyncio = sys.modules.get("asyncio")  # never imported here: ``import providerhub`` stays free of it
    if isinstance(exc, TimeoutError) or (asyncio is not None and isinstance(exc, asyncio.TimeoutError)):
        return ProviderTimeoutError(message, provider=name, model=model, partial=partial)
    if isinstance(exc, ConnectionError) or any(c.__name__ == "ClientConnectionError" for c in type(exc).__mro__):
        return ProviderConnectionError(message, provider=name, model=model, partial=partial)
    return ProviderError(message, provider=name, model=model, partial=partial)


async def call_provider(
    provider: type[BaseProvider],
    model: str,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    options: Mapping[str, Any] | None = None,
    api_key: str | None = None,
) -> AsyncGenerator[Chunk, None]:
    """One attempt at an answer from ``provider``: text chunks and events as they arrive.

    Before any request: the options are checked and converted against ``provider.options``
    (``OptionsError``), and a provider that needs a key gets one (``api_key``, else its variable)
    or ``MissingCredentialsError``. The key, ``media``, ``timeout`` and the options are passed as
    keywords. A sync-only provider runs in a worker thread. Any exception that is not a
    providerhub error becomes a ``ProviderError`` naming the provider (the original chained);
    ``ProviderError``s get ``provider``/``model`` filled in, and ``partial=True`` once text was
    yielded. The provider's generator is closed however this ends.
    """
    name = provider.name
    partial = False
    chunks: AsyncIterator[Any] | None = None
    try:
        try:
            kwargs = convert_options(provider, options)
            given = kwargs.pop("api_key", None)
            key = provider.require_api_key(api_key or given)
            if key is not None:
                kwargs["api_key"] = key
            if media:
                kwargs["media"] = media
            if timeout is not None:
                kwargs["timeout"] = timeout_seconds(timeout)
            chunks = _open(provider, model, messages, kwargs)
            async for chunk in chunks:
                if isinstance(chunk, str):
                    if not chunk:
                        continue
                    partial = True
                elif not isinstance(chunk, _EVENTS):
                    raise ProviderError(
                        f"provider {name} yielded {type(chunk).__name__}, not text, Usage or FinishReason",
                        retryable=False,
                    )
                yield chunk
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
    except ProviderError as exc:
        if exc.provider is None:
            exc.provider = name
        if exc.model is None:
            exc.model = model
        exc.partial = exc.partial or partial
        raise
    except ProviderHubError:
        raise
    except Exception as exc:
        raise _wrap(exc, name, model, partial) from exc


# -- by model name ------------------------------------------------------------------------------

Resolver = Callable[..., Resolution]
"""``resolve(model, *, media=None) -> Resolution``, as ``providerhub.resolve`` and a hub's ``resolve`` are."""


def _has_images(messages: Any) -> bool:
    """Whether ``prepare`` would read images from ``messages`` (OpenAI-style ``image_url`` parts)."""
    if not isinstance(messages, (list, tuple)):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(_is_image_part(part) for part in content):
            return True
    return False


_WARM_NAMES = 1024
"""How many names per resolver are remembered as resolved (a bound: names come from callers)."""
_warm: weakref.WeakKeyDictionary[Any, set[tuple[str | None, bool]]] = weakref.WeakKeyDictionary()


def _resolved(resolve: Resolver, model: str | None, media: MediaListType | None) -> Resolution:
    """``resolve(model, media=media)``, remembered as done: the plugin it imported is imported now."""
    found = resolve(model, media=media)
    owner = getattr(resolve, "__self__", resolve)  # a hub's bound method is made anew on each access
    with contextlib.suppress(TypeError):  # an owner that takes no weak reference is simply not remembered
        names = _warm.setdefault(owner, set())
        if len(names) >= _WARM_NAMES:
            names.clear()
        names.add((model, bool(media)))
    return found


def _warm_for(resolve: Resolver, model: str | None) -> bool:
    """Whether this resolver answered for ``model`` before (nothing left to discover or import)."""
    owner = getattr(resolve, "__self__", resolve)
    try:
        return (model, False) in _warm.get(owner, ())
    except TypeError:
        return False


async def _resolve(resolve: Resolver, model: str | None) -> Resolution:
    """Resolve ``model`` on the loop when this resolver answered for it before, else in a worker thread."""
    if _warm_for(resolve, model):
        return resolve(model, media=None)
    return await off_loop(_resolved, resolve, model, None)


def answer(
    resolve: Resolver,
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    options: Mapping[str, Any] | None = None,
    router: Router,
    fallback: bool | None = None,
) -> AsyncGenerator[Chunk, None]:
    """``stream`` with the given ``resolve`` and ``router``: prepare the request, resolve, route it.

    Reading images and a resolution that may discover and import plugins (the first for a name)
    run in a worker thread, so the event loop is not held up by either. A text-only request to a
    name resolved before is prepared and resolved here, at once (no thread), and its answer is
    the router's own generator, with no layer over it for every chunk to pass through; what fails
    in preparing it is raised by its first step, as for any other request. Loading a further
    candidate's provider when the router falls back to it runs in a worker thread the first time.
    """
    if media is None and not _has_images(messages) and _warm_for(resolve, model):
        try:
            messages, media = prepare(messages, media)
            found = resolve(model, media=None)
        except Exception as exc:
            return _raising(exc)
        attempt = _attempts(resolve, found, messages, media, timeout, options)
        return router.stream(found, attempt, fallback=fallback, timeout=timeout)
    return _prepared_then_routed(resolve, model, messages, media, timeout, options, router, fallback)


async def _prepared_then_routed(
    resolve: Resolver,
    model: str | None,
    messages: Messages,
    media: MediaListType | None,
    timeout: float | None,
    options: Mapping[str, Any] | None,
    router: Router,
    fallback: bool | None,
) -> AsyncGenerator[Chunk, None]:
    """``answer`` for a request with images or a name not resolved before: both off the loop first."""
    if media is not None or _has_images(messages):

        def ready() -> tuple[Messages, MediaListType | None, Resolution]:
            prepared, images = prepare(messages, media)
            return prepared, images, _resolved(resolve, model, images)

        messages, media, found = await off_loop(ready)
    else:
        messages, media = prepare(messages, media)
        found = await _resolve(resolve, model)
    chunks = router.stream(
        found, _attempts(resolve, found, messages, media, timeout, options), fallback=fallback, timeout=timeout
    )
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        await chunks.aclose()


def _attempts(
    resolve: Resolver,
    found: Resolution,
    messages: Messages,
    media: MediaListType | None,
    timeout: float | None,
    options: Mapping[str, Any] | None,
) -> AttemptFunction:
    """The router's attempt function for ``found``: the first candidate's provider is known; a
    further one's is loaded when the router falls back to it."""
    first = found.candidates[0]

    async def other(candidate: Candidate, remaining: float | None) -> AsyncGenerator[Chunk, None]:
        provider = (await _resolve(resolve, f"{candidate.provider}/{candidate.model}")).provider
        limit = None if timeout is None else remaining
        chunks = call_provider(provider, candidate.model, messages, media=media, timeout=limit, options=options)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    def attempt(candidate: Candidate, remaining: float | None) -> AsyncIterator[Chunk]:
        if candidate is first:
            limit = None if timeout is None else remaining  # given a timeout, a provider gets what is left
            return call_provider(found.provider, found.model, messages, media=media, timeout=limit, options=options)
        return other(candidate, remaining)

    return attempt


def stream(
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    fallback: bool | None = None,
    **options: Any,
) -> AsyncGenerator[Chunk, None]:
    """Answer ``messages`` with a provider that serves ``model``: an async generator of text and events.

    The candidates are tried in preference order until one answers (see the README's "Routing";
    ``fallback=False`` tries only the first), within ``timeout`` seconds for the whole call.
    ``options`` are checked against what each provider declares; ``proxy`` and ``api_key`` are
    taken by every provider. Errors are ``RequestError``s (the request is wrong) or
    ``ProviderError``s (the provider failed), as ``call_provider`` says; when several attempts
    failed, an ``AllProvidersFailedError`` with each of them.
    """
    return default_hub().stream(model, messages, media=media, timeout=timeout, fallback=fallback, **options)


def complete(
    model: str | None,
    messages: Messages,
    *,
    media: MediaListType | None = None,
    timeout: float | None = None,
    fallback: bool | None = None,
    **options: Any,
) -> Iterator[Chunk]:
    """``stream`` for sync code: an iterator of the same chunks, usable inside a running event loop too."""
    return default_hub().complete(model, messages, media=media, timeout=timeout, fallback=fallback, **options)


__all__ = ["call_provider", "complete", "prepare", "stream"]
