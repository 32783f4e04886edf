"""Job functions. Each runs inside the worker's app context (see `server.jobs.worker`)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.extensions import current_config, db
from server.inbound import polling as woo_polling
from server.inbound import records as woo_records
from server.inbound import retries
from server.inbound import webhooks as woo_webhooks
from server.jobs import sync_tasks
from server.jobs.queues import Priority, enqueue_coalesced, is_waiting, started
from server.models import (
    ConnectionStatus,
    EventSource,
    EventStatus,
    InboundEvent,
    Store,
    StoreState,
    SyncRecord,
    WooConnection,
    XeroConnection,
)
from server.models.types import utcnow
from server.pull import events as xero_events

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


def xero_event_key(event_id: int) -> str:
    return f"xero-event-{event_id}"


def enqueue_xero_event(event_id: int) -> None:
    enqueue_coalesced(
        process_xero_event, event_id, key=xero_event_key(event_id), priority=Priority.LOW
    )


def process_xero_event(event_id: int) -> str:
    started(xero_event_key(event_id))
    return xero_events.process(event_id)


WOO_SOURCES = (EventSource.WOOCOMMERCE_WEBHOOK, EventSource.WOOCOMMERCE_POLL)


def _due_events(source_filter: Any, connection: Any, now: datetime) -> list[InboundEvent]:
    """Pending events of active stores whose connection works, due for another try."""
    return list(
        db.session.scalars(
            sa.select(InboundEvent)
            .join(Store, Store.id == InboundEvent.store_id)
            .join(connection, connection.store_id == InboundEvent.store_id)
            .where(
                source_filter,
                InboundEvent.status == EventStatus.PENDING,
                InboundEvent.received_at < now - REQUEUE_AFTER,
                sa.or_(InboundEvent.next_attempt_at.is_(None), InboundEvent.next_attempt_at <= now),
                Store.state == StoreState.ACTIVE,
                connection.status == ConnectionStatus.CONNECTED,
            )
            .order_by(sa.func.coalesce(InboundEvent.next_attempt_at, InboundEvent.received_at))
            .limit(REQUEUE_BATCH)
        )
    )


def _job_key(event: InboundEvent) -> str:
    if event.source == EventSource.XERO_WEBHOOK:
        return xero_event_key(event.id)
    return woo_record_key(event.store_id or 0, event.resource, event.resource_id)


def requeue_pending_events() -> int:
    """Enqueue again the events still pending a while after they arrived (Redis was down,
    a job failed, a retry is due): each time counts an attempt, and past the limit the event
    is failed for a person to look at (server.inbound.retries). An event whose job is still
    waiting in the queue is left to it and spends no attempt."""
    now = utcnow()
    xero = _due_events(InboundEvent.source == EventSource.XERO_WEBHOOK, XeroConnection, now)
    woo = _due_events(InboundEvent.source.in_(WOO_SOURCES), WooConnection, now)
    not_queued = [event for event in xero + woo if not is_waiting(_job_key(event))]
    to_enqueue = [event for event in not_queued if retries.give_up_or_count(event, now)]
    records = {
        (e.store_id, e.resource, e.resource_id) for e in to_enqueue if e.source in WOO_SOURCES
    }
    xero_ids = [e.id for e in to_enqueue if e.source == EventSource.XERO_WEBHOOK]
    db.session.commit()
    for event_id in xero_ids:
        enqueue_xero_event(event_id)
    for store_id, resource, resource_id in records:
        enqueue_woo_record(store_id or 0, resource, resource_id)
    return len(to_enqueue)


def requeue_store_events(store_id: int) -> int:
    """After a store resumes or reconnects: enqueue the work its pending events are owed,
    now rather than at the sweeper's pace (and without spending attempts)."""
    started(requeue_key(store_id))
    pending = sa.and_(InboundEvent.store_id == store_id, InboundEvent.status == EventStatus.PENDING)
    records = db.session.execute(
        sa.select(InboundEvent.resource, InboundEvent.resource_id)
        .where(pending, InboundEvent.source.in_(WOO_SOURCES))
        .distinct()
    ).all()
    xero_ids = db.session.scalars(
        sa.select(InboundEvent.id).where(pending, InboundEvent.source == EventSource.XERO_WEBHOOK)
    ).all()
    db.session.execute(sa.update(InboundEvent).where(pending).values(next_attempt_at=None))
    db.session.commit()
    for resource, resource_id in records:
        enqueue_woo_record(store_id, resource, resource_id)
    for event_id in xero_ids:
        enqueue_xero_event(event_id)
    return len(records) + len(xero_ids)


def retry_failed_events(event_ids: list[int]) -> int:
    """An operator's "retry": failed events become pending again, with no attempts spent."""
    failed = sa.and_(InboundEvent.id.in_(event_ids), InboundEvent.status == EventStatus.FAILED)
    store_ids = db.session.scalars(sa.select(InboundEvent.store_id).where(failed).distinct()).all()
    again = {"status": EventStatus.PENDING, "attempts": 0, "next_attempt_at": None}
    changed = db.session.execute(
        sa.update(InboundEvent)
        .where(failed)
        .values(**again, processed_at=None, error="retried by an operator")
    ).rowcount
    db.session.commit()
    for store_id in store_ids:
        if store_id is not None:
            enqueue_requeue_store(store_id)
    return changed


def enqueue_requeue_store(store_id: int) -> None:
    enqueue_coalesced(
        requeue_store_events, store_id, key=requeue_key(store_id), priority=Priority.HIGH
    )


def requeue_key(store_id: int) -> str:
    return f"store-requeue-{store_id}"


# -- WooCommerce ---------------------------------------------------------------------------


def woo_record_key(store_id: int, resource: str, woo_id: str) -> str:
    return f"woo-record-{store_id}-{resource}-{woo_id}"


def poll_key(store_id: int) -> str:
    return f"woo-poll-{store_id}"


def webhooks_key(store_id: int) -> str:
    return f"woo-webhooks-{store_id}"


def setup_key(store_id: int) -> str:
    return f"woo-setup-{store_id}"


def enqueue_woo_record(store_id: int, resource: str, woo_id: str) -> None:
    """One job per record, coalescing bursts (see enqueue_coalesced)."""
    enqueue_coalesced(
        process_woo_record, store_id, resource, woo_id,
        key=woo_record_key(store_id, resource, woo_id), priority=Priority.DEFAULT,
    )  # fmt: skip


def process_woo_record(store_id: int, resource: str, woo_id: str) -> str:
    started(woo_record_key(store_id, resource, woo_id))
    result = woo_records.process(store_id, resource, woo_id)
    if result == "processed" and resource == "order":
        sync_tasks.enqueue_flush(store_id)
    return result


def enqueue_poll(store_id: int, priority: Priority = Priority.LOW) -> None:
    enqueue_coalesced(poll_woo_store, store_id, key=poll_key(store_id), priority=priority)


def poll_woo_stores() -> int:
    """Every minute: start the poll of each store whose interval has passed."""
    due = woo_polling.due_store_ids()
    db.session.commit()
    for store_id in due:
        enqueue_poll(store_id)
    return len(due)


def poll_woo_store(store_id: int) -> str:
    started(poll_key(store_id))
    result = woo_polling.poll(store_id)
    for woo_id in dict.fromkeys(result.to_process):
        enqueue_woo_record(store_id, "order", woo_id)
    found = len(result.to_process)
    outcome = f"{result.orders_seen} orders in {result.pages} requests, {found} to process"
    return f"{outcome}; stopped: {result.error}" if result.error else outcome


def check_woo_webhooks() -> int:
    """On a schedule: check the webhooks of every active store with WooCommerce connected."""
    store_ids = db.session.scalars(
        sa.select(WooConnection.store_id)
        .join(Store, Store.id == WooConnection.store_id)
        .where(Store.state == StoreState.ACTIVE, WooConnection.status == ConnectionStatus.CONNECTED)
    ).all()
    db.session.commit()
    for store_id in store_ids:
        enqueue_coalesced(
            check_store_webhooks, store_id, key=webhooks_key(store_id), priority=Priority.LOW
        )
    return len(store_ids)


def check_store_webhooks(store_id: int) -> str:
    """Put back any webhook WooCommerce disabled or someone removed; then poll to fill the
    gap they may have left."""
    started(webhooks_key(store_id))
    return _check_webhooks(store_id)


def _check_webhooks(store_id: int) -> str:
    report = woo_webhooks.ensure(store_id)
    if report.gap_possible:
        enqueue_poll(store_id, Priority.DEFAULT)
    return f"created {report.created}, reactivated {report.reactivated}, removed {report.removed}"


def enqueue_woo_setup(store_id: int) -> None:
    enqueue_coalesced(set_up_woocommerce, store_id, key=setup_key(store_id), priority=Priority.HIGH)


def set_up_woocommerce(store_id: int) -> str:
    """After new keys: install the webhooks, poll once to catch up, and take up the events
    that waited for the keys."""
    started(setup_key(store_id))
    outcome = _check_webhooks(store_id)
    enqueue_poll(store_id, Priority.DEFAULT)
    enqueue_requeue_store(store_id)
    return outcome
