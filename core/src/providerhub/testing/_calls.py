"""The call checks: the provider pointed at a fresh StandIn, each check scripting the upstream's answers."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import re
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, NamedTuple

from ..errors import (
    AuthenticationError,
    MediaError,
    MissingCredentialsError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from ..events import FinishReason, Usage
from ..providers import BaseProvider
from ._base import Check, CheckFailed, collect, describe_error, fail, one_line
from ._standin import Reply, Request, StandIn
from ._transport import AnswerFactory, CheckSkipped, Transport, loopback_only

CHECKS: list[Check] = []
check = collect(CHECKS)

CALL_LIMIT = 15.0
"""Seconds any one call under check may take before the check gives up on it."""
RELEASE_WITHIN = 5.0
"""Seconds a client has to close a connection whose response it abandoned."""
CALL_TIMEOUT = 0.5
"""The ``timeout=`` the timeout check passes, in seconds."""
MAX_CHUNKS = 10_000
"""Chunks one call may yield before the check stops reading."""
TEST_KEY = "providerhub-testing-key"
"""The ``api_key=`` passed to providers that take a key."""
UNSET_KEY_ENV = "PROVIDERHUB_TESTING_UNSET_KEY"
"""The variable the missing-key check points ``api_key_env`` at (and keeps unset)."""
PIECES = ("Hello", ", ", "world")
"""The text a scripted successful answer carries, piece by piece."""


class Outcome(NamedTuple):
    """What one call gave: the chunks yielded, then the exception that ended it (if any)."""

    chunks: list[Any]
    error: BaseException | None

    @property
    def text(self) -> str:
        return "".join(c for c in self.chunks if isinstance(c, str))


class Upstream(NamedTuple):
    """A provider pointed at a running StandIn, with what the calls need."""

    provider: type[BaseProvider]
    server: StandIn
    model: str
    answer: AnswerFactory | None
    blocked: list[str]

    def messages(self, marker: str = "probe-0") -> list[Any]:
        return [{"role": "user", "content": f"{marker} Say hello."}]

    def kwargs(self, **extra: Any) -> dict[str, Any]:
        """``api_key=`` for a provider that takes a key, ``timeout=`` as the call API passes it, and ``extra``."""
        kwargs: dict[str, Any] = {"timeout": CALL_LIMIT}
        if self.provider.needs_auth or self.provider.api_key_env:
            kwargs["api_key"] = TEST_KEY
        kwargs.update(extra)
        return kwargs

    def require_answer(self) -> AnswerFactory:
        """The answer factory; ``CheckSkipped`` when there is none."""
        if self.answer is None:
            raise CheckSkipped(
                "no successful answer is known in this provider's wire format: give its class a standin_reply "
                "classmethod, or pass Transport(answer=...)"
            )
        return self.answer

    def success(self, request: Request, pieces: Sequence[str]) -> Reply:
        """A successful answer carrying ``pieces``, in the provider's wire format."""
        return self.require_answer()(request, pieces)

    async def call(self, *, marker: str = "probe-0", limit: float = CALL_LIMIT, **extra: Any) -> Outcome:
        """One call of ``create_async_generator``, read to its end (bounded in time and chunks)."""
        chunks: list[Any] = []
        errors: list[BaseException] = []

        async def read() -> None:
            try:
                answer = self.provider.create_async_generator(  # type: ignore[attr-defined]
                    self.model, self.messages(marker), **self.kwargs(**extra)
                )
                try:
                    async for chunk in answer:
                        chunks.append(chunk)
                        if len(chunks) >= MAX_CHUNKS:
                            raise fail(f"the call yielded more than {MAX_CHUNKS} chunks for a short answer")
                finally:
                    aclose = getattr(answer, "aclose", None)
                    if aclose is not None:
                        await aclose()
            except CheckFailed:
                raise
            except Exception as exc:  # the provider's error (a TimeoutError too) is the outcome
                errors.append(exc)

        try:
            await asyncio.wait_for(read(), limit)
        except asyncio.TimeoutError:
            raise fail(f"the call did not end within {limit:g} s") from None
        return Outcome(chunks, errors[0] if errors else None)

    def reached(self) -> str:
        """Why no request reached the StandIn, for a failure message."""
        if self.blocked:
            return f"; the provider tried to reach {self.blocked[0]} instead of its configured endpoint"
        return ""


def _run_in_loop(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run ``scenario`` with ``asyncio.run`` (in a worker thread when this thread's loop is running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_as_coroutine(scenario))
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_as_coroutine(scenario))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="providerhub-check")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _as_coroutine(scenario: Callable[[], Awaitable[None]]) -> None:
    await scenario()


def _with_upstream(
    scenario: Callable[[Upstream], Awaitable[None]], *, vision: bool = False
) -> Callable[[type[BaseProvider], Transport], None]:
    """A call check: ``scenario`` runs on a fresh event loop against a provider pointed at a fresh StandIn.

    Any ``ResourceWarning`` or unraisable exception (an unclosed session, socket or transport)
    raised while it runs, or when its loop's leftovers are collected, fails the check.
    """

    def check(cls: type[BaseProvider], transport: Transport) -> None:
        if not hasattr(cls, "create_async_generator"):
            raise CheckSkipped(f"provider {cls.name} has no create_async_generator")
        setting = transport.endpoint_setting(cls)
        model = transport.model or cls.default_model
        if vision:
            model = _vision_model(cls, transport)
        leaks: list[str] = []
        hook = sys.unraisablehook

        def unraisable(info: Any) -> None:
            leaks.append(f"{describe_error(info.exc_value)} (in {info.object!r:.80})")

        with StandIn() as server, loopback_only() as blocked, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            sys.unraisablehook = unraisable
            try:
                try:
                    pointed = transport.point(cls, server.url)
                except ValueError as exc:
                    raise fail(f"configure({setting}=...) failed: {exc}") from None
                upstream = Upstream(pointed, server, model, transport.answer_factory(cls), blocked)
                _run_in_loop(lambda: scenario(upstream))
                for _ in range(3):  # a warning's source keeps its object (a session's connector) alive
                    gc.collect()
                    leaks.extend(
                        one_line(str(w.message), 160) for w in caught if issubclass(w.category, ResourceWarning)
                    )
                    caught.clear()
            finally:
                sys.unraisablehook = hook
        if leaks:
            raise fail(f"left a resource unclosed: {leaks[0]}")

    check.__name__ = scenario.__name__
    check.__doc__ = scenario.__doc__
    return check


def _vision_model(cls: type[BaseProvider], transport: Transport) -> str:
    vision = list(cls.vision_models)
    if not vision:
        raise CheckSkipped(f"provider {cls.name} declares no vision_models, so it takes no media")
    if transport.model in vision:
        return transport.model
    return cls.default_vision_model if cls.default_vision_model in vision else vision[0]


def _call_check(function: Callable[[Upstream], Awaitable[None]]) -> Callable[[Upstream], Awaitable[None]]:
    check(_with_upstream(function))
    return function


def _outcome(outcome: Outcome) -> str:
    """What a call ended with, in a few words."""
    if outcome.error is not None:
        return describe_error(outcome.error)[:100]
    return f"an answer, {outcome.text[:40]!r}"


def _expect(outcome: Outcome, upstream: Upstream, kind: type[BaseException], what: str) -> Any:
    """The error of ``outcome``, checked to be a ``kind`` raised with no text yielded before it."""
    error = outcome.error
    if error is None:
        raise fail(f"{what}: the call ended without an error, having yielded {outcome.text[:60]!r}")
    if not isinstance(error, kind):
        raise fail(f"{what}: expected {kind.__name__}, got {describe_error(error)}{upstream.reached()}")
    if outcome.text:
        raise fail(f"{what}: {outcome.text[:60]!r} was yielded as answer text before the error")
    return error


@_call_check
async def check_answer(upstream: Upstream) -> None:
    """A successful answer yields non-empty text chunks (and only text, Usage and FinishReason) holding the answer."""
    upstream.require_answer()
    upstream.server.respond(lambda request: upstream.success(request, PIECES))
    outcome = await upstream.call()
    if outcome.error is not None:
        raise fail(f"a successful answer raised {describe_error(outcome.error)}{upstream.reached()}")
    strays = [c for c in outcome.chunks if not isinstance(c, (str, Usage, FinishReason))]
    if strays:
        raise fail(f"yielded {type(strays[0]).__name__} {strays[0]!r:.60}; chunks are str, Usage or FinishReason")
    if any(isinstance(c, str) and not c for c in outcome.chunks):
        raise fail("yielded an empty text chunk")
    if outcome.text != "".join(PIECES):
        raise fail(f"the answer text is {outcome.text[:80]!r}, the upstream said {''.join(PIECES)!r}")


@_call_check
async def check_rate_limit_error(upstream: Upstream) -> None:
    """HTTP 429 with ``Retry-After`` raises ``RateLimitError`` carrying ``retry_after``."""
    error = {"error": {"message": "Rate limit reached, slow down", "type": "rate_limit_exceeded"}}
    upstream.server.respond(Reply.json(error, 429, {"Retry-After": "7"}))
    found = _expect(await upstream.call(), upstream, RateLimitError, "HTTP 429")
    if found.retry_after != 7:
        raise fail(f"HTTP 429 with Retry-After: 7 gave retry_after={found.retry_after!r}, not 7")
    if not found.retryable:
        raise fail("HTTP 429 gave an error with retryable=False")


@_call_check
async def check_authentication_error(upstream: Upstream) -> None:
    """HTTP 401 raises ``AuthenticationError`` (not retryable)."""
    error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    upstream.server.respond(Reply.json(error, 401))
    found = _expect(await upstream.call(), upstream, AuthenticationError, "HTTP 401")
    if found.retryable:
        raise fail("HTTP 401 gave an error with retryable=True")


_TAG = re.compile(r"<\s*(!doctype|/?\s*(html|head|body|title|h1|p|div|script)\b)", re.IGNORECASE)


@_call_check
async def check_html_error_page(upstream: Upstream) -> None:
    """HTTP 500 with an HTML page raises a retryable ``ResponseError`` whose message holds no HTML."""
    upstream.server.respond(Reply.html(500, "Internal Server Error", "upstream exploded"))
    found = _expect(await upstream.call(), upstream, ResponseError, "HTTP 500 with an HTML page")
    if _TAG.search(str(found)):
        raise fail(f"the error message holds HTML: {one_line(str(found), 120)!r}")
    if found.status != 500 or not found.retryable:
        raise fail(f"HTTP 500 gave status={found.status!r}, retryable={found.retryable!r}; expected 500 and True")


@_call_check
async def check_error_is_not_an_answer(upstream: Upstream) -> None:
    """An error answer (HTTP 400 with a JSON error, HTTP 200 with an HTML page) raises; its text is never yielded."""
    cases = [
        ("HTTP 400 with a JSON error", Reply.json({"error": {"message": "sentinel-bad-request"}}, 400)),
        ("HTTP 200 with an HTML page", Reply.html(200, "Just a moment...", "sentinel-challenge")),
    ]
    for what, reply in cases:
        upstream.server.respond(reply)
        outcome = await upstream.call()
        if "sentinel" in outcome.text or "<" in outcome.text:
            raise fail(f"{what}: the error was yielded as answer text: {outcome.text[:60]!r}")
        _expect(outcome, upstream, ProviderError, what)


@_call_check
async def check_timeout_error(upstream: Upstream) -> None:
    """An upstream that does not answer within ``timeout=`` raises ``ProviderTimeoutError``."""
    upstream.server.respond(Reply(delay=CALL_LIMIT * 2))
    started = time.monotonic()
    outcome = await upstream.call(timeout=CALL_TIMEOUT, limit=CALL_LIMIT)
    _expect(outcome, upstream, ProviderTimeoutError, f"no answer within timeout={CALL_TIMEOUT:g}")
    took = time.monotonic() - started
    if took > CALL_TIMEOUT * 10 + 2:
        raise fail(f"with timeout={CALL_TIMEOUT:g} the error came after {took:.1f} s")


@_call_check
async def check_connection_reset(upstream: Upstream) -> None:
    """A connection reset by the upstream raises ``ProviderConnectionError``."""
    upstream.server.respond(Reply(reset=True))
    _expect(await upstream.call(), upstream, ProviderConnectionError, "a connection reset")
    if not upstream.server.requests:
        raise fail(f"no request reached the StandIn{upstream.reached()}")


async def check_media_error_before_request(upstream: Upstream) -> None:
    """Media that is not an image raises ``MediaError`` before any request reaches the upstream."""
    not_an_image = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n"
    outcome = await upstream.call(media=[(not_an_image, "document.pdf")])
    if upstream.server.requests:
        raise fail(f"a request reached the upstream before the bad media was refused (then: {_outcome(outcome)})")
    _expect(outcome, upstream, MediaError, "a PDF given as an image")


check(_with_upstream(check_media_error_before_request, vision=True))


@_call_check
async def check_missing_key_before_request(upstream: Upstream) -> None:
    """A provider that needs a key raises ``MissingCredentialsError`` before any request when it has none."""
    provider = upstream.provider
    if not provider.needs_auth:
        raise CheckSkipped(f"provider {provider.name} does not need a key (needs_auth is false)")
    import os

    if UNSET_KEY_ENV in os.environ:
        raise CheckSkipped(f"{UNSET_KEY_ENV} is set, so the check cannot make a key missing")
    keyless = provider.configure(provider.name, api_key_env=UNSET_KEY_ENV)
    outcome = await upstream._replace(provider=keyless).call(api_key=None)
    if upstream.server.requests:
        raise fail(f"a request reached the upstream without a key (then: {_outcome(outcome)})")
    _expect(outcome, upstream, MissingCredentialsError, "no key")


def _held(upstream: Upstream, request: Request) -> Reply:
    """A successful answer (or, without one, the start of a JSON body) that stops halfway and holds
    (a body sent whole is split in two for it)."""
    if upstream.answer is None:
        reply = Reply(200, {"Content-Type": "application/json"}, chunks=['{"'])
    else:
        reply = upstream.answer(request, ("Hello", ", world"))
    if reply.chunks is None:
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        reply = dataclasses.replace(reply, body=b"", chunks=[body[: len(body) // 2], body[len(body) // 2 :]])
    return dataclasses.replace(reply, hold_after=max(1, len(reply.chunks or ()) // 2))  # past the first text, mostly


async def _released(upstream: Upstream, what: str) -> None:
    if not await upstream.server.until(lambda s: s.answering == 0, RELEASE_WITHIN):
        raise fail(f"{what}, the connection was still open {RELEASE_WITHIN:g} s later (the response was not released)")


@_call_check
async def check_cancel_releases_connection(upstream: Upstream) -> None:
    """Cancelling a call mid-answer closes its connection promptly (and leaves nothing unclosed)."""
    upstream.server.respond(lambda request: _held(upstream, request))
    task = asyncio.ensure_future(upstream.call())
    if not await upstream.server.until(lambda s: s.answering > 0, CALL_LIMIT):
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise fail(f"no request reached the StandIn{upstream.reached()}")
    await asyncio.sleep(0.1)  # the client reads the first part of the answer
    task.cancel()
    done = await asyncio.gather(task, return_exceptions=True)
    if not isinstance(done[0], asyncio.CancelledError):
        got = done[0].error if isinstance(done[0], Outcome) else done[0]
        raise fail(f"a call cancelled mid-answer ended with {got!r:.100} instead of being cancelled")
    await _released(upstream, "after a call was cancelled mid-answer")


@_call_check
async def check_aclose_releases_connection(upstream: Upstream) -> None:
    """``aclose()`` after the first chunk releases the connection (and leaves nothing unclosed)."""
    upstream.require_answer()
    upstream.server.respond(lambda request: _held(upstream, request))
    answer: AsyncIterator[Any] = upstream.provider.create_async_generator(  # type: ignore[attr-defined]
        upstream.model, upstream.messages(), **upstream.kwargs()
    )
    first = asyncio.ensure_future(answer.__anext__())
    try:
        await asyncio.wait({first}, timeout=1.0)
        if not first.done():  # the provider reads the whole answer before yielding: let it finish
            upstream.server.release()
        try:
            await asyncio.wait_for(asyncio.shield(first), CALL_LIMIT)
        except asyncio.TimeoutError:
            raise fail(f"no first chunk within {CALL_LIMIT:g} s{upstream.reached()}") from None
        except Exception as exc:
            raise fail(f"the answer raised {describe_error(exc)}{upstream.reached()}") from None
    finally:
        if not first.done():
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)
        await answer.aclose()  # type: ignore[attr-defined]
    await _released(upstream, "after aclose()")


@_call_check
async def check_concurrent_calls(upstream: Upstream) -> None:
    """Concurrent calls each get their own answer, and calls change no class attribute of the provider."""
    count = 4
    markers = re.compile(r"probe-(\d+)")

    def answer(request: Request) -> Reply:
        found = markers.search(request.text())
        k = found.group(1) if found else "?"
        return dataclasses.replace(upstream.success(request, (f"answer {k}", " done")), delay=0.05)

    upstream.require_answer()
    upstream.server.respond(answer)
    before = _class_state(upstream.provider)
    outcomes = await asyncio.gather(*(upstream.call(marker=f"probe-{k}") for k in range(count)))
    for k, outcome in enumerate(outcomes):
        if outcome.error is not None:
            raise fail(
                f"call {k} of {count} concurrent calls raised {describe_error(outcome.error)}{upstream.reached()}"
            )
        if outcome.text != f"answer {k} done":
            raise fail(f"call {k} of {count} concurrent calls got {outcome.text[:60]!r}, not {f'answer {k} done'!r}")
    after = _class_state(upstream.provider)
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    if changed:
        shown = ", ".join(dict.fromkeys(key.rstrip("'") for key in changed[:5]))
        raise fail(f"calls changed class state: {shown} (per-call state belongs in locals)")


def _class_state(cls: type) -> dict[str, str]:
    """The provider's own class attributes (not the core's), as reprs, to compare before and after calls."""
    state = {}
    for depth, klass in enumerate(cls.__mro__):
        if klass.__module__.startswith(("providerhub.", "abc", "builtins")) or klass.__module__ == "providerhub":
            continue
        for key, value in vars(klass).items():
            if key.startswith("__") or isinstance(value, (classmethod, staticmethod, property)) or callable(value):
                continue
            state[f"{klass.__qualname__}.{key}" + "'" * depth] = repr(value)  # primes keep same-named classes apart
    return state
