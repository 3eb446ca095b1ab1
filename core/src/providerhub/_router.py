"""Routing one call across the candidates of a model name: retries, fallback and cooldowns.

The rule that matters most: once a text chunk has reached the caller, nothing is retried or
replaced, so the caller never receives a mix or a repeat of answers. Before that, every failure
is recorded (and may cool the candidate down) and the call moves on; events a provider yields
before its first text are held back until that text arrives, for the same reason.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Any

from ._resolution import Candidate, Resolution
from ._settings import RouterSettings
from ._state import Key, Rule, StateBackend, open_state
from .errors import (
    AllProvidersFailedError,
    Attempt,
    AuthenticationError,
    CooldownError,
    ProviderError,
    ProviderHubError,
    ProviderTimeoutError,
    RateLimitError,
    RequestError,
    ResponseError,
)
from .http import timeout_seconds
from .types import Chunk

AttemptFunction = Callable[[Candidate, "float | None"], AsyncIterator[Chunk]]
"""Performs one attempt: the candidate to ask, and the seconds left of the call (``None``: unbounded)."""

PINNED = ("prefix", "provider")
"""Resolution matches that name a provider: such a call is never routed to another."""

RETRY_WAIT_CAP = 10.0
"""The longest the router waits before retrying a candidate; a longer ``retry_after`` moves on instead."""
BACKOFF = 0.5
"""Seconds before the first retry (doubled for each further one, with jitter: 50-100 % of it)."""
AUTH_COOLDOWN_FACTOR = 20
"""An authentication failure or missing key cools a candidate this many times ``cooldown``."""
MAX_COOL = 86400.0
"""The longest cooldown a ``retry_after`` can start."""
PROBE_HOLD = 300.0
"""Seconds a probe is held when the call has no bound of its own."""


class _Expired(Exception):
    """The router's own clock ran out while waiting for a chunk (never leaves this module)."""


if sys.version_info >= (3, 11):

    def _uncancel(task: asyncio.Task[Any]) -> int:
        return task.uncancel()

else:  # pragma: no cover - Python 3.10 counts no cancellations

    def _uncancel(task: asyncio.Task[Any]) -> int:
        return 0


class _Clock:
    """An attempt's time limit as one timer, where a timeout context per chunk makes and cancels
    one timer per chunk: the chunk awaited when the limit passes is cancelled, and ``_Expired`` raised.

    The provider runs in the caller's task, and the caller's own code runs between two chunks,
    so the task is cancelled only while it waits for a chunk here. A limit that passes in between
    is acted on once the next chunk is awaited, as a timeout context entered late would be; a
    cancellation from elsewhere stays a cancellation.
    """

    __slots__ = ("_armed", "_fired", "_handle", "_late", "_loop", "_task", "_when")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._when: float | None = None
        self._armed = 0.0  # when the timer was set to ring
        self._handle: asyncio.Handle | None = None
        self._task: asyncio.Task[Any] | None = None  # the task waiting for a chunk, while one does
        self._late = False  # the limit passed while no chunk was awaited
        self._fired = False  # this clock cancelled the waiting task

    def _ring(self) -> None:
        self._handle = None
        if self._when is not None and self._when > self._armed:  # the limit moved later since it was set
            self._arm(self._when)
        elif self._task is None:
            self._late = True
        else:
            self._fired = True
            self._task.cancel()

    def _arm(self, when: float) -> None:
        self._armed = when
        self._handle = self._loop.call_at(when, self._ring)

    def stop(self) -> None:
        """Cancel the timer (at the attempt's end)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    async def next(self, answer: AsyncIterator[Chunk], when: float | None) -> Chunk:
        """The next chunk of ``answer``, or ``_Expired`` once loop time ``when`` has passed."""
        if when != self._when:
            if when is not None and self._when is not None and when > self._when and self._handle is not None:
                self._when = when  # a later limit (the first chunk came): the timer moves on when it rings
            else:
                self.stop()
                self._when, self._late = when, False
                if when is not None:
                    self._arm(when)
        if when is None:
            return await answer.__anext__()
        if self._late:  # the limit passed between two chunks: it rings as soon as this one is waited for
            self._late = False
            self._handle = self._loop.call_soon(self._ring)
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a routed call runs inside an asyncio task")
        self._task = task
        try:
            return await answer.__anext__()
        except asyncio.CancelledError:
            if self._fired:
                self._fired = False
                if _uncancel(task) == 0:  # ours alone: the limit, not a cancellation from elsewhere
                    raise _Expired from None
            raise
        except (asyncio.TimeoutError, TimeoutError):  # ``ProviderTimeoutError`` is one too
            if self._fired:  # the provider's own timer (set to what was left of the call) ran out with ours
                self._fired = False
                _uncancel(task)
                raise _Expired from None
            raise
        finally:
            self._task = None
            if self._fired:  # cancelled, but the provider caught it and went on: the chunk stands
                self._fired = False
                _uncancel(task)


async def _raising(exc: Exception) -> AsyncGenerator[Chunk, None]:
    if exc:  # always: the ``yield`` below only makes this an async generator
        raise exc
    yield ""


def _start(attempt: AttemptFunction, candidate: Candidate, remaining: float | None) -> AsyncIterator[Chunk]:
    """The attempt's answer; an attempt that fails before it has one fails as its first chunk would."""
    try:
        return attempt(candidate, remaining)
    except Exception as exc:
        return _raising(exc)


async def _close(answer: AsyncIterator[Chunk], clock: _Clock) -> None:
    clock.stop()
    aclose = getattr(answer, "aclose", None)
    if aclose is not None:
        await aclose()


def _as_provider_error(exc: BaseException, candidate: Candidate) -> ProviderError:
    """What an attempt's failure is, as a ``ProviderError`` naming the candidate."""
    if isinstance(exc, ProviderError):
        if exc.provider is None:
            exc.provider = candidate.provider
        if exc.model is None:
            exc.model = candidate.model
        return exc
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, ProviderHubError):  # e.g. ModelNotSupportedError: this one cannot, another may
        error = ProviderError(detail, provider=candidate.provider, model=candidate.model, retryable=False)
    else:
        error = ProviderError(
            f"provider {candidate.provider} failed: {type(exc).__name__}: {detail}",
            provider=candidate.provider,
            model=candidate.model,
        )
    error.__cause__ = exc
    return error


class Router:
    """Routes calls by one set of settings, keeping failure counts and cooldowns in ``state``."""

    backoff: float = BACKOFF

    def __init__(self, settings: RouterSettings | None = None, state: StateBackend | None = None) -> None:
        self.settings = settings or RouterSettings()
        self._state = state

    @property
    def state(self) -> StateBackend:
        """The state backend, opened on first use from ``settings.state_url``."""
        if self._state is None:
            self._state = open_state(self.settings.state_url)
        return self._state

    def _rule(self) -> Rule:
        s = self.settings
        return Rule(s.allowed_fails, s.window, s.cooldown)

    def _cool_for(self, error: ProviderError) -> float | None:
        """A cooldown to start at once for this failure, whatever the count."""
        if isinstance(error, AuthenticationError):
            return self.settings.cooldown * AUTH_COOLDOWN_FACTOR
        if (isinstance(error, RateLimitError) or error.status == 429) and error.retry_after:
            return min(max(error.retry_after, 0.001), MAX_COOL)
        return None

    def _retry_delay(self, tries: int, error: ProviderError, cooling: float | None) -> float | None:
        """Seconds to wait before trying the same candidate again, or ``None`` to move on."""
        if not error.retryable or tries >= self.settings.retries:
            return None
        step = self.backoff * 2**tries
        delay = max(random.uniform(step / 2, step), error.retry_after or 0.0, cooling or 0.0)
        return delay if delay <= RETRY_WAIT_CAP else None

    async def stream(
        self,
        found: Resolution,
        attempt: AttemptFunction,
        *,
        fallback: bool | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Chunk, None]:
        """Answer with the first candidate of ``found`` that gives text; see the module's rule.

        ``timeout`` (else ``settings.timeout``) bounds the whole call. When every candidate fails,
        the error is ``AllProvidersFailedError``; when only one candidate was tried (retries
        included), its last error, as it is.
        """
        settings = self.settings
        loop = asyncio.get_running_loop()
        budget = settings.timeout if timeout is None else timeout_seconds(timeout)
        deadline = None if budget is None else loop.time() + budget
        routed = settings.fallback if fallback is None else fallback
        pool: Sequence[Candidate] = found.candidates
        if not routed or found.match in PINNED:
            pool = pool[:1]
        state = self.state
        standings = await state.standings([(c.provider, c.model) for c in pool])
        attempts: list[Attempt] = []
        for candidate, standing in zip(pool, standings, strict=True):
            key: Key = (candidate.provider, candidate.model)
            wait, probing = standing.wait, False
            if wait is None and standing.probe:
                hold = min(settings.first_chunk_timeout or PROBE_HOLD, budget or PROBE_HOLD)
                wait = await state.claim_probe(key, hold)
                probing = wait is None
            if wait is not None:
                skipped = CooldownError(
                    f"skipped: cooling down after recent failures, for {wait:.3g} s more",
                    provider=candidate.provider,
                    model=candidate.model,
                    retry_after=wait,
                )
                attempts.append(Attempt(candidate.provider, candidate.model, skipped, skipped.status, wait, 0.0))
                continue
            tries = 0
            while True:
                started = loop.time()
                if deadline is not None and started >= deadline:
                    break
                first_by = None if settings.first_chunk_timeout is None else started + settings.first_chunk_timeout
                until = first_by if deadline is None else deadline if first_by is None else min(first_by, deadline)
                clock = _Clock(loop)
                answer = _start(attempt, candidate, None if deadline is None else deadline - started)
                held: list[Any] = []
                try:
                    while True:
                        chunk = await clock.next(answer, until)
                        if isinstance(chunk, str):
                            if chunk:
                                break
                        else:
                            held.append(chunk)
                except RequestError:
                    await _close(answer, clock)
                    raise
                except Exception as exc:
                    await _close(answer, clock)
                    if isinstance(exc, StopAsyncIteration):
                        error: ProviderError = ResponseError(
                            f"{candidate.provider} returned an empty answer",
                            provider=candidate.provider,
                            model=candidate.model,
                            retryable=False,
                        )
                    elif isinstance(exc, _Expired):
                        ran_out = until == deadline
                        error = ProviderTimeoutError(
                            f"the call's timeout of {budget:g} s ran out while waiting for {candidate.provider}"
                            if ran_out
                            else f"{candidate.provider} sent no text within {settings.first_chunk_timeout:g} s",
                            provider=candidate.provider,
                            model=candidate.model,
                        )
                    else:
                        error = _as_provider_error(exc, candidate)
                    elapsed = loop.time() - started
                    attempts.append(
                        Attempt(candidate.provider, candidate.model, error, error.status, error.retry_after, elapsed)
                    )
                    counted = isinstance(exc, (ProviderError, StopAsyncIteration, _Expired))
                    cooling = await state.failed(key, self._rule(), self._cool_for(error)) if counted else None
                    probing = False
                    delay = self._retry_delay(tries, error, cooling)
                    if delay is None or (deadline is not None and loop.time() + delay >= deadline):
                        break
                    tries += 1
                    await asyncio.sleep(delay)
                    continue
                except BaseException:
                    await _close(answer, clock)
                    raise
                # The first text: from here on this candidate's answer is the call's answer.
                try:
                    if probing:
                        await state.succeeded(key)
                    for event in held:
                        yield event
                    yield chunk
                    while True:
                        try:
                            chunk = await clock.next(answer, deadline)
                        except StopAsyncIteration:
                            return
                        yield chunk
                except ProviderError as exc:
                    exc.partial = True
                    _as_provider_error(exc, candidate)
                    await state.failed(key, self._rule(), self._cool_for(exc))
                    raise
                except _Expired:
                    await state.failed(key, self._rule())
                    raise ProviderTimeoutError(
                        f"the call's timeout of {budget:g} s ran out while {candidate.provider} was answering",
                        provider=candidate.provider,
                        model=candidate.model,
                        partial=True,
                    ) from None
                except ProviderHubError:
                    raise
                except Exception as exc:
                    error = _as_provider_error(exc, candidate)
                    error.partial = True
                    await state.failed(key, self._rule())
                    raise error from exc
                finally:
                    await _close(answer, clock)
            if deadline is not None and loop.time() >= deadline:
                break
        if not attempts:
            raise ProviderTimeoutError(
                f"the call's timeout of {budget:g} s ran out before any provider was asked", model=found.model
            )
        if len({(a.provider, a.model) for a in attempts}) == 1:
            raise attempts[-1].error  # one candidate: its own error says it best, type and all
        raise AllProvidersFailedError(found.requested, attempts, model=found.model) from attempts[-1].error
