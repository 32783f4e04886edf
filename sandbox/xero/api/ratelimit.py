"""Xero's rate limits, per connection (app + tenant) and per app.

From Xero (developer.xero.com/faq/limits, quoted by Xero staff in xero-node#634): 5 calls in
progress, 60 a minute and 5,000 a day per tenant, 10,000 a minute per app; every response
carries ``X-DayLimit-Remaining``, ``X-MinLimit-Remaining`` and ``X-AppMinLimit-Remaining``; a
429 carries ``X-Rate-Limit-Problem`` and ``Retry-After``.

Assumed: the windows slide (CData: "60 calls in a rolling 60 second window … 5000 calls in a
rolling 24 hour window"); a call counts at arrival and a rejected call does not count; the
problem values are ``minute``, ``day`` (both observed), ``concurrent`` and ``appminute``;
a concurrent-limit 429 says ``Retry-After: 1``; checks run in the order day, minute,
app-minute, concurrent.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import SandboxConfig


@dataclass(frozen=True)
class Admission:
    """The outcome of :meth:`RateLimiter.admit`."""

    headers: dict[str, str]
    problem: str | None = None
    retry_after: int = 0


@dataclass
class TenantStats:
    """What ``GET /_sandbox/calls`` reports for one tenant."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_per_minute: int = 0
    max_in_flight: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "calls": dict(self.counts),
            "total": sum(self.counts.values()),
            "max_per_minute_window": self.max_per_minute,
            "max_in_flight": self.max_in_flight,
            "rejected_429": dict(self.rejected),
        }


def _trim(window: deque[float], now: float, span: float) -> None:
    while window and window[0] <= now - span:
        window.popleft()


def _retry_after(window: deque[float], now: float, span: float) -> int:
    return max(1, math.ceil(window[0] + span - now))


def _remaining(
    config: SandboxConfig, minute: deque[float], day: deque[float], app: deque[float]
) -> dict[str, str]:
    return {
        "X-DayLimit-Remaining": str(max(0, config.daily_limit - len(day))),
        "X-MinLimit-Remaining": str(max(0, config.minute_limit - len(minute))),
        "X-AppMinLimit-Remaining": str(max(0, config.app_minute_limit - len(app))),
    }


class RateLimiter:
    """Sliding-window limiter with in-flight counting; thread-safe."""

    def __init__(self, config: Callable[[], SandboxConfig]) -> None:
        self._config = config
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every window and statistic."""
        with self._lock:
            self._minute: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            self._day: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            self._app: dict[str, deque[float]] = defaultdict(deque)
            self._in_flight: dict[tuple[str, str], int] = defaultdict(int)
            self._stats: dict[str, TenantStats] = defaultdict(TenantStats)
            self._all_calls: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, client_id: str, tenant_id: str, label: str) -> Admission:
        """Count a call arriving now; a 429 Admission if a limit is exceeded."""
        config = self._config()
        now = time.monotonic()
        key = (client_id, tenant_id)
        with self._lock:
            minute, day, app = self._minute[key], self._day[key], self._app[client_id]
            _trim(minute, now, config.minute_window_seconds)
            _trim(day, now, config.day_window_seconds)
            _trim(app, now, config.minute_window_seconds)
            stats = self._stats[tenant_id]
            stats.counts[label] += 1
            problem, retry = None, 0
            if len(day) >= config.daily_limit:
                problem, retry = "day", _retry_after(day, now, config.day_window_seconds)
            elif len(minute) >= config.minute_limit:
                problem, retry = "minute", _retry_after(minute, now, config.minute_window_seconds)
            elif len(app) >= config.app_minute_limit:
                problem, retry = "appminute", _retry_after(app, now, config.minute_window_seconds)
            elif self._in_flight[key] >= config.concurrent_limit:
                problem, retry = "concurrent", 1
            if problem is None:
                for window in (minute, day, app):
                    window.append(now)
                self._in_flight[key] += 1
                stats.max_in_flight = max(stats.max_in_flight, self._in_flight[key])
                accepted = self._all_calls[tenant_id]
                accepted.append(now)
                _trim(accepted, now, config.minute_window_seconds)
                stats.max_per_minute = max(stats.max_per_minute, len(accepted))
            else:
                stats.rejected[problem] += 1
            headers = _remaining(config, minute, day, app)
        if problem is not None:
            headers |= {"Retry-After": str(retry), "X-Rate-Limit-Problem": problem}
        return Admission(headers, problem, retry)

    def throttled(self, client_id: str, tenant_id: str, retry_after: int) -> Admission:
        """A minute-limit 429 for a call arriving now though no limit is reached (an injected
        fault): not counted, as a limited call is not, and with the headers Xero sends."""
        config = self._config()
        now = time.monotonic()
        key = (client_id, tenant_id)
        with self._lock:
            minute, day, app = self._minute[key], self._day[key], self._app[client_id]
            for window, span in (
                (minute, config.minute_window_seconds),
                (day, config.day_window_seconds),
                (app, config.minute_window_seconds),
            ):
                _trim(window, now, span)
            headers = _remaining(config, minute, day, app)
        headers |= {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": "minute"}
        return Admission(headers, "minute", retry_after)

    def release(self, client_id: str, tenant_id: str) -> None:
        """The call admitted for this connection has finished."""
        with self._lock:
            self._in_flight[(client_id, tenant_id)] -= 1

    def stats(self) -> dict[str, dict[str, object]]:
        """Per-tenant statistics, with the calls in flight now (still being answered, even
        for a client that is gone)."""
        with self._lock:
            in_flight: dict[str, int] = defaultdict(int)
            for (_, tenant_id), count in self._in_flight.items():
                in_flight[tenant_id] += count
            return {
                tenant: {**stats.as_json(), "in_flight": in_flight[tenant]}
                for tenant, stats in self._stats.items()
            }
