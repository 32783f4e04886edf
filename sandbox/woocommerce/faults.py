"""Injected faults: one-shot faults by path and method, plus random errors and latency.

One-shot faults (``POST /_sandbox/faults``) match any request by method and path — the full
path (``/wp-json/wc/v3/orders``) or the route (``/wc/v3/orders``) — and can answer with a
status and WordPress's JSON error, a WordPress HTML error page, a 429 with ``Retry-After``,
add latency, or drop the connection before or after the work is done. ``error_rate`` and
``latency_ms`` apply to every REST call.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

DROP_WHEN = ("before", "after")


@dataclass
class Fault:
    """A one-shot fault for the next ``count`` matching requests."""

    path: str | None
    method: str | None
    status: int | None
    html: bool
    retry_after: int | None
    latency_ms: int
    drop: str | None
    count: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Parse ``{path, method, status, html, retry_after, latency_ms, drop_connection,
        count}``."""
        status = data.get("status")
        retry_after = data.get("retry_after")
        drop = data.get("drop_connection")
        if drop is True:
            drop = "before"
        if drop not in (None, False, *DROP_WHEN):
            raise ValueError("drop_connection must be true, 'before' or 'after'")
        if retry_after is not None:
            status = status or 429
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        latency = int(data.get("latency_ms", 0))
        html = bool(data.get("html", False))
        if html and status is None:
            status = 500
        if status is None and not drop and latency <= 0:
            raise ValueError(
                "a fault needs status, html, retry_after, latency_ms or drop_connection"
            )
        return cls(
            path=data.get("path"),
            method=(data.get("method") or "").upper() or None,
            status=None if status is None else int(status),
            html=html,
            retry_after=None if retry_after is None else int(retry_after),
            latency_ms=max(0, latency),
            drop=drop or None,
            count=max(1, int(data.get("count", 1))),
        )

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        """Whether this fault applies to a request."""
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in paths
        )


class FaultInjector:
    """Thread-safe source of faults."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - simulation, not security
        self._faults: list[Fault] = []

    def reset(self) -> None:
        """Drop every pending one-shot fault."""
        with self._lock:
            self._faults.clear()

    def add(self, fault: Fault) -> None:
        """Queue a one-shot fault."""
        with self._lock:
            self._faults.append(fault)

    def pending(self) -> list[dict[str, Any]]:
        """The queued one-shot faults."""
        with self._lock:
            return [vars(f).copy() for f in self._faults]

    def take(self, method: str, paths: tuple[str, ...]) -> Fault | None:
        """The first matching one-shot fault, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, paths):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def chance(self, rate: float) -> bool:
        """True with probability ``rate``."""
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate
