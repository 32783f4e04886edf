"""The store's one-shot faults: by path and method, with WordPress's ways of failing.

One-shot faults (``POST /_sandbox/faults``) match any request by method and path — the full
path (``/wp-json/wc/v3/orders``) or the route (``/wc/v3/orders``) — and can answer with a
status and WordPress's JSON error, a WordPress HTML error page, a 429 with ``Retry-After``,
add latency, or drop the connection before or after the work is done. ``error_rate`` and
``latency_ms`` apply to every REST call (see ``rest.server``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..common.faults import OneShotFault, error_status, target

DROP_WHEN = ("before", "after")


@dataclass
class Fault(OneShotFault):
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
        status = error_status(status)
        latency = int(data.get("latency_ms", 0))
        html = bool(data.get("html", False))
        if html and status is None:
            status = 500
        if status is None and not drop and latency <= 0:
            raise ValueError(
                "a fault needs status, html, retry_after, latency_ms or drop_connection"
            )
        return cls(
            **target(data),
            status=status,
            html=html,
            retry_after=None if retry_after is None else int(retry_after),
            latency_ms=max(0, latency),
            drop=drop or None,
        )
