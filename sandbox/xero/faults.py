"""Injected faults: random errors, latency and dropped responses, plus one-shot faults.

Random faults (``error_rate``, ``drop_response_rate``) and latency apply to Accounting API
calls only; one-shot faults (``POST /_sandbox/faults``) match any request by method and exact
path (the full path, or the path after ``/api.xro/2.0``).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Fault:
    """A one-shot fault for the next ``count`` matching requests."""

    path: str | None
    method: str | None
    status: int | None
    drop_response: bool
    count: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Parse ``{"path", "method", "status", "drop_response", "count"}``."""
        status = data.get("status")
        drop = bool(data.get("drop_response", False))
        if status is None and not drop:
            raise ValueError("a fault needs a status or drop_response: true")
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        return cls(
            path=data.get("path"),
            method=(data.get("method") or "").upper() or None,
            status=None if status is None else int(status),
            drop_response=drop,
            count=max(1, int(data.get("count", 1))),
        )

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        """Whether this fault applies to a request."""
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in paths
        )


class FaultInjector:
    """Thread-safe source of faults."""

    def __init__(self, seed: int | None) -> None:
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

    def error_status(self) -> int:
        """500 or 503, at random."""
        with self._lock:
            return self._random.choice((500, 503))
