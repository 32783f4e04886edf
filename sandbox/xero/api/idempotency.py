"""``Idempotency-Key`` handling for PUT and POST.

Sourced (notes §3, two secondary sources agreeing): keys are per app, at most 128
characters; the first response is kept for 6 minutes and replayed for the same key and
request, errors included; the same key with a different request (method, URL or body) gets
400 "Idempotency Key … is used with a different request."; replays count against the limits.
Assumed: a request that repeats a key still being processed waits for the first to finish and
then gets its response; an over-long key is a 400 ValidationException.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import SandboxConfig


@dataclass(frozen=True)
class StoredResponse:
    """A response captured for replay."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Entry:
    fingerprint: str
    created: float
    done: threading.Event = field(default_factory=threading.Event)
    response: StoredResponse | None = None


def fingerprint(method: str, url: str, tenant_id: str, body: bytes) -> str:
    """What makes two requests "the same" for an idempotency key."""
    digest = hashlib.sha256()
    for part in (method.upper(), url, tenant_id):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyStore:
    """Keys per app with their first response; thread-safe."""

    def __init__(self, config: Callable[[], SandboxConfig]) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def reset(self) -> None:
        """Forget every key."""
        with self._lock:
            self._entries.clear()

    def claim(self, app: str, key: str, print_: str) -> StoredResponse | str | None:
        """None: the caller processes and must :meth:`finish` or :meth:`abandon`.
        A StoredResponse: replay it. ``"mismatch"``: the key was used with another request."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get((app, key))
            if entry is not None and now - entry.created > self._config().idempotency_seconds:
                entry = None
            if entry is None:
                self._entries[(app, key)] = _Entry(print_, now)
                return None
            if entry.fingerprint != print_:
                return "mismatch"
        entry.done.wait(timeout=60)
        return entry.response or "mismatch"

    def finish(self, app: str, key: str, response: StoredResponse) -> None:
        """Keep the response for replays."""
        with self._lock:
            entry = self._entries.get((app, key))
        if entry is not None:
            entry.response = response
            entry.done.set()

    def abandon(self, app: str, key: str) -> None:
        """Forget a key whose request produced no cacheable response."""
        with self._lock:
            entry = self._entries.pop((app, key), None)
        if entry is not None:
            entry.done.set()
