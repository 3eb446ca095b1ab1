"""The invariant of routing: whatever fails where, a caller receives exactly one provider's answer (or part of it)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import providerhub
from providerhub import AllProvidersFailedError
from support.faults import Step, install_faults
from support.plugins import PluginSite

from .helpers import MODEL, collect, fast_router, routed

NAMES = ("A", "B", "C")
ERRORS = [
    "ResponseError('HTTP 503', status=503)",
    "ResponseError('HTTP 400', status=400)",
    "RateLimitError('HTTP 429', status=429, retry_after=0.01)",
    "RateLimitError('HTTP 429', status=429)",
    "AuthenticationError('HTTP 401', status=401)",
    "ProviderTimeoutError('timed out')",
    "ProviderConnectionError('refused')",
    "ModelNotSupportedError('not this input')",
    "RuntimeError('a plugin bug')",
    "MessagesError('bad messages')",
]
STALL = 0.2
FIRST_CHUNK_TIMEOUT = 0.03


@st.composite
def steps(draw: st.DrawFn, name: str, index: int) -> Step:
    chunks = [f"<{name}{index}.{j}>" for j in range(draw(st.integers(1, 3)))]
    kind = draw(st.sampled_from(["answer", "fail", "fail_after", "empty", "events", "stall", "slow"]))
    if kind == "answer":
        return ("answer", *chunks)
    if kind == "fail":
        return ("fail", draw(st.sampled_from(ERRORS)))
    if kind == "fail_after":
        return ("fail_after", chunks, draw(st.sampled_from(ERRORS)))
    if kind == "stall":  # longer than the first-chunk timeout: a failure
        return ("stall", STALL, *chunks)
    if kind == "slow":  # within it: an answer
        return ("stall", 0.001, *chunks)
    return (kind,)


@st.composite
def scripts(draw: st.DrawFn) -> dict[str, list[Step]]:
    return {name: [draw(steps(name, i)) for i in range(draw(st.integers(1, 3)))] for name in NAMES}


def answers(script: dict[str, list[Step]]) -> set[str]:
    """Every text some single call of some provider would give in full."""
    texts = set()
    for steps_ in script.values():
        for step in steps_:
            if step[0] == "answer":
                texts.add("".join(step[1:]))
            elif step[0] == "stall":
                texts.add("".join(step[2:]))
            elif step[0] == "fail_after":
                texts.add("".join(step[1]))
    return texts


@pytest.fixture
def fault_trio(plugin_site: PluginSite) -> dict[str, Any]:
    install_faults(plugin_site, MODEL, {name: [("empty",)] for name in NAMES})
    return {name: providerhub.get_provider(f"{name}/{MODEL}") for name in NAMES}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    script=scripts(),
    retries=st.integers(0, 2),
    allowed_fails=st.integers(1, 3),
    calls_in_a_row=st.integers(1, 3),
)
def test_a_caller_receives_one_answer_never_a_mix_or_a_repeat(
    fault_trio: dict[str, Any], script: dict[str, list[Step]], retries: int, allowed_fails: int, calls_in_a_row: int
) -> None:
    for name, provider in fault_trio.items():
        provider.SCRIPT = script[name]
        provider.calls.clear()
    router = fast_router(retries=retries, allowed_fails=allowed_fails, first_chunk_timeout=FIRST_CHUNK_TIMEOUT)
    whole = answers(script)

    async def run() -> None:
        for _ in range(calls_in_a_row):  # later calls meet the cooldowns earlier ones started
            outcome = await collect(routed(router))
            error, started = outcome.error, outcome.text != ""
            # one provider's whole answer; or, when an error ends the call, nothing or one whole answer
            assert outcome.text in whole or (error is not None and not started)
            # a provider error says whether text reached the caller; a routing failure comes before any text
            assert getattr(error, "partial", started) == started
            assert not (started and isinstance(error, AllProvidersFailedError))

    asyncio.run(run())
