"""State backends: the same rules in memory and in a real Redis; Redis shared by processes, and its outages."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from providerhub._state import PROBATION, READY, MemoryState, Rule, StateBackend, open_state
from providerhub.errors import ConfigError
from support.plugins import PluginSite
from support.redis_server import RedisServer

from .helpers import MODEL, Install, calls, collect, fast_router, routed

KEY = ("A", MODEL)
PREFIX = "providerhub:v1:"


def RedisState(url: str, **kwargs: Any) -> Any:
    """``providerhub._redis_state.RedisState``, imported when used: the core-only run has no redis."""
    from providerhub._redis_state import RedisState as cls

    return cls(url, **kwargs)


TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateBackend]:
    """Each backend in turn; the Redis one on its own server."""
    if request.param == "memory":
        yield MemoryState()
        return
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder).start()
    state = RedisState(server.url)
    try:
        yield state
    finally:
        await state.aclose()
        server.stop()


def near(value: float | None, expected: float, slack: float = 0.5) -> bool:
    return value is not None and expected - slack < value <= expected + 0.01


# -- the rules, in every backend ------------------------------------------------------------------


async def test_failures_below_allowed_fails_do_not_cool(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=3, window=60, cooldown=30)
    assert await backend.standings([KEY, ("B", MODEL)]) == [READY, READY]
    assert await backend.failed(KEY, rule) is None
    assert await backend.failed(KEY, rule) is None
    assert await backend.standings([KEY]) == [READY]
    assert near(await backend.failed(KEY, rule), 30)
    standing, other = await backend.standings([KEY, ("B", MODEL)])
    assert near(standing.wait, 30) and not standing.probe
    assert other == READY


async def test_failures_outside_the_window_are_forgotten(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=2, window=0.2, cooldown=30)
    for _ in range(3):
        assert await backend.failed(KEY, rule) is None
        await asyncio.sleep(0.25)


async def test_cool_for_starts_a_cooldown_at_once_and_never_shortens_one(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=5, window=60, cooldown=30)
    assert near(await backend.failed(KEY, rule, cool_for=12), 12)
    assert near(await backend.failed(KEY, rule, cool_for=3), 12)
    (standing,) = await backend.standings([KEY])
    assert near(standing.wait, 12)


async def test_after_a_cooldown_one_probe_decides(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=5, window=60, cooldown=30)
    await backend.failed(KEY, rule, cool_for=0.1)
    await asyncio.sleep(0.15)
    assert await backend.standings([KEY]) == [(None, True)]
    assert await backend.claim_probe(KEY, hold=20) is None
    (standing,) = await backend.standings([KEY])
    assert near(standing.wait, 20) and not standing.probe  # the others wait for the probe
    assert near(await backend.claim_probe(KEY, hold=20), 20)
    await backend.succeeded(KEY)
    assert await backend.standings([KEY]) == [READY]
    assert await backend.failed(KEY, rule) is None  # failures forgotten, no probation left


async def test_a_failed_probe_cools_again_at_once(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=5, window=60, cooldown=30)
    await backend.failed(KEY, rule, cool_for=0.1)
    await asyncio.sleep(0.15)
    assert await backend.claim_probe(KEY, hold=20) is None
    assert near(await backend.failed(KEY, rule), 30)
    (standing,) = await backend.standings([KEY])
    assert near(standing.wait, 30)


async def test_a_success_does_not_end_a_cooldown(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=1, window=60, cooldown=30)
    await backend.failed(KEY, rule)
    await backend.succeeded(KEY)
    (standing,) = await backend.standings([KEY])
    assert near(standing.wait, 30)


async def test_a_claim_runs_out(backend: StateBackend) -> None:
    rule = Rule(allowed_fails=5, window=60, cooldown=30)
    await backend.failed(KEY, rule, cool_for=0.05)
    await asyncio.sleep(0.1)
    assert await backend.claim_probe(KEY, hold=0.1) is None
    await asyncio.sleep(0.15)
    assert await backend.standings([KEY]) == [(None, True)]


def test_memory_state_forgets_the_oldest_keys_beyond_its_cap() -> None:
    state = MemoryState()
    state.MAX_KEYS = 3  # type: ignore[misc]
    rule = Rule(allowed_fails=1, window=60, cooldown=30)

    async def run() -> list[bool]:
        for i in range(5):
            await state.failed((f"P{i}", MODEL), rule)
        found = await state.standings([(f"P{i}", MODEL) for i in range(5)])
        return [s.wait is not None for s in found]

    assert asyncio.run(run()) == [False, False, True, True, True]


# -- Redis: keys, round trips ---------------------------------------------------------------------


def test_a_redis_url_opens_the_redis_backend() -> None:
    assert type(open_state("redis://127.0.0.1:1/0")).__name__ == "RedisState"
    assert isinstance(open_state(None), MemoryState)


async def test_keys_are_namespaced_and_expire(redis_server: RedisServer) -> None:
    state = RedisState(redis_server.url)
    rule = Rule(allowed_fails=2, window=60, cooldown=30)
    raw = redis_server.client()
    try:
        await state.failed(KEY, rule)
        assert raw.keys("*") == [f"{PREFIX}fails:A/fault-1"]
        assert 59_000 < raw.pttl(f"{PREFIX}fails:A/fault-1") <= 60_000
        await state.failed(KEY, rule)
        assert sorted(raw.keys("*")) == [f"{PREFIX}cool:A/fault-1", f"{PREFIX}probation:A/fault-1"]
        assert 29_000 < raw.pttl(f"{PREFIX}cool:A/fault-1") <= 30_000
        assert (30 + PROBATION - 1) * 1000 < raw.pttl(f"{PREFIX}probation:A/fault-1") <= (30 + PROBATION) * 1000
    finally:
        raw.close()
        await state.aclose()


def commands_processed(server: RedisServer) -> int:
    """Round trips to the server since its statistics were reset: the scripts the state backend ran.

    (The commands a script runs inside the server are counted apart; they cost no round trip.)
    """
    raw = server.client()
    try:
        stats = raw.info("commandstats")
        assert not {"cmdstat_multi", "cmdstat_get", "cmdstat_incr", "cmdstat_mget"} & set(stats)
        return sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))
    finally:
        raw.close()


def reset_stats(server: RedisServer) -> None:
    raw = server.client()
    try:
        raw.config_resetstat()
    finally:
        raw.close()


async def test_a_call_that_nothing_fails_costs_one_round_trip(redis_server: RedisServer, faults: Install) -> None:
    faults(A=[("answer", "Hello")], B=[("answer", "Bye")])
    router = fast_router(RedisState(redis_server.url))
    assert (await collect(routed(router))).text == "Hello"  # loads the script
    reset_stats(redis_server)
    for _ in range(5):
        assert (await collect(routed(router))).text == "Hello"
    assert commands_processed(redis_server) == 5


async def test_a_failure_costs_one_round_trip_more(redis_server: RedisServer, faults: Install) -> None:
    faults(A=[("fail", "ResponseError('x', status=500)")], B=[("answer", "Bye")])
    router = fast_router(RedisState(redis_server.url), retries=0)
    assert (await collect(routed(router))).text == "Bye"
    reset_stats(redis_server)
    assert (await collect(routed(router))).text == "Bye"
    assert commands_processed(redis_server) == 2  # the look at both candidates, A's failure


# -- Redis shared by processes ------------------------------------------------------------------


def worker_env(plugin_site: PluginSite, log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(plugin_site.root)])
    env["PH_FAULT_LOG"] = str(log)
    return env


def run_worker(env: dict[str, str], *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-m", "routing.state_worker", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_cooldown_set_by_one_process_is_honoured_by_another(
    redis_server: RedisServer, faults: Install, plugin_site: PluginSite, tmp_path: Path
) -> None:
    faults(A=[("fail", "RateLimitError('slow', status=429, retry_after=30)"), ("answer", "A")], B=[("answer", "B")])
    log = tmp_path / "calls.log"
    env = worker_env(plugin_site, log)
    assert run_worker(env, "route", redis_server.url, "1") == [["B", None]]
    assert run_worker(env, "route", redis_server.url, "2") == [["B", None], ["B", None]]
    assert log.read_text().split() == ["A", "B", "B", "B"]  # the second process never called A


def test_failures_from_two_processes_are_counted_exactly(
    redis_server: RedisServer, plugin_site: PluginSite, tmp_path: Path
) -> None:
    env = worker_env(plugin_site, tmp_path / "calls.log")
    each, allowed = 60, 120
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "routing.state_worker", "fail", redis_server.url, str(each), str(allowed)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    started = [json.loads(out.strip()) for out, _ in outputs]
    assert sum(started) == 1  # the 120th failure of 120, and only it, started the cooldown
    raw = redis_server.client()
    try:
        assert 29_000 < raw.pttl(f"{PREFIX}cool:A/fault-1") <= 30_000
    finally:
        raw.close()


# -- Redis going away and coming back ---------------------------------------------------------------


async def test_redis_killed_mid_run_falls_back_to_memory_with_one_warning_and_recovers(
    redis_server: RedisServer, faults: Install
) -> None:
    faults(A=[("answer", "Hello")], B=[("answer", "Bye")])
    state = RedisState(redis_server.url, retry_interval=0.2)
    router = fast_router(state)
    rule = Rule(allowed_fails=5, window=60, cooldown=30)
    assert (await collect(routed(router))).text == "Hello"
    assert state.reachable
    redis_server.kill()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(10):
            assert (await collect(routed(router))).text == "Hello"
        # the state lives on in memory meanwhile: a cooldown recorded now is honoured
        assert near(await state.failed(KEY, rule, cool_for=30), 30)
        assert (await collect(routed(router))).text == "Bye"
        await asyncio.sleep(0.25)
        assert (await collect(routed(router))).text == "Bye"
    unreachable = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(unreachable) == 1, [str(w.message) for w in caught]
    assert f"Redis at {redis_server.url} is unreachable" in str(unreachable[0].message)
    assert not state.reachable
    assert calls("A") == 11

    redis_server.start()
    await asyncio.sleep(0.25)
    assert (await collect(routed(router))).text == "Hello"  # Redis knows of no cooldown: A is back
    assert state.reachable
    await state.failed(KEY, rule, cool_for=30)
    raw = redis_server.client()
    try:
        assert 29_000 < raw.pttl(f"{PREFIX}cool:A/fault-1") <= 30_000
    finally:
        raw.close()
    await state.aclose()


async def test_an_unreachable_redis_at_start_serves_from_memory(faults: Install) -> None:
    faults(A=[("answer", "Hello")])
    from support.redis_server import free_port

    state = RedisState(f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0")
    with pytest.warns(RuntimeWarning, match=r"Redis at redis://127\.0\.0\.1:\d+/0 is unreachable") as caught:
        assert (await collect(routed(fast_router(state)))).text == "Hello"
    assert all("s3cret" not in str(w.message) for w in caught)  # the password is never shown


async def test_a_redis_that_refuses_the_connection_settings_serves_from_memory(
    redis_server: RedisServer, faults: Install
) -> None:
    faults(A=[("answer", "Hello")])
    state = RedisState(redis_server.url.rsplit("/", 1)[0] + "/99")  # no such database
    with pytest.warns(RuntimeWarning, match=r"/99 is unreachable \(.*DB index is out of range"):
        assert (await collect(routed(fast_router(state)))).text == "Hello"
    assert not state.reachable


def test_a_redis_url_without_the_redis_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "providerhub._redis_state", raising=False)
    with pytest.raises(
        ConfigError, match=r"^state_url redis://127\.0\.0\.1:6379/0 needs the redis package: pip install"
    ):
        open_state("redis://user:secret@127.0.0.1:6379/0")
