"""Routing through the public calls: Hub(...) settings, the [router] table, PROVIDERHUB_* variables, stream/complete."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest

import providerhub
from providerhub import AllProvidersFailedError, ConfigWarning, Hub
from providerhub._settings import RouterSettings
from providerhub._state import MemoryState
from support.redis_server import RedisServer

from .helpers import MESSAGES, MODEL, Install, calls

FAILING = ("fail", "ResponseError('HTTP 503', status=503)")


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providerhub.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def text_of(chunks: list[providerhub.Chunk]) -> str:
    return "".join(c for c in chunks if isinstance(c, str))


def test_the_defaults(tmp_path: Path) -> None:
    hub = Hub(config=tmp_path / "absent.toml")
    assert hub.router.settings == RouterSettings()
    assert isinstance(hub.router.state, MemoryState)


def test_arguments_override_the_router_table(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
        [router]
        retries = 3
        cooldown = 12
        window = 30
        timeout = inf
        first_chunk_timeout = "none"
        """,
    )
    hub = Hub(config=path, retries=0, window=5)
    assert hub.router.settings == RouterSettings(
        retries=0, cooldown=12.0, window=5.0, timeout=None, first_chunk_timeout=None
    )
    assert Hub(config=path, timeout=math.inf, first_chunk_timeout=10).router.settings.first_chunk_timeout == 10.0


def test_a_bad_router_entry_is_left_out_with_a_warning(tmp_path: Path) -> None:
    path = config(tmp_path, "[router]\nretries = -2\ncooldown = 7\n")
    with pytest.warns(
        ConfigWarning, match=r"providerhub\.toml: \[router\]: retries must be a whole number >= 0, not -2"
    ):
        hub = Hub(config=path)
    assert hub.router.settings == RouterSettings(cooldown=7.0)


def test_a_bad_argument_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^allowed_fails=0 must be a whole number >= 1, not 0$"):
        Hub(allowed_fails=0)


def test_the_default_hub_reads_the_variables_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_CONFIG", str(config(tmp_path, "[router]\nretries = 3\ncooldown = 12\n")))
    monkeypatch.setenv("PROVIDERHUB_RETRIES", "0")
    monkeypatch.setenv("PROVIDERHUB_FALLBACK", "false")
    monkeypatch.setenv("PROVIDERHUB_STATE_URL", "redis://127.0.0.1:1/0")
    settings = providerhub.default_hub().router.settings
    assert (settings.retries, settings.cooldown, settings.fallback) == (0, 12.0, False)
    assert type(providerhub.default_hub().router.state).__name__ == "RedisState"


async def test_providerhub_stream_falls_back(faults: Install) -> None:
    faults(A=[FAILING], B=[("answer", "B ", "answers")])
    chunks = [chunk async for chunk in providerhub.stream(MODEL, MESSAGES)]
    assert text_of(chunks) == "B answers"
    assert (calls("A"), calls("B")) == (2, 1)  # one retry of A by default


def test_providerhub_complete_falls_back(faults: Install) -> None:
    faults(A=[FAILING], B=[("answer", "B answers")])
    assert text_of(list(providerhub.complete(MODEL, MESSAGES, fallback=True))) == "B answers"


async def test_fallback_false_per_call(faults: Install) -> None:
    faults(A=[FAILING], B=[("answer", "B answers")])
    hub = Hub(retries=0)
    with pytest.raises(providerhub.ResponseError, match="^HTTP 503$"):
        [chunk async for chunk in hub.stream(MODEL, MESSAGES, fallback=False)]
    assert calls("B") == 0


async def test_a_name_resolved_before_costs_no_worker_thread(faults: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    from providerhub import call

    faults(A=[FAILING], B=[("answer", "B answers")])
    threads: list[object] = []

    async def counted(function: Any, *args: Any) -> Any:
        threads.append(function)
        return await off_loop(function, *args)

    off_loop = call.off_loop
    monkeypatch.setattr(call, "off_loop", counted)
    hub = Hub(retries=0)
    assert text_of([chunk async for chunk in hub.stream(MODEL, MESSAGES)]) == "B answers"
    assert len(threads) == 2  # the first resolution of the name and of the fallback: plugins may be imported
    assert text_of([chunk async for chunk in hub.stream(MODEL, MESSAGES)]) == "B answers"
    assert len(threads) == 2, "both names were resolved before: resolved on the loop"
    assert text_of([chunk async for chunk in Hub(retries=0).stream(MODEL, MESSAGES)]) == "B answers"
    assert len(threads) == 4, "another hub has its own registry: its first resolutions go off the loop"
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,x"}}]}]
    with pytest.raises(providerhub.MediaError):  # images are read off the loop, however warm the name
        [chunk async for chunk in hub.stream(MODEL, image)]
    assert len(threads) == 5


async def test_a_bad_request_to_a_name_resolved_before_fails_at_its_first_step(faults: Install) -> None:
    faults(A=[("answer", "A answers")])
    hub = Hub(retries=0)
    assert text_of([chunk async for chunk in hub.stream(MODEL, MESSAGES)]) == "A answers"
    answer = hub.stream(MODEL, [])  # not raised here: at the first step
    with pytest.raises(providerhub.RequestError, match="messages is empty"):
        await answer.__anext__()
    with pytest.raises(StopAsyncIteration):
        await answer.__anext__()


async def test_each_hub_keeps_its_own_router_state(faults: Install) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=30)"), ("answer", "A answers")], B=[FAILING])
    first, second = Hub(retries=0), Hub(retries=0)
    with pytest.raises(AllProvidersFailedError):
        [chunk async for chunk in first.stream(MODEL, MESSAGES)]
    with pytest.raises(AllProvidersFailedError) as failed:  # A is cooling in this hub: skipped
        [chunk async for chunk in first.stream(MODEL, MESSAGES)]
    assert [type(a.error).__name__ for a in failed.value.attempts] == ["CooldownError", "ResponseError"]
    assert text_of([chunk async for chunk in second.stream(MODEL, MESSAGES)]) == "A answers"


async def test_two_hubs_on_one_redis_share_cooldowns(faults: Install, redis_server: RedisServer) -> None:
    faults(
        A=[("fail", "RateLimitError('slow', status=429, retry_after=30)"), ("answer", "A answers")], B=[("answer", "B")]
    )
    first, second = (Hub(retries=0, state_url=redis_server.url) for _ in range(2))
    assert text_of([chunk async for chunk in first.stream(MODEL, MESSAGES)]) == "B"
    assert text_of([chunk async for chunk in second.stream(MODEL, MESSAGES)]) == "B"
    assert calls("A") == 1
