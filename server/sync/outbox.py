"""Bookkeeping of the per-store outbox (see `server.models.outbox`): an order that changed is
marked; the flush takes what is due, most urgent first; failed or held orders are replayed.

An entry's `version` grows with every change of its order, so a flush that sent an older
version leaves the entry pending rather than done."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    OutboxAction,
    OutboxEntry,
    OutboxPriority,
    OutboxStatus,
)
from server.models.types import utcnow

DOCUMENT_KINDS = (BindingKind.INVOICE, BindingKind.QUOTE)
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.UNCERTAIN)
REPLAYABLE = (OutboxStatus.FAILED, OutboxStatus.HELD)
PREREQUISITES_HOLD = "not sent yet: "


def entry_for(store_id: int, woo_order_id: str) -> OutboxEntry | None:
    return db.session.scalar(
        sa.select(OutboxEntry).where(
            OutboxEntry.store_id == store_id, OutboxEntry.woo_order_id == woo_order_id
        )
    )


def mark_order(store_id: int, woo_order_id: str, *, backfill_id: int | None = None) -> OutboxEntry:
    """The order changed (or a backfill reached it): Xero must be brought up to date."""
    entry = entry_for(store_id, woo_order_id)
    if entry is None:
        entry = OutboxEntry(
            store_id=store_id, woo_order_id=woo_order_id, kind="", version=0, attempts=0,
            action=OutboxAction.UPSERT, status=OutboxStatus.PENDING,
        )  # fmt: skip
        db.session.add(entry)
    entry.version = (entry.version or 0) + 1
    if entry.status not in (OutboxStatus.SENDING, OutboxStatus.UNCERTAIN):
        entry.status = OutboxStatus.PENDING  # sending/uncertain ones are reconciled first
    entry.error = ""
    entry.priority = int(_priority(store_id, woo_order_id, backfill_id))
    if backfill_id is not None:
        entry.backfill_id = backfill_id
    return entry


def _priority(store_id: int, woo_order_id: str, backfill_id: int | None) -> OutboxPriority:
    if backfill_id is not None:
        return OutboxPriority.BACKFILL
    bound = db.session.scalar(
        sa.select(sa.func.count(Binding.id)).where(
            Binding.store_id == store_id,
            Binding.kind.in_(DOCUMENT_KINDS),
            Binding.woo_id == woo_order_id,
        )
    )
    return OutboxPriority.UPDATE if bound else OutboxPriority.NEW


def due(store_id: int, limit: int) -> list[OutboxEntry]:
    """Unsettled entries, most urgent first (cancellations, new, updates, backfill)."""
    return list(
        db.session.scalars(
            sa.select(OutboxEntry)
            .where(OutboxEntry.store_id == store_id, OutboxEntry.status.in_(UNSETTLED))
            .order_by(OutboxEntry.priority, OutboxEntry.id)
            .limit(limit)
        )
    )


def stores_with_work() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxEntry.store_id)
            .where(OutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.UNCERTAIN)))
            .distinct()
        )
    )


def stores_waiting_for_prerequisites() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxEntry.store_id)
            .where(
                OutboxEntry.status == OutboxStatus.HELD,
                OutboxEntry.error.startswith(PREREQUISITES_HOLD),
            )
            .distinct()
        )
    )


def settle(entry: OutboxEntry, status: OutboxStatus, sent_version: int, error: str = "") -> None:
    """Record the outcome for the version that was sent; a newer version stays pending."""
    if entry.version != sent_version and status is not OutboxStatus.UNCERTAIN:
        entry.status = OutboxStatus.PENDING
        entry.error = ""
        return
    entry.status = status
    entry.error = error
    if status is OutboxStatus.DONE:
        entry.sent_at = utcnow()


def hold_for_prerequisites(store_id: int, reasons: Sequence[str]) -> int:
    """Pending orders of a store that may not sync yet wait, saying why."""
    result = db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.store_id == store_id, OutboxEntry.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.HELD, error=PREREQUISITES_HOLD + "; ".join(reasons))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_prerequisite_holds(store_id: int) -> int:
    """Once the store may sync, the orders that waited for it are pending again."""
    result = db.session.execute(
        sa.update(OutboxEntry)
        .where(
            OutboxEntry.store_id == store_id,
            OutboxEntry.status == OutboxStatus.HELD,
            OutboxEntry.error.startswith(PREREQUISITES_HOLD),
        )
        .values(status=OutboxStatus.PENDING, error="")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def replay(store_id: int, woo_order_id: str | None = None) -> int:
    """Failed and held orders (one, or all of the store) go back to pending. Bindings and
    reconciliation by number keep a replay from making anything twice."""
    condition = sa.and_(OutboxEntry.store_id == store_id, OutboxEntry.status.in_(REPLAYABLE))
    if woo_order_id is not None:
        condition = sa.and_(condition, OutboxEntry.woo_order_id == woo_order_id)
    result = db.session.execute(
        sa.update(OutboxEntry)
        .where(condition)
        .values(status=OutboxStatus.PENDING, error="", attempts=0)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
