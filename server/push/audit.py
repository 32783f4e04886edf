"""Sync records for the orders the engine handles: every attempt, with its numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.extensions import db
from server.models import Direction, OutboxEntry, Outcome, SyncRecord
from server.models.types import utcnow


def record(
    entry: OutboxEntry,
    kind: str,
    action: str,
    outcome: Outcome,
    message: str,
    *,
    xero_id: str | None = None,
    xero_total: Decimal | None = None,
    details: dict[str, Any] | None = None,
) -> SyncRecord:
    """One line of the audit trail for `entry`'s order (added to the session, not committed)."""
    row = SyncRecord(
        store_id=entry.store_id, direction=Direction.PUSH, kind=kind or "order",
        woo_id=entry.woo_order_id, xero_id=xero_id, action=action, outcome=outcome,
        message=message[:5000], details={"number": entry.number, **(details or {})},
        currency=entry.currency, woo_total=entry.total, xero_total=xero_total,
        finished_at=utcnow(),
    )  # fmt: skip
    db.session.add(row)
    return row


def record_store(store_id: int, action: str, outcome: Outcome, message: str) -> SyncRecord:
    """A line about the store's orders as a whole (e.g. why they wait)."""
    row = SyncRecord(
        store_id=store_id, direction=Direction.PUSH, kind="order", action=action,
        outcome=outcome, message=message[:5000], finished_at=utcnow(),
    )  # fmt: skip
    db.session.add(row)
    return row
