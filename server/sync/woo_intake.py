"""What arrives from a store (a webhook delivery or a polled record), stored as an inbound
event; the caller enqueues one coalesced job per record (`server.jobs.tasks`).

Duplicates are recognised: the same record at the same modification time, or a version no
newer than the one already processed, is stored as a duplicate and starts no job. A store
that is not active keeps its events pending, to be processed when it resumes.
"""

from __future__ import annotations

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
    if resource not in FOLLOWED_RESOURCES:
        status, note = EventStatus.IGNORED, f"wooxero does not follow {resource}"
    elif _already_known(store.id, resource, resource_id, modified_at, topic):
        status, note = EventStatus.DUPLICATE, "this version was already received"
    event = InboundEvent(
        store_id=store.id, source=source, topic=topic, resource=resource,
        resource_id=resource_id, resource_modified_at=modified_at, delivery_id=delivery_id,
        payload=payload, status=status, error=note,
    )  # fmt: skip
    db.session.add(event)
    db.session.flush()
    return event


def _already_known(
    store_id: int, resource: str, resource_id: str, modified_at: datetime | None, topic: str
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
            same_record, InboundEvent.resource_modified_at == modified_at
        )
    )
    if seen:
        return True
    processed = db.session.scalar(
        sa.select(WooRecord.modified_at).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == resource,
            WooRecord.woo_id == resource_id,
        )
    )
    return processed is not None and processed >= modified_at


def needs_job(store: Store, event: InboundEvent) -> bool:
    """Whether the event's record must be processed now (the caller enqueues the job)."""
    return event.status == EventStatus.PENDING and store.state == StoreState.ACTIVE
