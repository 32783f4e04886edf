"""Backfill: every order created since a date, read from the store a page at a time and
queued in the outbox at backfill priority (after new orders and updates), with progress and
an estimate of the time left under the organisation's rate budget."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connectors.xero.ratelimit import SHARE, CallPriority
from server.connectors.xero.resources import BATCH_WRITE_SIZE
from server.extensions import current_config, db
from server.inbound import records as woo_records
from server.models import Backfill, BackfillStatus, OutboxEntry, OutboxStatus, Store
from server.models.types import utcnow
from server.push import outbox
from server.untrusted import ascii_int

SETTLED = (OutboxStatus.DONE, OutboxStatus.WAITING, OutboxStatus.HELD, OutboxStatus.FAILED)
CALLS_PER_BATCH = 1.25  # a batch of documents, plus the contact lookups and creates it needs


class BackfillError(ValueError):
    """A backfill that cannot start (a clear message for the person asking)."""


@dataclass(frozen=True)
class Progress:
    status: str
    total: int | None  # orders the store reported
    read: int
    done: int  # orders settled in Xero (written, unchanged, held or failed)
    held: int
    failed: int
    seconds_left: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status, "total": self.total, "read": self.read, "done": self.done,
            "held": self.held, "failed": self.failed, "seconds_left": self.seconds_left,
        }  # fmt: skip


def start(store_id: int, since: datetime) -> Backfill:
    """A new backfill (not committed); one at a time per store."""
    running = db.session.scalar(
        sa.select(Backfill).where(
            Backfill.store_id == store_id, Backfill.status == BackfillStatus.RUNNING
        )
    )
    if running is not None:
        raise BackfillError(f"a backfill since {running.since:%Y-%m-%d} is already running")
    if since > utcnow():
        raise BackfillError("the start date is in the future")
    backfill = Backfill(store_id=store_id, since=since, read=0, next_page=1)
    db.session.add(backfill)
    return backfill


def latest(store_id: int) -> Backfill | None:
    return db.session.scalar(
        sa.select(Backfill)
        .where(Backfill.store_id == store_id)
        .order_by(Backfill.id.desc())
        .limit(1)
    )


def read_page(backfill_id: int) -> bool:
    """Read the next page of orders into the outbox; True while pages remain. Commits."""
    backfill = db.session.get(Backfill, backfill_id)
    if backfill is None or backfill.status != BackfillStatus.RUNNING:
        return False
    store = db.session.get(Store, backfill.store_id)
    assert store is not None
    page, since, store_id = backfill.next_page, backfill.since, store.id
    client = woo_access.client_for(store)
    params = {
        "after": since.strftime("%Y-%m-%dT%H:%M:%S"), "dates_are_gmt": "true",
        "orderby": "id", "order": "asc",
    }  # fmt: skip
    response = client.page("orders", params, page)
    # Every read before the first write: no transaction is held while the store answers.
    orders = [woo_records.with_refunds(client, order)
              for order in (response.data if isinstance(response.data, list) else [])]  # fmt: skip
    backfill = db.session.get(Backfill, backfill_id)
    assert backfill is not None
    for order in orders:
        woo_id = str(order["id"])
        woo_records.keep(store_id, "order", woo_id, order, response.server_time)
        outbox.mark_order(store_id, woo_id, backfill_id=backfill_id)
        backfill.read += 1
    total = ascii_int(response.headers.get("X-WP-Total") or "")
    backfill.total = total if total is not None else backfill.total
    more = not response.is_last_page(page)
    backfill.next_page = page + 1
    if not more:
        backfill.status = BackfillStatus.DONE
        backfill.finished_at = utcnow()
        backfill.total = backfill.read if backfill.total is None else backfill.total
    db.session.commit()
    return more


def stalled(older_than: timedelta) -> list[int]:
    """Running backfills no job has moved for a while (a worker died): to be taken up."""
    return list(
        db.session.scalars(
            sa.select(Backfill.id).where(
                Backfill.status == BackfillStatus.RUNNING,
                Backfill.updated_at < utcnow() - older_than,
            )
        )
    )


def store_of(backfill_id: int) -> int | None:
    backfill = db.session.get(Backfill, backfill_id)
    return backfill.store_id if backfill is not None else None


def fail(backfill_id: int, message: str) -> None:
    backfill = db.session.get(Backfill, backfill_id)
    if backfill is not None:
        backfill.status = BackfillStatus.FAILED
        backfill.error = message[:2000]
        backfill.finished_at = utcnow()
        db.session.commit()


def progress(backfill: Backfill) -> Progress:
    counts = dict(
        db.session.execute(
            sa.select(OutboxEntry.status, sa.func.count(OutboxEntry.id))
            .where(OutboxEntry.backfill_id == backfill.id)
            .group_by(OutboxEntry.status)
        ).all()
    )
    done = sum(counts.get(status, 0) for status in SETTLED)
    expected = backfill.total if backfill.total is not None else backfill.read
    left = max(expected - done, 0)
    held = counts.get(OutboxStatus.HELD, 0) + counts.get(OutboxStatus.WAITING, 0)
    return Progress(
        status=backfill.status.value, total=backfill.total, read=backfill.read, done=done,
        held=held, failed=counts.get(OutboxStatus.FAILED, 0), seconds_left=seconds_left(left),
    )  # fmt: skip


def seconds_left(orders: int) -> int:
    """Time to write `orders` documents in batches of fifty at the share of the
    organisation's minute budget that backfill may use."""
    xero = current_config().xero
    calls = math.ceil(orders / BATCH_WRITE_SIZE) * CALLS_PER_BATCH
    per_second = xero.minute_limit * SHARE[CallPriority.LOW] / xero.minute_window_seconds
    return math.ceil(calls / per_second) if orders else 0
