"""Waiting for a condition with a generous bound instead of a fixed short delay: the suite
runs on loaded 2-core machines, where anything may take many times longer than usual, so a
test waits as long as it takes and only a condition that never comes true fails it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests

PATIENCE = 120.0
"""Seconds before a wait gives up: far beyond what any condition needs, even under load."""

HTTP_TIMEOUT = 60.0
"""Seconds one HTTP call to a server on this machine may take."""

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    what: str | Callable[[], str],
    timeout: float = PATIENCE,
    interval: float = 0.05,
) -> T:
    """The first truthy value of `condition()`, polled every `interval` seconds; after
    `timeout` seconds an AssertionError with `what` was awaited (a callable is asked only
    then, e.g. for a log) and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            awaited = what() if callable(what) else what
            raise AssertionError(f"waited {timeout:g}s for {awaited} (last: {value!r:.500})")
        time.sleep(interval)


def answers(url: str, status: int | None = 200) -> bool:
    """Whether `url` answers now, with `status` unless None; a server not listening yet, or
    not answering in time, has not answered."""
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        return False
    return status is None or response.status_code == status
