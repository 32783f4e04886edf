"""Xero's limits, shared through Redis by every process on every machine.

Per organisation: calls in flight, a sliding minute window and a sliding day window; per app,
a sliding minute window. One Lua script checks all four and takes a slot in each atomically,
so no limit is consumed by a call another limit then refuses. Each call is recorded with a
score in the future while it is in flight and re-scored to the time its answer arrived when
it ends: Xero counts a call when it arrives, which is never later than that, so the limiter's
windows always contain at least what Xero's contain.

The day is planned by class of call (`CallPriority`): payments and credit notes, then new
documents, then updates, then backfill and reference data. A lower class may use only its
share of each window (`SHARE` of the minute and the in-flight slots, `DAY_SHARE` of the day),
so the classes above it always keep room: with Xero's 5,000 a day, backfill stops at 2,500,
updates at 3,500, new documents at 4,500, and the last 500 are for payments and credit notes.

A 429 blocks the organisation for its Retry-After for every process, and Xero's
remaining-count headers correct the windows when something else (another installation, a
lost Redis) used calls.
"""

from __future__ import annotations

import contextlib
import enum
import math
import random
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from server.connectors.base import RateLimitError, TransientError
from server.connectors.xero.config import Limits

KEY_PREFIX = "wooxero:xero:limits"
LEASE_SECONDS = 300  # a crashed caller's slot frees itself after this
POLL_SECONDS = 0.05


class CallPriority(enum.IntEnum):
    """The class of a call, in the order the day's budget is planned for."""

    LOW = 0  # backfill, reference-data refresh, drift checks
    UPDATE = 1  # an order changed after its document was written (or cancelled)
    NORMAL = 2  # new documents and the contacts and items they need
    HIGH = 3  # payments, credit notes, a person waiting


# The part of each window a class may fill; what it leaves is for the classes above it.
SHARE = {
    CallPriority.LOW: 0.7, CallPriority.UPDATE: 0.8, CallPriority.NORMAL: 0.9,
    CallPriority.HIGH: 1.0,
}  # fmt: skip
DAY_SHARE = {
    CallPriority.LOW: 0.5, CallPriority.UPDATE: 0.7, CallPriority.NORMAL: 0.9,
    CallPriority.HIGH: 1.0,
}  # fmt: skip


def share_of(total: int, share: float) -> int:
    """The calls of a limit of `total` that a share allows (never none)."""
    return max(1, math.floor(total * share))


# KEYS: in-flight, minute, day, app-minute, blocked (this organisation), blocked (the app).
# ARGV: lease, lease seconds, in-flight cap, then window and cap for minute, day, app-minute,
# then the poll interval to suggest while only in-flight calls stand in the way.
_ACQUIRE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease, lease_seconds = ARGV[1], tonumber(ARGV[2])
for k = 5, 6 do
  local blocked = redis.call('HMGET', KEYS[k], 'until', 'problem')
  if blocked[1] and tonumber(blocked[1]) > now then
    return {blocked[2], tostring(tonumber(blocked[1]) - now)}
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return {'concurrent', ARGV[10]}
end
local names = {'minute', 'day', 'appminute'}
for i = 2, 4 do
  local window, cap = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= cap then
    local entry = redis.call('ZRANGE', KEYS[i], count - cap, count - cap, 'WITHSCORES')
    local frees_at = tonumber(entry[2]) + window
    if tonumber(entry[2]) > now then frees_at = now + tonumber(ARGV[10]) end
    return {names[i - 1], tostring(frees_at - now)}
  end
end
redis.call('ZADD', KEYS[1], now + lease_seconds, lease)
for i = 2, 4 do
  redis.call('ZADD', KEYS[i], now + lease_seconds, lease)
  redis.call('EXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i]) + lease_seconds))
end
redis.call('EXPIRE', KEYS[1], lease_seconds)
return {'ok', '0'}
"""

_RELEASE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, 4 do
  redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1])
end
return 1
"""

# Add calls Xero says were used but the window does not hold (ARGV: window, used, key prefix).
_CORRECT = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local missing = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
for i = 1, missing do
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. now .. ':' .. i)
end
if missing > 0 then redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]))) end
return math.max(missing, 0)
"""

_BLOCK = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local blocked_until = now + tonumber(ARGV[1])
if blocked_until > current then
  redis.call('HSET', KEYS[1], 'until', blocked_until, 'problem', ARGV[2])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + 1)
end
return 1
"""


def limit_name(header: str | None) -> str:
    """Xero's X-Rate-Limit-Problem as one of minute, day, concurrent, appminute (compared
    case-insensitively, on a prefix: only "minute" and "day" have been seen for sure)."""
    value = (header or "").strip().lower()
    for prefix, name in (
        ("app", "appminute"),
        ("min", "minute"),
        ("day", "day"),
        ("con", "concurrent"),
    ):
        if value.startswith(prefix):
            return name
    return "unknown"


@dataclass(frozen=True)
class _Keys:
    in_flight: str
    minute: str
    day: str
    app: str
    blocked: str
    app_blocked: str

    def window_keys(self) -> list[str]:
        return [self.in_flight, self.minute, self.day, self.app]


@dataclass(frozen=True)
class Usage:
    """What the limiter holds for one organisation: calls in flight, calls in the sliding
    minute and day windows (those in flight included), what Xero's limits leave of each,
    and how long a 429 still blocks the organisation."""

    in_flight: int
    minute: int
    day: int
    minute_remaining: int
    day_remaining: int
    blocked_seconds: float


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        limits: Limits,
        *,
        app_id: str,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.limits = limits
        self.app_id = app_id
        self.sleep = sleep
        self.monotonic = monotonic
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._correct = redis.register_script(_CORRECT)
        self._block = redis.register_script(_BLOCK)

    def _keys(self, tenant_id: str) -> _Keys:
        tenant = f"{KEY_PREFIX}:{self.app_id}:{tenant_id}"
        return _Keys(
            in_flight=f"{tenant}:in-flight",
            minute=f"{tenant}:minute",
            day=f"{tenant}:day",
            app=f"{KEY_PREFIX}:{self.app_id}:app-minute",
            blocked=f"{tenant}:blocked",
            app_blocked=f"{KEY_PREFIX}:{self.app_id}:app-blocked",
        )

    @contextmanager
    def slot(self, tenant_id: str, priority: CallPriority, max_wait: float) -> Iterator[None]:
        """Hold one call slot for `tenant_id`, waiting up to `max_wait` seconds for one.

        Raises RateLimitError (naming the limit and when to retry) if none frees in time.
        """
        lease = uuid.uuid4().hex
        keys = self._keys(tenant_id)
        self._wait_for_slot(keys, lease, priority, max_wait)
        try:
            yield
        finally:
            with contextlib.suppress(RedisError):  # else the lease expires by itself
                self._release(keys=keys.window_keys(), args=[lease])

    def _wait_for_slot(
        self, keys: _Keys, lease: str, priority: CallPriority, max_wait: float
    ) -> None:
        deadline = self.monotonic() + max_wait
        caps = self._caps(priority)
        while True:
            try:
                problem, wait_text = self._acquire(
                    keys=[*keys.window_keys(), keys.blocked, keys.app_blocked],
                    args=[lease, LEASE_SECONDS, *caps, POLL_SECONDS],
                )
            except RedisError as error:
                raise TransientError(
                    f"Redis is unavailable for the rate limiter: {error}"
                ) from None
            problem = problem.decode() if isinstance(problem, bytes) else problem
            if problem == "ok":
                return
            wait = float(wait_text)
            if self.monotonic() + wait > deadline:
                raise RateLimitError(
                    f"Xero's {problem} limit for this organisation is used up; "
                    f"a call is possible in {wait:.1f}s",
                    retry_after=wait,
                    limit=problem,
                )
            # a few milliseconds of jitter spread the waiters; the script orders them anyway
            self.sleep(min(wait, 1.0) + random.uniform(0.0, 0.02))  # noqa: S311

    def _caps(self, priority: CallPriority) -> list[float]:
        share = SHARE[priority]
        limits = self.limits
        return [
            share_of(limits.concurrent, share),
            limits.minute_window, share_of(limits.per_minute, share),
            limits.day_window, share_of(limits.per_day, DAY_SHARE[priority]),
            limits.minute_window, share_of(limits.app_per_minute, share),
        ]  # fmt: skip

    def day_room(self, usage: Usage, priority: CallPriority) -> int:
        """Calls `priority` may still make today, given the organisation's `usage`."""
        return max(0, share_of(self.limits.per_day, DAY_SHARE[priority]) - usage.day)

    def minute_budget(self, priority: CallPriority) -> int:
        """Calls a minute `priority` may make."""
        return share_of(self.limits.per_minute, SHARE[priority])

    def usage(self, tenant_ids: Collection[str]) -> dict[str, Usage]:
        """Each organisation's usage, read in one round trip without changing anything: a
        window holds what the acquire script would count (scores after its cut-off)."""
        if not tenant_ids:
            return {}
        seconds, microseconds = self.redis.time()
        now = seconds + microseconds / 1_000_000
        limits = self.limits
        pipeline = self.redis.pipeline(transaction=False)
        for tenant_id in tenant_ids:
            keys = self._keys(tenant_id)
            pipeline.zcount(keys.in_flight, f"({now}", "+inf")
            pipeline.zcount(keys.minute, f"({now - limits.minute_window}", "+inf")
            pipeline.zcount(keys.day, f"({now - limits.day_window}", "+inf")
            pipeline.hget(keys.blocked, "until")
        answers = iter(pipeline.execute())
        found = {}
        for tenant_id in tenant_ids:
            in_flight, minute, day, until = (next(answers) for _ in range(4))
            found[tenant_id] = Usage(
                in_flight=in_flight,
                minute=minute,
                day=day,
                minute_remaining=max(0, limits.per_minute - minute),
                day_remaining=max(0, limits.per_day - day),
                blocked_seconds=max(0.0, float(until) - now) if until else 0.0,
            )
        return found

    def correct(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        """Take Xero's remaining counts into account if they show more calls used."""
        keys = self._keys(tenant_id)
        limits = self.limits
        for header, key, total, window in (
            ("X-MinLimit-Remaining", keys.minute, limits.per_minute, limits.minute_window),
            ("X-DayLimit-Remaining", keys.day, limits.per_day, limits.day_window),
            ("X-AppMinLimit-Remaining", keys.app, limits.app_per_minute, limits.minute_window),
        ):
            remaining = _int_header(headers, header)
            if remaining is None:
                continue
            used = min(total, max(0, total - remaining))
            try:
                self._correct(keys=[key], args=[window, used, f"xero:{header}"])
            except RedisError:
                return

    def block(self, tenant_id: str, problem: str, seconds: float) -> None:
        """After a 429: no process calls this organisation (or, for the app's own minute
        limit, any organisation) for `seconds`."""
        keys = self._keys(tenant_id)
        key = keys.app_blocked if problem == "appminute" else keys.blocked
        with contextlib.suppress(RedisError):
            self._block(keys=[key], args=[seconds, problem])


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
