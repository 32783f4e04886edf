"""What arrives from a store (a webhook delivery or a polled record), stored as an inbound
event; the caller enqueues one coalesced job per record (`server.jobs.tasks`).

Duplicates are recognised: the same record with the same modification time and the same
content, a version older than the one already processed, or the processed version itself (same
time, same content) is stored as a duplicate and starts no job. A delivery as old as the
processed version but with other content is never a duplicate: WooCommerce's dates have whole
seconds, and a partial refund changes an order's `refunds` and totals without touching its
`date_modified` at all. An event that failed or
was ignored does not count. A store that is not active keeps its events pending, to be
processed when it resumes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.extensions import db
from server.models import EventSource, EventStatus, InboundEvent, Store, StoreState, WooRecord

FOLLOWED_RESOURCES = ("order", "customer", "product")


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
    """Store what arrived (flushed, not committed); its status says whether work is owed."""
    status = EventStatus.PENDING
    note = ""
    digest = record_hash(payload)
    if resource not in FOLLOWED_RESOURCES:
        status, note = EventStatus.IGNORED, f"wooxero does not follow {resource}"
    elif _already_known(store.id, resource, resource_id, modified_at, topic, digest):
        status, note = EventStatus.DUPLICATE, "this version was already received"
    event = InboundEvent(
        store_id=store.id, source=source, topic=topic, resource=resource,
        resource_id=resource_id, resource_modified_at=modified_at, delivery_id=delivery_id,
        payload=payload, payload_hash=digest, status=status, error=note,
    )  # fmt: skip
    db.session.add(event)
    db.session.flush()
    return event


def record_hash(data: dict[str, Any] | None) -> str:
    """A record's content as WooCommerce states it: without the links that change with the
    address it was read at, or what wooxero attached (`_`-prefixed, as `_links`)."""
    if data is None:
        return "deleted"
    canonical = json.dumps({k: v for k, v in data.items() if not k.startswith("_")},
                           sort_keys=True)  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


COUNTED = (EventStatus.PENDING, EventStatus.DONE, EventStatus.DUPLICATE)


def _already_known(
    store_id: int,
    resource: str,
    resource_id: str,
    modified_at: datetime | None,
    topic: str,
    digest: str,
) -> bool:
    same_record = sa.and_(
        InboundEvent.store_id == store_id,
        InboundEvent.resource == resource,
        InboundEvent.resource_id == resource_id,
    )
    if modified_at is None:  # a deletion: {"id": N}; the same one still waiting is a repeat
        waiting = sa.and_(
            same_record, InboundEvent.topic == topic, InboundEvent.status == EventStatus.PENDING
        )
        return bool(db.session.scalar(sa.select(sa.func.count()).where(waiting)))
    seen = db.session.scalar(
        sa.select(sa.func.count()).where(
            same_record,
            InboundEvent.resource_modified_at == modified_at,
            InboundEvent.payload_hash == digest,
            InboundEvent.status.in_(COUNTED),
        )
    )
    if seen:
        return True
    processed = db.session.execute(
        sa.select(WooRecord.modified_at, WooRecord.content_hash).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == resource,
            WooRecord.woo_id == resource_id,
        )
    ).first()
    if processed is None or processed.modified_at is None:
        return False
    if processed.modified_at > modified_at:
        return True
    return processed.modified_at == modified_at and processed.content_hash == digest


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
