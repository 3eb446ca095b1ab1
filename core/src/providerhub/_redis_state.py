"""Router state in Redis, shared by every process and machine pointed at the same server.

Cooldowns, probations and probe claims are keys with a TTL, so no process compares its clock
with another's; failures are counted in a sorted set scored by the server's own clock, inside
one Lua script, so concurrent failures from many processes are counted exactly. Each operation
of the ``StateBackend`` interface is one script call: one round trip. Keys live under
``providerhub:v1:``. Nothing is cached locally: every look goes to Redis.

When Redis cannot be reached (or refuses the scripts: a wrong password, say) the router keeps
serving from this process's memory, warns once per outage, and goes back to Redis as soon as it
answers again (it tries again at most every ``retry_interval`` seconds).
"""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from ._state import PROBATION, READY, Key, MemoryState, Rule, Standing
from .http import redact, redact_url
from .loop_local import LoopLocal

T = TypeVar("T")

PREFIX = "providerhub:v1:"
logger = logging.getLogger("providerhub.router")

# KEYS: (cool, probation, claim) for each candidate. Per candidate: cooldown PTTL, probation, claim PTTL.
_STANDINGS = """
local out = {}
for i = 1, #KEYS, 3 do
  local cool = redis.call('PTTL', KEYS[i])
  local probation = redis.call('EXISTS', KEYS[i + 1])
  local claim = -2
  if cool <= 0 and probation == 1 then claim = redis.call('PTTL', KEYS[i + 2]) end
  out[#out + 1] = cool
  out[#out + 1] = probation
  out[#out + 1] = claim
end
return out
"""

# KEYS: cool, probation, claim. ARGV: hold ms. Returns -1 when claimed, else the ms to wait.
_CLAIM = """
local cool = redis.call('PTTL', KEYS[1])
if cool > 0 then return cool end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return -1 end
local claim = redis.call('PTTL', KEYS[3])
if claim > 0 then return claim end
return 1
"""

# KEYS: fails, cool, probation, claim. ARGV: window ms, allowed fails, cooldown ms, cool-at-once ms
# (0: count instead), probation ms, a unique member. Returns the cooldown started (ms), else 0.
_FAILED = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local cool_for = tonumber(ARGV[4])
local cool_left = redis.call('PTTL', KEYS[2])
if cool_for <= 0 then
  if cool_left <= 0 and redis.call('EXISTS', KEYS[3]) == 1 then
    cool_for = tonumber(ARGV[3])
  else
    local window = tonumber(ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
    redis.call('ZADD', KEYS[1], now_ms, ARGV[6])
    redis.call('PEXPIRE', KEYS[1], window)
    if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then return 0 end
    cool_for = tonumber(ARGV[3])
  end
end
if cool_left > cool_for then cool_for = cool_left end
redis.call('SET', KEYS[2], '1', 'PX', cool_for)
redis.call('SET', KEYS[3], '1', 'PX', cool_for + tonumber(ARGV[5]))
redis.call('DEL', KEYS[1], KEYS[4])
return cool_for
"""

# KEYS: cool, probation, claim, fails. The probe answered: back in, unless a new cooldown began.
_SUCCEEDED = """
if redis.call('PTTL', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return 1
"""

_UNREACHABLE = (RedisError, OSError)
"""Any failure to get an answer from Redis (refused, timed out, NOAUTH, a script refused) means: use memory."""


class _Client(NamedTuple):
    redis: Any
    standings: AsyncScript
    claim: AsyncScript
    failed: AsyncScript
    succeeded: AsyncScript


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisState:
    """The ``StateBackend`` in Redis at ``url`` (one client per event loop), with in-memory fallback."""

    def __init__(self, url: str, *, prefix: str = PREFIX, timeout: float = 1.0, retry_interval: float = 1.0) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self.retry_interval = retry_interval
        self._clients: LoopLocal[_Client] = LoopLocal(self._connect, lambda client: client.redis.aclose())
        self._memory = MemoryState()
        self._down = False
        self._retry_at = 0.0

    def _connect(self) -> _Client:
        client = aioredis.Redis.from_url(
            self.url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry=Retry(NoBackoff(), 1),  # one immediate retry: a connection the server closed is replaced
        )
        return _Client(
            client,
            client.register_script(_STANDINGS),
            client.register_script(_CLAIM),
            client.register_script(_FAILED),
            client.register_script(_SUCCEEDED),
        )

    @property
    def reachable(self) -> bool:
        """False while the last attempt to reach Redis failed (state is then kept in memory)."""
        return not self._down

    def _keys(self, key: Key, *kinds: str) -> list[str]:
        provider, model = key
        return [f"{self.prefix}{kind}:{provider}/{model}" for kind in kinds]

    async def _call(self, remote: Callable[[_Client], Awaitable[T]], local: Callable[[], Awaitable[T]]) -> T:
        """``remote`` on Redis; ``local`` on the memory fallback while Redis is unreachable."""
        if self._down and time.monotonic() < self._retry_at:
            return await local()
        try:
            result = await remote(self._clients.get())
        except _UNREACHABLE as exc:
            self._retry_at = time.monotonic() + self.retry_interval
            if not self._down:
                self._down = True
                warnings.warn(
                    f"router state: Redis at {redact_url(self.url)} is unreachable "
                    f"({redact(str(exc)) or type(exc).__name__}); "
                    "failure counts and cooldowns are kept in this process's memory until it is back",
                    RuntimeWarning,
                    stacklevel=2,
                )
            await self._clients.aclose()  # a fresh client (and connections) for the next try
            return await local()
        if self._down:
            self._down = False
            self._memory = MemoryState()
            logger.warning("router state: Redis at %s is reachable again", redact_url(self.url))
        return result

    async def standings(self, keys: Sequence[Key]) -> list[Standing]:
        names = [name for key in keys for name in self._keys(key, "cool", "probation", "claim")]

        async def remote(client: _Client) -> list[Standing]:
            flat = await client.standings(keys=names)
            out = []
            for i in range(0, len(flat), 3):
                cool, probation, claim = int(flat[i]), int(flat[i + 1]), int(flat[i + 2])
                if cool > 0:
                    out.append(Standing(cool / 1000, False))
                elif probation and claim > 0:
                    out.append(Standing(claim / 1000, False))
                elif probation:
                    out.append(Standing(None, True))
                else:
                    out.append(READY)
            return out

        return await self._call(remote, lambda: self._memory.standings(keys))

    async def claim_probe(self, key: Key, hold: float) -> float | None:
        names = self._keys(key, "cool", "probation", "claim")

        async def remote(client: _Client) -> float | None:
            wait = int(await client.claim(keys=names, args=[_ms(hold)]))
            return None if wait < 0 else wait / 1000

        return await self._call(remote, lambda: self._memory.claim_probe(key, hold))

    async def failed(self, key: Key, rule: Rule, cool_for: float | None = None) -> float | None:
        names = self._keys(key, "fails", "cool", "probation", "claim")
        args: list[int | str] = [
            _ms(rule.window),
            rule.allowed_fails,
            _ms(rule.cooldown),
            0 if cool_for is None else _ms(cool_for),
            _ms(PROBATION),
            uuid.uuid4().hex,
        ]

        async def remote(client: _Client) -> float | None:
            cooled = int(await client.failed(keys=names, args=args))
            return cooled / 1000 if cooled > 0 else None

        return await self._call(remote, lambda: self._memory.failed(key, rule, cool_for))

    async def succeeded(self, key: Key) -> None:
        names = self._keys(key, "cool", "probation", "claim", "fails")

        async def remote(client: _Client) -> None:
            await client.succeeded(keys=names)

        await self._call(remote, lambda: self._memory.succeeded(key))

    async def aclose(self) -> None:
        await self._clients.aclose()
