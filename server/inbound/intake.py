"""What arrives from a store (a webhook delivery or a polled record), stored as an inbound
event; the caller enqueues one coalesced job per record (`server.jobs.tasks`).

A webhook delivery is stored as it came, in one INSERT, and its record's job sorts out the
repeats before reading the store (`sort_out`): the answer to WooCommerce waits on nothing
but that row. A poll's finding is sorted at once (`record`): a poll is not waited for, and
only what is new becomes work.

Repeats: the same record with the same modification time and the same content, a version
older than the one already processed, or the processed version itself (same time, same
content), or a deletion (or an order action, which carries no time) while the same one is
still waiting. A delivery as old as the processed version but with other content is never a
repeat: WooCommerce's dates have whole seconds, and a partial refund changes an order's
`refunds` and totals without touching its `date_modified` at all. WooCommerce's delivery id
is no help: it is a hash of the webhook and the second it was sent, so two changes a moment
apart share it. An event that failed or was ignored does not count. A store that is not
active keeps its events pending, to be processed when it resumes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from server.connectors.woocommerce.webhooks import Delivery
from server.extensions import db
from server.models import (
    EventSource,
    EventStatus,
    InboundEvent,
    Store,
    StoreState,
    WooConnection,
    WooRecord,
)
from server.models.types import utcnow

if TYPE_CHECKING:
    from server.connections.woocommerce.access import WebhookTarget

FOLLOWED_RESOURCES = ("order", "customer", "product")
REPEAT_NOTE = "this version was already received"


def _first_status(resource: str) -> tuple[EventStatus, str]:
    if resource not in FOLLOWED_RESOURCES:
        return EventStatus.IGNORED, f"wooxero does not follow {resource}"
    return EventStatus.PENDING, ""


_EVENTS = InboundEvent.__table__
_STORE_DELIVERY = sa.insert(_EVENTS)  # built once: Core, no ORM on the way
_DELIVERY_COLUMNS = (
    "store_id", "source", "topic", "resource", "resource_id", "resource_modified_at",
    "delivery_id", "payload", "payload_hash", "status", "attempts", "error", "received_at",
)  # fmt: skip
# The same row, inserted only while the store is as the delivery was checked against: its
# public id, whether it is active, and its stored webhook secret (built once).
_STORE_DELIVERY_IF_UNCHANGED = (
    sa.insert(_EVENTS)
    .from_select(
        _DELIVERY_COLUMNS,
        sa.select(
            *(sa.bindparam(name, type_=_EVENTS.c[name].type) for name in _DELIVERY_COLUMNS)
        ).where(
            sa.exists().where(
                Store.id == sa.bindparam("target_store_id"),
                Store.public_id == sa.bindparam("public_id"),
                (Store.state == StoreState.ACTIVE) == sa.bindparam("active", type_=sa.Boolean),
                WooConnection.store_id == Store.id,
                sa.type_coerce(WooConnection.webhook_secret, sa.Text)
                == sa.bindparam("stored_secret", type_=sa.Text),
            )
        ),
    )
    .returning(_EVENTS.c.id)
)  # a row back when stored (drivers differ on an INSERT's rowcount)


def receive(connection: sa.Connection, store_id: int, delivery: Delivery) -> EventStatus:
    """Store a verified webhook delivery in one INSERT on `connection`, which is outside any
    transaction (`autocommit_connection`): the statement is its own transaction, committed
    when it returns (on SQLite the write lock is held for it alone). Pending, its repeats
    left to its job, or ignored."""
    row = _delivery_row(store_id, delivery)
    connection.execute(_STORE_DELIVERY, row)
    return row["status"]


def receive_if_unchanged(
    connection: sa.Connection, public_id: str, target: WebhookTarget, delivery: Delivery
) -> EventStatus | None:
    """`receive`, for a delivery checked against a target read earlier
    (`woo_access.remembered_target`): one INSERT that stores it only if the store is still as
    that target was; None, and nothing stored, if it is not (read it again)."""
    row = _delivery_row(target.store_id, delivery)
    condition = {"target_store_id": target.store_id, "public_id": public_id,
                 "active": target.active, "stored_secret": target.stored_secret}  # fmt: skip
    stored = connection.execute(_STORE_DELIVERY_IF_UNCHANGED, row | condition).first()
    return None if stored is None else row["status"]


def _delivery_row(store_id: int, delivery: Delivery) -> dict[str, Any]:
    status, note = _first_status(delivery.resource)
    return {
        "store_id": store_id, "source": EventSource.WOOCOMMERCE_WEBHOOK,
        "topic": delivery.topic, "resource": delivery.resource,
        "resource_id": delivery.resource_id, "resource_modified_at": delivery.modified_at,
        "delivery_id": delivery.delivery_id, "payload": delivery.payload, "payload_hash": "",
        "status": status, "attempts": 0, "error": note, "received_at": utcnow(),
    }  # fmt: skip


def record(
    store: Store,
    *,
    source: EventSource,
    topic: str,
    resource: str,
    resource_id: str,
    modified_at: datetime | None,
    delivery_id: str = "",
    payload: dict[str, Any],
) -> InboundEvent:
    """Store what arrived, sorted at once (flushed, not committed); its status says whether
    work is owed."""
    status, note = _first_status(resource)
    digest = record_hash(payload)
    if status is EventStatus.PENDING:
        arrived = _Version(0, EventStatus.PENDING, topic, modified_at, digest)
        earlier = _versions(store.id, resource, resource_id)
        if _is_repeat(arrived, earlier, _processed(store.id, resource, resource_id)):
            status, note = EventStatus.DUPLICATE, REPEAT_NOTE
    event = InboundEvent(
        store_id=store.id, source=source, topic=topic, resource=resource,
        resource_id=resource_id, resource_modified_at=modified_at, delivery_id=delivery_id,
        payload=payload, payload_hash=digest, status=status, error=note,
    )  # fmt: skip
    db.session.add(event)
    db.session.flush()
    return event


def sort_out(store_id: int, resource: str, woo_id: str) -> list[int]:
    """The record's pending events that are owed a read, in arrival order; the others are
    marked as repeats (flushed, not committed). Run under the record's lock, by its job."""
    versions = _versions(store_id, resource, woo_id)
    _hash_new_payloads(versions)
    processed = _processed(store_id, resource, woo_id)
    owed: list[int] = []
    repeats: list[int] = []
    for index, version in enumerate(versions):
        if version.status is not EventStatus.PENDING:
            continue
        if _is_repeat(version, versions[:index], processed):
            repeats.append(version.id)
            versions[index] = version.as_repeat()
        else:
            owed.append(version.id)
    if repeats:
        db.session.execute(
            sa.update(InboundEvent)
            .where(InboundEvent.id.in_(repeats), InboundEvent.status == EventStatus.PENDING)
            .values(status=EventStatus.DUPLICATE, error=REPEAT_NOTE)
        )
    return owed


def record_hash(data: dict[str, Any] | None) -> str:
    """A record's content as WooCommerce states it: without the links that change with the
    address it was read at, or what wooxero attached (`_`-prefixed, as `_links`)."""
    if data is None:
        return "deleted"
    canonical = json.dumps({k: v for k, v in data.items() if not k.startswith("_")},
                           sort_keys=True)  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


COUNTED = (EventStatus.PENDING, EventStatus.DONE, EventStatus.DUPLICATE)


@dataclass(frozen=True)
class _Version:
    """What the repeat rules compare of one event."""

    id: int
    status: EventStatus
    topic: str
    modified_at: datetime | None
    digest: str  # "" until its job hashes a delivery stored as it came

    def as_repeat(self) -> _Version:
        return _Version(self.id, EventStatus.DUPLICATE, self.topic, self.modified_at, self.digest)


def _versions(store_id: int, resource: str, resource_id: str) -> list[_Version]:
    """The record's events that count for repeats, in arrival order."""
    rows = db.session.execute(
        sa.select(
            InboundEvent.id, InboundEvent.status, InboundEvent.topic,
            InboundEvent.resource_modified_at, InboundEvent.payload_hash,
        )
        .where(
            InboundEvent.store_id == store_id, InboundEvent.resource == resource,
            InboundEvent.resource_id == resource_id, InboundEvent.status.in_(COUNTED),
        )
        .order_by(InboundEvent.id)
    )  # fmt: skip
    return [_Version(*row) for row in rows]


def _hash_new_payloads(versions: list[_Version]) -> None:
    """Hash the deliveries stored as they came (in place), and keep their hashes."""
    unhashed = [version.id for version in versions if not version.digest]
    if not unhashed:
        return
    payloads = db.session.execute(
        sa.select(InboundEvent.id, InboundEvent.payload).where(InboundEvent.id.in_(unhashed))
    ).all()
    digests = {event_id: record_hash(payload) for event_id, payload in payloads}
    db.session.execute(
        sa.update(InboundEvent),
        [{"id": event_id, "payload_hash": digest} for event_id, digest in digests.items()],
    )
    for index, version in enumerate(versions):
        if version.id in digests:
            versions[index] = _Version(version.id, version.status, version.topic,
                                       version.modified_at, digests[version.id])  # fmt: skip


def _processed(store_id: int, resource: str, resource_id: str) -> sa.Row[Any] | None:
    return db.session.execute(
        sa.select(WooRecord.modified_at, WooRecord.content_hash).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == resource,
            WooRecord.woo_id == resource_id,
        )
    ).first()


def _is_repeat(version: _Version, earlier: list[_Version], processed: sa.Row[Any] | None) -> bool:
    if version.modified_at is None:  # a deletion ({"id": N}) or an order action
        return any(e.status is EventStatus.PENDING and e.topic == version.topic for e in earlier)
    if any(e.modified_at == version.modified_at and e.digest == version.digest for e in earlier):
        return True
    if processed is None or processed.modified_at is None:
        return False
    if processed.modified_at > version.modified_at:
        return True
    return processed.modified_at == version.modified_at and processed.content_hash == version.digest


def needs_job(store: Store, event: InboundEvent) -> bool:
    """Whether the event's record must be processed now (the caller enqueues the job)."""
    return event.status == EventStatus.PENDING and store.state == StoreState.ACTIVE


def stored_counts() -> dict[tuple[EventSource, EventStatus], int]:
    """Inbound events kept, by source and status: pending and failed ones until settled,
    the others until retention.inbound_event_days deletes them."""
    return {
        (source, status): count
        for source, status, count in db.session.execute(
            sa.select(InboundEvent.source, InboundEvent.status, sa.func.count()).group_by(
                InboundEvent.source, InboundEvent.status
            )
        )
    }
