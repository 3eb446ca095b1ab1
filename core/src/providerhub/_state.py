"""Router state (failure counts, cooldowns, probes) behind a small interface; kept in memory by default.

Every backend follows the same rules, for one (provider, model) key:

- ``failed`` records a failure. ``allowed_fails`` failures within ``window`` seconds start a cooldown
  of ``cooldown`` seconds; a failure given ``cool_for`` (a 429's ``retry_after``, an authentication
  failure) starts one of that length at once; so does any failure of the probe after a cooldown.
- While cooling, the key is skipped. When the cooldown ends the key is on probation: the first call
  that ``claim_probe``\\ s it is the one probe; the others skip it until the probe has answered
  (``succeeded``: back in, failures forgotten) or failed (cooling again), or its claim ran out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from .errors import ConfigError
from .http import redact_url

Key = tuple[str, str]
"""``(provider name, model id)``."""

PROBATION = 3600.0
"""Seconds after a cooldown ends during which the key still needs a probe (after that it is simply back in)."""


class Rule(NamedTuple):
    """When failures start a cooldown, and for how long."""

    allowed_fails: int
    window: float
    cooldown: float


class Standing(NamedTuple):
    """One key's state as a call starts."""

    wait: float | None
    """Seconds until the key may be tried (cooling, or another call is probing it); ``None``: now."""
    probe: bool
    """The key may be tried only as the one probe after a cooldown: ``claim_probe`` it first."""


READY = Standing(None, False)


class StateBackend(Protocol):
    """Where a router keeps its state; shared by every call of a hub (and, with Redis, every process)."""

    async def standings(self, keys: Sequence[Key]) -> list[Standing]:
        """The standing of each key, in one look."""

    async def claim_probe(self, key: Key, hold: float) -> float | None:
        """Become the one probe of ``key`` for at most ``hold`` seconds: ``None`` if claimed, else the wait."""

    async def failed(self, key: Key, rule: Rule, cool_for: float | None = None) -> float | None:
        """Record a failure of ``key``; the cooldown it started (seconds), else ``None``."""

    async def succeeded(self, key: Key) -> None:
        """The probe of ``key`` answered: it is back in and its failures are forgotten."""

    async def aclose(self) -> None:
        """Release connections held for the running event loop."""


class _Entry:
    __slots__ = ("claim_until", "cool_until", "fails", "probation_until")

    def __init__(self) -> None:
        self.fails: list[float] = []
        self.cool_until = 0.0
        self.probation_until = 0.0
        self.claim_until = 0.0

    def idle(self, now: float) -> bool:
        return not self.fails and self.probation_until <= now and self.claim_until <= now


class MemoryState:
    """State for one process, on the monotonic clock; safe to share between threads and event loops."""

    MAX_KEYS = 10_000
    """Keys kept at most (the least recently failed are forgotten first)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _now(self) -> float:
        return float(self._clock())

    def _standing(self, key: Key, now: float) -> Standing:
        entry = self._entries.get(key)
        if entry is None:
            return READY
        if entry.cool_until > now:
            return Standing(entry.cool_until - now, False)
        if entry.probation_until > now:
            if entry.claim_until > now:
                return Standing(entry.claim_until - now, False)
            return Standing(None, True)
        if entry.idle(now):
            del self._entries[key]
        return READY

    async def standings(self, keys: Sequence[Key]) -> list[Standing]:
        if not self._entries:  # nothing has failed: the common case costs no lock
            return [READY] * len(keys)
        with self._lock:
            now = self._now()
            return [self._standing(key, now) for key in keys]

    async def claim_probe(self, key: Key, hold: float) -> float | None:
        with self._lock:
            now = self._now()
            standing = self._standing(key, now)
            if standing.wait is not None:
                return standing.wait
            entry = self._entries.get(key)
            if entry is not None and standing.probe:
                entry.claim_until = now + hold
            return None

    async def failed(self, key: Key, rule: Rule, cool_for: float | None = None) -> float | None:
        with self._lock:
            now = self._now()
            entry = self._entries.pop(key, None) or _Entry()
            self._entries[key] = entry  # most recently failed last
            while len(self._entries) > self.MAX_KEYS:
                self._entries.popitem(last=False)
            on_probation = entry.probation_until > now and entry.cool_until <= now
            if cool_for is None and not on_probation:
                entry.fails = [t for t in entry.fails if t > now - rule.window]
                entry.fails.append(now)
                if len(entry.fails) < rule.allowed_fails:
                    return None
                cool_for = rule.cooldown
            elif cool_for is None:
                cool_for = rule.cooldown
            entry.fails = []
            entry.cool_until = max(entry.cool_until, now + cool_for)
            entry.probation_until = entry.cool_until + PROBATION
            entry.claim_until = 0.0
            return entry.cool_until - now

    async def succeeded(self, key: Key) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.cool_until <= self._now():
                del self._entries[key]

    async def aclose(self) -> None:
        return None


def open_state(url: str | None) -> StateBackend:
    """The backend for a ``state_url``: in memory for ``None``, Redis for ``redis://`` and friends."""
    if not url:
        return MemoryState()
    try:
        from ._redis_state import RedisState
    except ImportError as exc:
        raise ConfigError(
            f"state_url {redact_url(url)} needs the redis package: pip install 'providerhub[redis]'"
        ) from exc
    return RedisState(url)
