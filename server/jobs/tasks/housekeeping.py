"""Jobs that keep the house: the worker round trip the System page checks, and the nightly
purge of settled history (events, sync records, notifications long resolved)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.extensions import current_config, db
from server.models import EventStatus, InboundEvent, Notification, SyncRecord
from server.models.types import utcnow

SETTLED_EVENT_STATUSES = (EventStatus.DONE, EventStatus.DUPLICATE, EventStatus.IGNORED)
PURGE_BATCH = 1000


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
    retention = current_config().retention
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
    # Occurrences over for as long as settled events are kept: nothing to tell of them again.
    notifications = _delete_in_batches(
        Notification,
        Notification.resolved_at < now - timedelta(days=retention.inbound_event_days),
    )
    return {"inbound_events": events, "sync_records": records, "notifications": notifications}


def _delete_in_batches(
    model: type[InboundEvent] | type[SyncRecord] | type[Notification], condition: Any
) -> int:
    deleted = 0
    while True:
        ids = db.session.scalars(sa.select(model.id).where(condition).limit(PURGE_BATCH)).all()
        if not ids:
            return deleted
        db.session.execute(sa.delete(model).where(model.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
