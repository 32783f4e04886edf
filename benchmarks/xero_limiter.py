"""How much the shared Xero rate limiter costs per call, and how closely it fills Xero's
window without going over. Prints figures and returns them; asserts nothing.

    python -m benchmarks.xero_limiter        (REDIS_URL to use a given Redis; default: embedded)
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from redis import Redis

from benchmarks.report import Figure
from server.connectors.base import RateLimitError
from server.connectors.xero.config import Limits
from server.connectors.xero.ratelimit import CallPriority, RateLimiter
from server.runtime.embedded_redis import EmbeddedRedis


def slot_latency(redis: Redis, calls: int = 5000) -> list[float]:
    """Acquire and release one slot `calls` times with room to spare: the limiter's own cost."""
    limiter = RateLimiter(
        redis, Limits(per_minute=10**6, per_day=10**7, app_per_minute=10**7), app_id="bench"
    )
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        with limiter.slot("org-latency", CallPriority.NORMAL, max_wait=1):
            pass
        timings.append(time.perf_counter() - started)
    return timings


def window_fill(
    redis: Redis, threads: int = 8, per_window: int = 60, window: float = 2.0
) -> tuple[int, float]:
    """Many threads calling as fast as allowed for three windows: calls made, seconds."""
    limiter = RateLimiter(
        redis, Limits(per_minute=per_window, minute_window=window), app_id="bench"
    )
    made = []
    deadline = time.monotonic() + 3 * window

    def caller() -> None:
        while time.monotonic() < deadline:
            try:
                with limiter.slot("org-fill", CallPriority.HIGH, max_wait=window):
                    made.append(time.monotonic())
            except RateLimitError:
                continue

    started = time.monotonic()
    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(made), time.monotonic() - started


def main() -> list[Figure]:
    embedded = None
    url = os.environ.get("REDIS_URL")
    if not url:
        directory = Path(tempfile.mkdtemp(prefix="wx-bench-"))
        embedded = EmbeddedRedis(directory, directory / "redis.log")
        embedded.start()
        url = embedded.url
    redis = Redis.from_url(url)
    try:
        redis.flushdb()
        timings = sorted(slot_latency(redis))
        p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99)]
        print(f"slot acquire+release: p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms "
              f"({len(timings) / sum(timings):.0f} slots/s on one connection)")  # fmt: skip
        made, seconds = window_fill(redis)
        # calls start at 0, 2 and 4 s; one more batch may begin exactly as the run ends
        print(f"window fill: {made} calls in {seconds:.1f} s by 8 threads, where a sliding "
              f"window of 60 per 2 s admits 180 to 240 ({made / 180:.0%} of the 180)")  # fmt: skip
        redis.flushdb()
    finally:
        if embedded is not None:
            embedded.stop()
    return [
        Figure("xero_limiter", "cost per call (slot acquire+release, p50 / p99)",
               f"{p50 * 1e3:.2f} / {p99 * 1e3:.2f} ms"),
        Figure("xero_limiter", "calls admitted in 3 windows of 60 per 2 s, 8 threads",
               f"{made}", "180 to 240: full, never over", 180 <= made <= 240),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
