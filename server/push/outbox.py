"""Bookkeeping of the per-store outbox (see `server.models.outbox`): an order that changed is
marked; the flush takes what is due, most urgent first; failed or held orders are replayed.

An entry's `version` grows with every change of its order, so a flush that sent an older
version leaves the entry pending rather than done."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

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
from server.push import pacing

DOCUMENT_KINDS = (BindingKind.INVOICE, BindingKind.QUOTE)
UNSETTLED = (
    OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.UNCERTAIN, OutboxStatus.BOOKS,
)  # fmt: skip
IN_DOUBT = (OutboxStatus.SENDING, OutboxStatus.UNCERTAIN)
REPLAYABLE = (OutboxStatus.FAILED, OutboxStatus.HELD)
WAITING_PREFIX = "not sent yet: "  # then the reasons, for people reading the entry
MAX_ATTEMPTS = 5  # writes of one version that ended in doubt, before the order is failed


def entry_for(store_id: int, woo_order_id: str) -> OutboxEntry | None:
    return db.session.scalar(
        sa.select(OutboxEntry).where(
            OutboxEntry.store_id == store_id, OutboxEntry.woo_order_id == woo_order_id
        )
    )


def mark_order(store_id: int, woo_order_id: str, *, backfill_id: int | None = None) -> None:
    """The order changed (or a backfill reached it): Xero must be brought up to date.

    One statement (insert, or on conflict version + 1 and pending unless a write is in
    doubt), so neither a flush settling the previous version nor a second process marking
    the same order at the same moment can swallow this change."""
    priority = int(_priority(store_id, woo_order_id, backfill_id))
    table = OutboxEntry.__table__
    changes: dict[str, Any] = {
        "version": table.c.version + 1,
        "status": sa.case(
            (table.c.status.in_([s.value for s in IN_DOUBT]), table.c.status),
            else_=sa.literal(OutboxStatus.PENDING.value),
        ),
        "error": "",
        "attempts": 0,
        "priority": priority,
        "updated_at": utcnow(),
    }
    if backfill_id is not None:
        changes["backfill_id"] = backfill_id
    insert = _dialect_insert()(table).values(
        store_id=store_id, woo_order_id=woo_order_id, kind="", version=1, attempts=0,
        action=OutboxAction.UPSERT.value, status=OutboxStatus.PENDING.value, priority=priority,
        backfill_id=backfill_id, number="", customer_key="", document={}, contact={}, items=[],
        explanation=[], content_hash="", currency="", error="", created_at=utcnow(),
        updated_at=utcnow(),
    )  # fmt: skip
    db.session.execute(
        insert.on_conflict_do_update(index_elements=["store_id", "woo_order_id"], set_=changes),
        execution_options={"synchronize_session": False},
    )
    if backfill_id is None:  # backfill keeps its own pace
        pacing.note_arrival(store_id)


def _dialect_insert() -> Any:
    name = db.session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


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


def due(store_id: int, limit: int, deferred: Collection[OutboxPriority] = ()) -> list[OutboxEntry]:
    """Unsettled entries, most urgent first (cancellations, new, updates, backfill); pending
    ones of a `deferred` priority wait (what is already under way is finished)."""
    waits = sa.and_(
        OutboxEntry.status == OutboxStatus.PENDING,
        OutboxEntry.priority.in_([int(priority) for priority in deferred]),
    )
    return list(
        db.session.scalars(
            sa.select(OutboxEntry)
            .where(
                OutboxEntry.store_id == store_id,
                OutboxEntry.status.in_(UNSETTLED),
                sa.not_(waits),
            )
            .order_by(OutboxEntry.priority, OutboxEntry.id)
            .limit(limit)
        )
    )


def with_status(entry_ids: Sequence[int], status: OutboxStatus) -> list[OutboxEntry]:
    """Those of the entries that are in `status` now."""
    if not entry_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(OutboxEntry)
            .where(OutboxEntry.id.in_(list(entry_ids)), OutboxEntry.status == status)
            .order_by(OutboxEntry.id)
        )
    )


def stores_with_work() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxEntry.store_id)
            .where(OutboxEntry.status.in_(UNSETTLED))  # sending: a flush that was killed
            .distinct()
        )
    )


def stores_waiting_for_prerequisites() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxEntry.store_id)
            .where(OutboxEntry.status == OutboxStatus.WAITING)
            .distinct()
        )
    )


def settle(entry: OutboxEntry, status: OutboxStatus, sent_version: int, error: str = "") -> None:
    """Record the outcome for the version that was sent: one UPDATE that holds only while
    no newer version arrived; a newer version leaves the entry pending instead."""
    values: dict[str, object] = {"status": status, "error": error}
    if status in (OutboxStatus.DONE, OutboxStatus.BOOKS):
        values["sent_at"] = utcnow()
        values["attempts"] = 0
    settled = db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.id == entry.id, OutboxEntry.version == sent_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not settled.rowcount:  # type: ignore[attr-defined]
        db.session.execute(
            sa.update(OutboxEntry)
            .where(OutboxEntry.id == entry.id)
            .values(status=OutboxStatus.PENDING, error="")
            .execution_options(synchronize_session=False)
        )
    db.session.expire(entry, ["status", "error", "sent_at", "version", "attempts"])


def set_status(entry: OutboxEntry, status: OutboxStatus) -> None:
    """A status that does not settle the entry (sending, uncertain, pending again): it
    keeps whatever version has arrived meanwhile."""
    db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.id == entry.id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(entry, ["status", "version"])


def wait_for_prerequisites(store_id: int, reasons: Sequence[str]) -> int:
    """Pending orders of a store that may not sync yet wait, saying why."""
    result = db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.store_id == store_id, OutboxEntry.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.WAITING, error=WAITING_PREFIX + "; ".join(reasons))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_waiting(store_id: int) -> int:
    """Once the store may sync, the orders that waited for it are pending again."""
    result = db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.store_id == store_id, OutboxEntry.status == OutboxStatus.WAITING)
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
