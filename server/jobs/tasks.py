"""Job functions. Each runs inside the worker's app context (see `server.jobs.worker`)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.extensions import current_settings, db
from server.jobs.queues import Priority, enqueue_once
from server.models import EventSource, EventStatus, InboundEvent, Store, StoreState, SyncRecord
from server.models.types import utcnow
from server.sync import xero_events

SETTLED_EVENT_STATUSES = (EventStatus.DONE, EventStatus.DUPLICATE, EventStatus.IGNORED)
PURGE_BATCH = 1000
REQUEUE_AFTER = timedelta(minutes=2)
REQUEUE_BATCH = 500


def check_worker() -> dict[str, object]:
    """Prove the pipeline end to end: this ran in a worker that can reach the database."""
    database_time = db.session.scalar(sa.select(sa.func.current_timestamp()))
    db.session.rollback()
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "database_time": str(database_time),
    }


def purge_expired_records() -> dict[str, int]:
    """Delete settled inbound events and sync records older than their retention period,
    a thousand rows per transaction so no lock is held for long.

    Pending and failed events are never deleted: they are work still owed.
    """
    retention = current_settings().retention
    now = utcnow()
    events = _delete_in_batches(
        InboundEvent,
        sa.and_(
            InboundEvent.status.in_(SETTLED_EVENT_STATUSES),
            InboundEvent.received_at < now - timedelta(days=retention.inbound_event_days),
        ),
    )
    records = _delete_in_batches(
        SyncRecord, SyncRecord.started_at < now - timedelta(days=retention.sync_record_days)
    )
    return {"inbound_events": events, "sync_records": records}


def _delete_in_batches(model: type[InboundEvent] | type[SyncRecord], condition: Any) -> int:
    deleted = 0
    while True:
        ids = db.session.scalars(sa.select(model.id).where(condition).limit(PURGE_BATCH)).all()
        if not ids:
            return deleted
        db.session.execute(sa.delete(model).where(model.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)


def xero_event_job_id(event_id: int) -> str:
    return f"xero-event-{event_id}"


def process_xero_event(event_id: int) -> str:
    return xero_events.process(event_id)


def requeue_pending_events() -> int:
    """Enqueue again events still pending a while after they arrived (Redis was down, a
    retry is due, the store came back): nothing received is ever left behind."""
    rows = db.session.scalars(
        sa.select(InboundEvent.id)
        .join(Store, Store.id == InboundEvent.store_id)
        .where(
            InboundEvent.status == EventStatus.PENDING,
            InboundEvent.source == EventSource.XERO_WEBHOOK,
            InboundEvent.received_at < utcnow() - REQUEUE_AFTER,
            Store.state == StoreState.ACTIVE,
        )
        .order_by(InboundEvent.id)
        .limit(REQUEUE_BATCH)
    ).all()
    db.session.commit()
    for event_id in rows:
        enqueue_once(
            process_xero_event, event_id, job_id=xero_event_job_id(event_id), priority=Priority.LOW
        )
    return len(rows)
