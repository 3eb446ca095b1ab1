"""The routing loop against fault providers installed as real plugins: each path of a routed call."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

import providerhub
from providerhub import AllProvidersFailedError, Attempt
from providerhub._router import AUTH_COOLDOWN_FACTOR, RETRY_WAIT_CAP
from providerhub._state import MemoryState
from providerhub.errors import (
    AuthenticationError,
    CooldownError,
    OptionsError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseError,
)
from support.faults import Step
from support.plugins import PluginSite

from .helpers import MODEL, Install, calls, collect, fast_router, routed

OK = ("answer", "Hello", " there")

RETRYABLE = {
    "ResponseError 503": "ResponseError('HTTP 503', status=503)",
    "RateLimitError": "RateLimitError('HTTP 429', status=429)",
    "ProviderTimeoutError": "ProviderTimeoutError('read timed out')",
    "ProviderConnectionError": "ProviderConnectionError('connection refused')",
}
FINAL = {
    "ResponseError 400": "ResponseError('HTTP 400', status=400)",
    "AuthenticationError": "AuthenticationError('HTTP 401', status=401)",
    "MissingCredentialsError": "MissingCredentialsError('no key in FAULT_API_KEY')",
    "ProviderError not retryable": "ProviderError('cannot take this input', retryable=False)",
    "ModelNotSupportedError": "ModelNotSupportedError('no second image')",
    "a raw exception": "KeyError('choices')",
}


@pytest.mark.parametrize("error", list(RETRYABLE.values()), ids=list(RETRYABLE))
async def test_a_retryable_failure_is_retried_then_the_next_candidate_answers(faults: Install, error: str) -> None:
    faults(A=[("fail", error)], B=[OK])
    router = fast_router(retries=2)
    outcome = await collect(routed(router))
    assert outcome == ("Hello there", [], None)
    assert (calls("A"), calls("B")) == (3, 1)


@pytest.mark.parametrize("error", list(FINAL.values()), ids=list(FINAL))
async def test_a_final_failure_moves_on_at_once(faults: Install, error: str) -> None:
    faults(A=[("fail", error)], B=[OK])
    outcome = await collect(routed(fast_router(retries=2)))
    assert outcome == ("Hello there", [], None)
    assert (calls("A"), calls("B")) == (1, 1)


async def test_the_attempts_of_a_failed_call_keep_each_error(faults: Install) -> None:
    faults(
        A=[("fail", "ResponseError('HTTP 503 from upstream', status=503)")],
        B=[("fail", "KeyError('choices')")],
        C=[("fail", "AuthenticationError('HTTP 401: bad key', status=401)")],
    )
    outcome = await collect(routed(fast_router(retries=1)))
    error = outcome.error
    assert isinstance(error, AllProvidersFailedError)
    assert isinstance(error, ProviderError)
    assert [(a.provider, a.model, type(a.error), a.status) for a in error.attempts] == [
        ("A", MODEL, ResponseError, 503),
        ("A", MODEL, ResponseError, 503),
        ("B", MODEL, ProviderError, None),
        ("C", MODEL, AuthenticationError, 401),
    ]
    assert isinstance(error.attempts[2].error.__cause__, KeyError)
    assert all(isinstance(a, Attempt) and a.elapsed >= 0 for a in error.attempts)
    assert (error.status, error.retry_after, error.partial) == (502, None, False)
    assert error.retryable  # a 503 may pass
    lines = str(error).splitlines()
    assert lines[0] == "all 3 providers failed for 'fault-1':"
    assert lines[1:] == [
        "  A (fault-1): HTTP 503 from upstream",
        "  A (fault-1): HTTP 503 from upstream",
        "  B (fault-1): provider B failed: KeyError: 'choices'",
        "  C (fault-1): HTTP 401: bad key",
    ]
    assert "\n" not in error.summary
    assert error.summary.startswith("all 3 providers failed for 'fault-1': A (fault-1): HTTP 503 from upstream; ")


async def test_all_rate_limited_is_429_with_the_smallest_retry_after(faults: Install) -> None:
    faults(
        A=[("fail", "RateLimitError('slow down', status=429, retry_after=40)")],
        B=[("fail", "RateLimitError('slow down', status=429, retry_after=25)")],
    )
    error = (await collect(routed(fast_router()))).error
    assert isinstance(error, AllProvidersFailedError)
    assert (error.status, error.retry_after, error.retryable) == (429, 25, True)
    assert (calls("A"), calls("B")) == (1, 1)  # retry_after beyond the wait cap: moved on, no retry


async def test_one_rate_limit_among_other_failures_is_502(faults: Install) -> None:
    faults(
        A=[("fail", "RateLimitError('slow', status=429, retry_after=40)")],
        B=[("fail", "ResponseError('x', status=500)")],
    )
    error = (await collect(routed(fast_router(retries=0)))).error
    assert isinstance(error, AllProvidersFailedError)
    assert (error.status, error.retry_after) == (502, None)


async def test_a_lone_failed_attempt_is_raised_as_it_is(faults: Install) -> None:
    faults(A=[("fail", "AuthenticationError('HTTP 401', status=401)")])
    error = (await collect(routed(fast_router()))).error
    assert type(error) is AuthenticationError
    assert (error.provider, error.model, error.partial) == ("A", MODEL, False)


async def test_a_lone_candidate_retried_raises_its_last_error(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('first 503', status=503)"), ("fail", "ProviderTimeoutError('then slow')")])
    error = (await collect(routed(fast_router(retries=1)))).error
    assert type(error) is ProviderTimeoutError
    assert str(error) == "then slow"
    assert calls("A") == 2


async def test_a_bad_call_timeout_is_an_options_error(faults: Install) -> None:
    faults(A=[OK])
    error = (await collect(routed(fast_router(), timeout=-1))).error
    assert type(error) is OptionsError
    assert str(error) == "timeout must be a finite, positive number of seconds, not -1"
    assert calls("A") == 0


async def test_a_request_error_ends_the_call_at_once(faults: Install) -> None:
    faults(A=[("fail", "OptionsError('unknown option temprature')")], B=[OK])
    error = (await collect(routed(fast_router(retries=3)))).error
    assert type(error) is OptionsError
    assert (calls("A"), calls("B")) == (1, 0)


async def test_a_failure_after_the_first_chunk_is_partial_and_never_replaced(faults: Install) -> None:
    faults(A=[("fail_after", ["Hel", "lo"], "ProviderConnectionError('reset by peer')")], B=[OK])
    outcome = await collect(routed(fast_router(retries=3)))
    assert outcome.text == "Hello"
    assert type(outcome.error) is ProviderConnectionError
    assert outcome.error.partial and outcome.error.provider == "A"
    assert (calls("A"), calls("B")) == (1, 0)


async def test_a_raw_exception_after_the_first_chunk_is_a_partial_provider_error(faults: Install) -> None:
    faults(A=[("fail_after", ["Hel"], "RuntimeError('boom')")], B=[OK])
    outcome = await collect(routed(fast_router()))
    assert outcome.text == "Hel"
    assert type(outcome.error) is ProviderError
    assert outcome.error.partial and isinstance(outcome.error.__cause__, RuntimeError)
    assert calls("B") == 0


@pytest.mark.parametrize("step", [("empty",), ("answer", "", ""), ("events",)], ids=["nothing", "empty text", "events"])
async def test_an_empty_answer_is_a_failure(faults: Install, step: Step) -> None:
    faults(A=[step], B=[OK])
    outcome = await collect(routed(fast_router()))
    assert outcome == ("Hello there", [], None)  # A's events never reach the caller
    assert (calls("A"), calls("B")) == (1, 1)


async def test_an_empty_answer_alone_is_a_response_error(faults: Install) -> None:
    faults(A=[("empty",)])
    error = (await collect(routed(fast_router()))).error
    assert type(error) is ResponseError
    assert str(error) == "A returned an empty answer"


async def test_events_before_the_first_text_arrive_with_it(faults: Install, plugin_site: PluginSite) -> None:
    plugin_site.add(
        "events",
        """
from providerhub import AsyncGeneratorProvider, FinishReason, ProviderModelMixin, Usage, hookimpl

class Eventful(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "fault-1"
    models = ["fault-1"]

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        yield Usage(3, 0, 3)
        yield "Hi"
        yield FinishReason("stop")

@hookimpl
def register_providers():
    return [Eventful]
""",
    )
    received = [chunk async for chunk in routed(fast_router())]
    assert received == [providerhub.Usage(3, 0, 3), "Hi", providerhub.FinishReason("stop")]


async def test_no_first_chunk_in_time_moves_on(faults: Install) -> None:
    faults(A=[("stall", 5, "late")], B=[OK])
    started = time.monotonic()
    outcome = await collect(routed(fast_router(first_chunk_timeout=0.2, retries=0)))
    assert outcome == ("Hello there", [], None)
    assert 0.2 <= time.monotonic() - started < 2


async def test_the_first_chunk_timeout_is_a_retryable_timeout(faults: Install) -> None:
    faults(A=[("stall", 5, "late")], B=[("fail", "ResponseError('x', status=400)")])
    error = (await collect(routed(fast_router(first_chunk_timeout=0.1, retries=0)))).error
    assert isinstance(error, AllProvidersFailedError)
    timeout = error.attempts[0].error
    assert type(timeout) is ProviderTimeoutError and timeout.retryable
    assert str(timeout) == "A sent no text within 0.1 s"
    assert 0.1 <= error.attempts[0].elapsed < 1


async def test_one_deadline_bounds_every_attempt(faults: Install) -> None:
    faults(A=[("stall", 5, "late")], B=[("stall", 5, "late")], C=[OK])
    started = time.monotonic()
    error = (await collect(routed(fast_router(first_chunk_timeout=0.3, retries=0), timeout=0.5))).error
    took = time.monotonic() - started
    assert isinstance(error, AllProvidersFailedError)
    assert 0.5 <= took < 1.5
    assert calls("C") == 0
    assert str(error.attempts[-1].error) == "the call's timeout of 0.5 s ran out while waiting for B"


async def test_the_deadline_ends_a_stalled_answer_as_partial(faults: Install) -> None:
    faults(A=[("stall_after", ["Hel"], 5)], B=[OK])
    started = time.monotonic()
    outcome = await collect(routed(fast_router(timeout=0.3)))
    assert time.monotonic() - started < 1.5
    assert outcome.text == "Hel"
    assert type(outcome.error) is ProviderTimeoutError and outcome.error.partial
    assert calls("B") == 0


async def test_after_the_first_text_the_call_deadline_applies_not_the_first_chunk_timeout(faults: Install) -> None:
    faults(A=[("stall_after", ["Hel"], 5)], B=[OK])
    started = time.monotonic()
    outcome = await collect(routed(fast_router(first_chunk_timeout=0.1), timeout=0.4))
    took = time.monotonic() - started
    assert outcome.text == "Hel" and 0.4 <= took < 1.5
    assert type(outcome.error) is ProviderTimeoutError and outcome.error.partial
    assert str(outcome.error) == "the call's timeout of 0.4 s ran out while A was answering"


async def test_the_callers_own_wait_between_chunks_is_not_cut_but_the_next_chunk_is(faults: Install) -> None:
    faults(A=[OK])
    found = providerhub.resolve(MODEL)

    async def answer() -> AsyncIterator[providerhub.Chunk]:
        yield "first"
        await asyncio.sleep(0.05)  # the provider waits for its next chunk: the limit has passed by then
        yield "second"

    chunks = fast_router(retries=0).stream(found, lambda candidate, left: answer(), timeout=0.2)
    assert await chunks.__anext__() == "first"
    await asyncio.sleep(0.4)  # the caller's own wait, past the call's limit: not cancelled
    with pytest.raises(ProviderTimeoutError, match="ran out while A was answering") as caught:
        await chunks.__anext__()
    assert caught.value.partial
    await chunks.aclose()


async def test_a_provider_that_swallows_the_cancellation_keeps_its_chunk(faults: Install) -> None:
    faults(A=[OK])
    found = providerhub.resolve(MODEL)

    async def answer() -> AsyncIterator[providerhub.Chunk]:
        with contextlib.suppress(asyncio.CancelledError):  # it ignores being cut off, and answers
            await asyncio.sleep(5)
        yield "late but here"

    router = fast_router(retries=0, first_chunk_timeout=0.1)
    received = [chunk async for chunk in router.stream(found, lambda candidate, left: answer())]
    assert received == ["late but here"]
    await asyncio.sleep(0.01)  # no cancellation is left over for the caller's task


@pytest.mark.parametrize("own", [TimeoutError, ProviderTimeoutError], ids=["TimeoutError", "ProviderTimeoutError"])
async def test_a_provider_timing_out_as_the_call_does_is_the_calls_timeout(
    faults: Install, own: type[TimeoutError]
) -> None:
    faults(A=[OK])
    found = providerhub.resolve(MODEL)

    async def answer() -> AsyncIterator[providerhub.Chunk]:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:  # as aiohttp (and Dynaspark over it) does when its own timer rang too
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            raise own("its own timer ran out") from None
        yield "never"

    router = fast_router(retries=0)
    outcome = await collect(router.stream(found, lambda candidate, left: answer(), timeout=0.2))
    assert type(outcome.error) is ProviderTimeoutError
    assert str(outcome.error) == "the call's timeout of 0.2 s ran out while waiting for A"
    await asyncio.sleep(0.01)  # no cancellation is left over for the caller's task


async def test_a_cancellation_from_elsewhere_stays_a_cancellation(faults: Install) -> None:
    faults(A=[("stall", 5, "late")])
    task = asyncio.ensure_future(collect(routed(fast_router(timeout=60, first_chunk_timeout=30))))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_routed_call_leaves_no_timer_behind(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('HTTP 503', status=503)"), OK])
    loop = asyncio.get_running_loop()
    pending = {handle for handle in loop._scheduled if not handle.cancelled()}  # type: ignore[attr-defined]
    outcome = await collect(routed(fast_router(retries=1, timeout=300, first_chunk_timeout=100)))
    assert outcome == ("Hello there", [], None)
    assert {handle for handle in loop._scheduled if not handle.cancelled()} <= pending  # type: ignore[attr-defined]


async def test_a_short_retry_after_is_waited_for_then_retried(faults: Install) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=0.3)"), OK])
    started = time.monotonic()
    outcome = await collect(routed(fast_router(retries=1)))
    assert outcome == ("Hello there", [], None)
    assert time.monotonic() - started >= 0.3
    assert calls("A") == 2


async def test_a_long_retry_after_is_not_waited_for(faults: Install) -> None:
    faults(A=[("fail", f"RateLimitError('slow', status=429, retry_after={RETRY_WAIT_CAP + 5})"), OK])
    started = time.monotonic()
    error = (await collect(routed(fast_router(retries=3)))).error
    assert type(error) is RateLimitError
    assert time.monotonic() - started < 1
    assert calls("A") == 1


async def test_backoff_grows_with_jitter(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('x', status=502)")] * 3 + [OK])
    router = fast_router(retries=3, allowed_fails=10)
    router.backoff = 0.05  # waits of 25-50, 50-100 and 100-200 ms
    started = time.monotonic()
    outcome = await collect(routed(router))
    assert outcome.error is None
    assert 0.175 <= time.monotonic() - started < 1.5


# -- pinned names and fallback=False --------------------------------------------------------------


@pytest.mark.parametrize("name", ["A/fault-1", "A", "a"])
async def test_a_name_pinning_a_provider_is_not_routed_elsewhere(faults: Install, name: str) -> None:
    faults(A=[("fail", "ResponseError('x', status=500)")], B=[OK])
    error = (await collect(routed(fast_router(retries=1), name))).error
    assert type(error) is ResponseError
    assert (calls("A"), calls("B")) == (2, 0)


async def test_fallback_off_tries_only_the_first_candidate(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('x', status=400)")], B=[OK])
    error = (await collect(routed(fast_router(), fallback=False))).error
    assert type(error) is ResponseError
    assert calls("B") == 0
    faults(A=[("fail", "ResponseError('x', status=400)")], B=[OK])
    assert (await collect(routed(fast_router(fallback=False)))).error is not None


# -- cooldowns ----------------------------------------------------------------------------------


async def test_allowed_fails_within_the_window_start_a_cooldown(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('x', status=500)")], B=[OK])
    router = fast_router(retries=0, allowed_fails=2, window=60, cooldown=30)
    for _ in range(2):
        assert (await collect(routed(router))).text == "Hello there"
    assert calls("A") == 2
    for _ in range(3):
        assert (await collect(routed(router))).text == "Hello there"
    assert (calls("A"), calls("B")) == (2, 5)


async def test_failures_outside_the_window_do_not_add_up(faults: Install) -> None:
    faults(A=[("fail", "ResponseError('x', status=500)")], B=[OK])
    router = fast_router(retries=0, allowed_fails=2, window=0.2, cooldown=30)
    for _ in range(3):
        await collect(routed(router))
        await asyncio.sleep(0.25)
    assert calls("A") == 3


async def test_a_retry_after_cools_at_once(faults: Install) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=30)"), OK], B=[OK])
    router = fast_router(allowed_fails=5)
    await collect(routed(router))
    outcome = await collect(routed(router))
    assert outcome == ("Hello there", [], None)
    assert (calls("A"), calls("B")) == (1, 2)
    (standing,) = await router.state.standings([("A", MODEL)])
    assert standing.wait is not None and 29 < standing.wait <= 30


@pytest.mark.parametrize("error", ["AuthenticationError('HTTP 401', status=401)", "MissingCredentialsError('no key')"])
async def test_an_authentication_failure_cools_much_longer(faults: Install, error: str) -> None:
    faults(A=[("fail", error)], B=[OK])
    router = fast_router(cooldown=10, allowed_fails=5)
    await collect(routed(router))
    (standing,) = await router.state.standings([("A", MODEL)])
    assert standing.wait is not None and 10 * AUTH_COOLDOWN_FACTOR - 1 < standing.wait <= 10 * AUTH_COOLDOWN_FACTOR


async def test_when_every_candidate_is_cooling_the_call_fails_at_once(faults: Install) -> None:
    faults(
        A=[("fail", "RateLimitError('slow', status=429, retry_after=40)")],
        B=[("fail", "RateLimitError('slow', status=429, retry_after=20)")],
    )
    router = fast_router()
    await collect(routed(router))
    started = time.monotonic()
    error = (await collect(routed(router))).error
    assert time.monotonic() - started < 0.5
    assert isinstance(error, AllProvidersFailedError)
    assert [type(a.error) for a in error.attempts] == [CooldownError, CooldownError]
    assert [a.elapsed for a in error.attempts] == [0.0, 0.0]
    assert error.status == 429
    assert error.retry_after is not None and 19 < error.retry_after <= 20
    assert (calls("A"), calls("B")) == (1, 1)


async def test_a_lone_cooling_candidate_fails_with_its_retry_after(faults: Install) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=40)"), OK])
    router = fast_router()
    await collect(routed(router))
    error = (await collect(routed(router))).error
    assert type(error) is CooldownError
    assert error.retryable and error.retry_after is not None and 39 < error.retry_after <= 40
    assert calls("A") == 1


async def test_after_a_cooldown_one_probe_decides(faults: Install) -> None:
    faults(
        A=[("fail", "RateLimitError('slow', status=429, retry_after=0.2)"), ("stall", 0.3, "A answers"), OK],
        B=[("answer", "B answers")],
    )
    router = fast_router(retries=0, allowed_fails=5)
    assert (await collect(routed(router))).text == "B answers"
    await asyncio.sleep(0.25)
    # Cooldown over: the first call probes A; a call meanwhile skips A while the probe is out.
    probe = asyncio.ensure_future(collect(routed(router)))
    await asyncio.sleep(0.05)
    assert (await collect(routed(router))).text == "B answers"
    assert (await probe).text == "A answers"
    assert (await collect(routed(router))).text == "Hello there"
    assert calls("A") == 3


async def test_a_failed_probe_cools_again_at_once(faults: Install) -> None:
    faults(
        A=[("fail", "RateLimitError('slow', status=429, retry_after=0.2)"), ("fail", "ResponseError('x', status=500)")],
        B=[OK],
    )
    router = fast_router(retries=0, allowed_fails=5, cooldown=30)
    await collect(routed(router))
    await asyncio.sleep(0.25)
    await collect(routed(router))  # the probe fails once: with allowed_fails=5, only probation cools it
    for _ in range(3):
        await collect(routed(router))
    assert calls("A") == 2
    (standing,) = await router.state.standings([("A", MODEL)])
    assert standing.wait is not None and 29 < standing.wait <= 30


async def test_a_failure_mid_answer_counts_towards_a_cooldown(faults: Install) -> None:
    faults(A=[("fail_after", ["x"], "ProviderConnectionError('reset')")], B=[OK])
    router = fast_router(allowed_fails=2)
    for _ in range(2):
        assert (await collect(routed(router))).error is not None
    assert (await collect(routed(router))).text == "Hello there"
    assert calls("A") == 2


async def test_state_is_shared_by_calls_of_one_router_only(faults: Install) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=30)"), OK], B=[OK])
    await collect(routed(fast_router()))
    assert (await collect(routed(fast_router(state=MemoryState())))).text == "Hello there"
    assert calls("A") == 2


async def test_a_caller_that_stops_reading_closes_the_answer(faults: Install, plugin_site: PluginSite) -> None:
    plugin_site.add(
        "closing",
        """
import asyncio
from providerhub import AsyncGeneratorProvider, ProviderModelMixin, hookimpl

class Closing(AsyncGeneratorProvider, ProviderModelMixin):
    default_model = "fault-1"
    models = ["fault-1"]
    closed = []

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):
        try:
            while True:
                yield "more "
                await asyncio.sleep(0)
        finally:
            cls.closed.append(True)

@hookimpl
def register_providers():
    return [Closing]
""",
    )
    answer = routed(fast_router())
    assert await answer.__anext__() == "more "
    await answer.aclose()  # type: ignore[attr-defined]
    assert providerhub.get_provider("Closing").closed == [True]  # type: ignore[attr-defined]


async def test_an_attempt_that_cannot_start_is_a_failure_of_that_candidate(faults: Install) -> None:
    faults(A=[OK], B=[("answer", "B answers")])
    found = providerhub.resolve(MODEL)

    def attempt(candidate: providerhub.Candidate, timeout: float | None) -> AsyncIterator[providerhub.Chunk]:
        if candidate.provider == "A":
            raise ImportError("the plugin of A cannot be imported")
        provider = providerhub.get_provider(f"{candidate.provider}/{candidate.model}")
        return provider.create_async_generator(candidate.model, [])  # type: ignore[attr-defined, no-any-return]

    outcome = await collect(fast_router().stream(found, attempt))
    assert outcome == ("B answers", [], None)


async def test_an_upstream_429_with_retry_after_cools_its_provider(faults: Install) -> None:
    from aiohttp import web

    from support.apps import serve_app

    served = []

    async def handle(request: web.Request) -> web.Response:
        served.append(request.path)
        return web.Response(status=429, text="slow down", headers={"Retry-After": "30"})

    app = web.Application()
    app.router.add_get("/v1/answer", handle)
    async with serve_app(app) as url:
        faults(A=[("http", f"{url}/v1/answer")], B=[OK])
        router = fast_router(retries=2)
        assert (await collect(routed(router))).text == "Hello there"
        assert (await collect(routed(router))).text == "Hello there"
    assert served == ["/v1/answer"]  # 30 s is beyond the retry wait cap, and A then cools for 30 s
    (standing,) = await router.state.standings([("A", MODEL)])
    assert standing.wait is not None and 29 < standing.wait <= 30


def test_a_failure_summary_lists_at_most_twenty_attempts() -> None:
    attempts = [Attempt(f"P{i}", MODEL, ResponseError(f"HTTP 500 #{i}", status=500), 500, None, 0.1) for i in range(25)]
    error = AllProvidersFailedError("fault-1", attempts)
    lines = str(error).splitlines()
    assert len(lines) == 22
    assert lines[0] == "all 25 providers failed for 'fault-1':"
    assert lines[20] == "  P19 (fault-1): HTTP 500 #19"
    assert lines[21] == "  and 5 more attempts"
    assert error.summary.endswith("; P19 (fault-1): HTTP 500 #19; and 5 more attempts")
    assert len(error.attempts) == 25
