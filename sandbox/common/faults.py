"""Injected faults: one-shot faults queued through ``POST /_sandbox/faults``, seeded random
draws for the ``error_rate``-style knobs, added latency and dropped connections.

A one-shot fault applies to the next ``count`` requests that match its ``method`` and
``path`` (``None`` matches any); each sandbox defines what else its faults carry and does
what they say. The draws come from a generator seeded by the config, so a run with a fixed
seed fails the same calls again.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from flask import Response, g, request

T = TypeVar("T")


class OneShotFault:
    """What the queue needs of a fault; each sandbox's fault is a dataclass deriving from it.

    The dataclass declares these fields itself, in the order ``GET /_sandbox/faults`` lists
    them.
    """

    path: str | None
    method: str | None
    count: int

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        """Whether this fault applies to a request with ``method`` known by any of ``paths``."""
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in paths
        )


F = TypeVar("F", bound=OneShotFault)


def error_status(value: Any) -> int | None:
    """A fault's ``status`` as an int; None stays None, anything outside 400-599 raises."""
    if value is None:
        return None
    if not 400 <= int(value) <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    return int(value)


def target(data: dict[str, Any]) -> dict[str, Any]:
    """A fault's ``path``, ``method`` and ``count`` from its JSON: which requests it hits, and
    how many."""
    return {
        "path": data.get("path"),
        "method": (data.get("method") or "").upper() or None,
        "count": max(1, int(data.get("count", 1))),
    }


class FaultInjector(Generic[F]):
    """Thread-safe source of faults: the queued one-shot faults and the seeded random draws."""

    def __init__(self, parse: Callable[[dict[str, Any]], F], seed: int | None) -> None:
        self._parse = parse
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - simulation, not security
        self._faults: list[F] = []
        self._injected: Counter[str] = Counter()

    def reset(self) -> None:
        """Drop every pending one-shot fault and forget what was injected."""
        with self._lock:
            self._faults.clear()
            self._injected.clear()

    def injected(self, kind: str) -> None:
        """Count a random fault of ``kind`` done to a request."""
        with self._lock:
            self._injected[kind] += 1

    def tally(self) -> dict[str, int]:
        """How many random faults of each kind were done so far."""
        with self._lock:
            return dict(self._injected)

    def add_json(self, body: Any) -> None:
        """Queue the faults a ``POST /_sandbox/faults`` body holds: one object or a list of them.

        Nothing is queued unless every one parses; a bad one raises ValueError or TypeError.
        """
        entries = body if isinstance(body, list) else [body]
        parsed = [self._parse(entry) for entry in entries if isinstance(entry, dict)]
        if not parsed:
            raise ValueError("send a fault object or a list of them")
        with self._lock:
            self._faults.extend(parsed)

    def pending(self) -> list[dict[str, Any]]:
        """The queued one-shot faults."""
        with self._lock:
            return [vars(f).copy() for f in self._faults]

    def take(self, method: str, paths: tuple[str, ...]) -> F | None:
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

    def number(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included, at random."""
        with self._lock:
            return self._random.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``, at random."""
        with self._lock:
            return self._random.choice(options)


def add_latency(milliseconds: int) -> None:
    """Hold the request for ``milliseconds`` (nothing for 0 or less)."""
    if milliseconds > 0:
        time.sleep(milliseconds / 1000)


def drop_connection() -> None:
    """Shut the client's socket now, so it sees the connection drop instead of an answer."""
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        connection.shutdown(socket.SHUT_RDWR)


def drop_connection_after_work() -> None:
    """Do the request's work, then drop the connection instead of answering (see
    ``drop_marked_connection``)."""
    g.sandbox_drop_connection = True


def drop_marked_connection(response: Response) -> Response:
    """``after_request``: drop the connection if the request asked for it."""
    if g.get("sandbox_drop_connection"):
        drop_connection()
    return response
