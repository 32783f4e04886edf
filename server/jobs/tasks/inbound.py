"""Jobs of what comes in from WooCommerce: each record that something arrived about, the
polls that fill what webhooks missed, the check for refunds no webhook told of, the
webhooks kept in place; and the sweeper that gives every pending inbound event
(WooCommerce's or Xero's) its job again."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.inbound import polling, records, refund_check, retries
from server.inbound import webhooks as woo_webhooks
from server.jobs import keys, queues
from server.jobs.queues import Priority, coalesced
from server.jobs.tasks.pull import process_xero_event
from server.jobs.tasks.push import flush
from server.models import (
    ConnectionStatus,
    EventSource,
    EventStatus,
    InboundEvent,
    Store,
    StoreState,
    WooConnection,
    XeroConnection,
)
from server.models.types import utcnow

REQUEUE_AFTER = timedelta(minutes=2)
REQUEUE_BATCH = 500
WOO_SOURCES = (EventSource.WOOCOMMERCE_WEBHOOK, EventSource.WOOCOMMERCE_POLL)


@coalesced(keys.woo_record)
def process_woo_record(store_id: int, resource: str, woo_id: str) -> str:
    """One job per record, coalescing bursts: its current version read and kept; a changed
    order starts the store's flush."""
    result = records.process(store_id, resource, woo_id)
    if result.outbox_marked:
        flush.enqueue(store_id)
    return str(result)


DELIVERED = "wooxero:woo:delivered"  # "store:resource:id" of each delivery, in order
STORE_SLICE = 20  # records a store's job takes at a time before the other stores' turn…
SLICE_SECONDS = 30  # …or fewer when the store answers slowly


def _store_delivered(store_id: int) -> str:
    return f"{DELIVERED}:{store_id}"  # "resource:id" of the store's deliveries, in order


def woo_records_delivered(records: list[tuple[int, str, str]]) -> None:
    """From the webhooks: records (store id, resource, WooCommerce id) noted for their jobs
    in one Redis round trip (a job creates more work than a request should);
    `take_up_deliveries` hands them to their stores' jobs. A note lost (Redis down, the job killed)
    leaves the event pending: the sweeper takes it up."""
    items = [f"{store_id}:{resource}:{woo_id}" for store_id, resource, woo_id in records]
    if queues.note(DELIVERED, items, keys.woo_deliveries()):
        take_up_deliveries.enqueue_claimed()


@coalesced(keys.woo_deliveries, Priority.HIGH)
def take_up_deliveries() -> int:
    """The records noted since the last run, to their stores' jobs: one job per store, so a
    store with a backlog gets its turns like the others rather than a queue of its own jobs
    ahead of theirs."""
    by_store: dict[int, list[str]] = {}
    for item in dict.fromkeys(queues.take_noted(DELIVERED)):
        store_id, record = item.split(":", 1)
        by_store.setdefault(int(store_id), []).append(record)
    for store_id, noted in by_store.items():
        queues.append_noted(_store_delivered(store_id), noted)
        process_store_deliveries.enqueue(store_id)
    return sum(len(noted) for noted in by_store.values())


@coalesced(keys.woo_store_deliveries)
def process_store_deliveries(store_id: int) -> int:
    """A slice of the store's delivered records, oldest first, each processed as its own job
    would (a burst for one record: once); with more left, the job goes to the back of the
    queue, so every store waiting gets a turn in between. Changed orders start the store's
    flush."""
    name, deadline = _store_delivered(store_id), time.monotonic() + SLICE_SECONDS
    taken: set[str] = set()
    marked = False
    while len(taken) < STORE_SLICE and time.monotonic() < deadline:
        item = queues.take_one_noted(name)
        if item is None:
            break
        if item not in taken:
            taken.add(item)
            resource, woo_id = item.split(":", 1)
            marked = records.process(store_id, resource, woo_id).outbox_marked or marked
    if marked:
        flush.enqueue(store_id)
    if queues.has_noted(name):
        process_store_deliveries.enqueue(store_id)
    return len(taken)


@coalesced(keys.woo_poll, Priority.LOW)
def poll_woo_store(store_id: int) -> str:
    result = polling.poll(store_id)
    for woo_id in dict.fromkeys(result.to_process):
        process_woo_record.enqueue(store_id, "order", woo_id)
    found = len(result.to_process)
    outcome = f"{result.orders_seen} orders in {result.pages} requests, {found} to process"
    return f"{outcome}; stopped: {result.error}" if result.error else outcome


def poll_woo_stores() -> int:
    """Every minute: start the poll of each store whose interval has passed."""
    due = polling.due_store_ids()
    db.session.commit()
    for store_id in due:
        poll_woo_store.enqueue(store_id)
    return len(due)


@coalesced(keys.woo_refund_check, Priority.LOW)
def check_store_refunds(store_id: int) -> str:
    """Part of a round of the store's refund check; orders found changed start its flush."""
    result = refund_check.check(store_id)
    if result.changed:
        flush.enqueue(store_id)
    outcome = (
        f"{result.orders_checked} orders in {result.requests} requests, "
        f"{len(result.changed)} changed, {len(result.busy)} busy"
        f"{'; the round is finished' if result.finished else ''}"
    )
    return f"{outcome}; stopped: {result.error}" if result.error else outcome


def check_woo_refunds() -> int:
    """Every minute: start or go on with the refund check of each store where it is due."""
    due = refund_check.due_store_ids()
    db.session.commit()
    for store_id in due:
        check_store_refunds.enqueue(store_id)
    return len(due)


@coalesced(keys.woo_webhooks, Priority.LOW)
def check_store_webhooks(store_id: int) -> str:
    """Put back any webhook WooCommerce disabled or someone removed; then poll to fill the
    gap they may have left."""
    return _check_webhooks(store_id)


def check_woo_webhooks() -> int:
    """On a schedule: check the webhooks of every active store with WooCommerce connected."""
    store_ids = [connection.store_id for connection in woo_access.active_connections()]
    db.session.commit()
    for store_id in store_ids:
        check_store_webhooks.enqueue(store_id)
    return len(store_ids)


def _check_webhooks(store_id: int) -> str:
    report = woo_webhooks.ensure(store_id)
    if report.gap_possible:
        poll_woo_store.enqueue(store_id, priority=Priority.DEFAULT)
    return f"created {report.created}, reactivated {report.reactivated}, removed {report.removed}"


@coalesced(keys.woo_setup, Priority.HIGH)
def set_up_woocommerce(store_id: int) -> str:
    """After new keys: install the webhooks, poll once to catch up, and take up the events
    that waited for the keys."""
    outcome = _check_webhooks(store_id)
    poll_woo_store.enqueue(store_id, priority=Priority.DEFAULT)
    requeue_store_events.enqueue(store_id)
    return outcome


# -- the sweeper -----------------------------------------------------------------------------


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


def _job_waiting(event: InboundEvent, noted: set[tuple[int, str, str]]) -> bool:
    if event.source == EventSource.XERO_WEBHOOK:
        return process_xero_event.is_waiting(event.id)
    record = (event.store_id or 0, event.resource, event.resource_id)
    return record in noted or process_woo_record.is_waiting(*record)


def _still_noted(store_ids: set[int]) -> set[tuple[int, str, str]]:
    """The records still waiting in these stores' delivered lists: not lost, only behind a
    backlog whose turns keep the other stores' work moving, so the sweeper leaves them to
    the store's job (enqueued again here, in case a killed worker took it)."""
    noted: set[tuple[int, str, str]] = set()
    for store_id in store_ids:
        items = queues.still_noted(_store_delivered(store_id))
        if items:
            process_store_deliveries.enqueue(store_id)
        for item in items:
            resource, woo_id = item.split(":", 1)
            noted.add((store_id, resource, woo_id))
    return noted


def requeue_pending_events() -> int:
    """Enqueue again the events still pending a while after they arrived (Redis was down,
    a job was lost with a killed worker, a retry is due): each time counts an attempt, and
    past the limit the event is failed for a person to look at (server.inbound.retries). An
    event whose job is still waiting in the queue, or whose record still waits in its
    store's delivered list, is left to it and spends no attempt."""
    now = utcnow()
    xero = _due_events(InboundEvent.source == EventSource.XERO_WEBHOOK, XeroConnection, now)
    woo = _due_events(InboundEvent.source.in_(WOO_SOURCES), WooConnection, now)
    if queues.has_noted(DELIVERED):  # its take-up job may have been lost with a worker
        take_up_deliveries.enqueue()
    noted = _still_noted({event.store_id or 0 for event in woo})
    not_queued = [event for event in xero + woo if not _job_waiting(event, noted)]
    to_enqueue = [event for event in not_queued if retries.give_up_or_count(event, now)]
    woo_records = {
        (e.store_id, e.resource, e.resource_id) for e in to_enqueue if e.source in WOO_SOURCES
    }
    xero_ids = [e.id for e in to_enqueue if e.source == EventSource.XERO_WEBHOOK]
    db.session.commit()
    for event_id in xero_ids:
        process_xero_event.enqueue(event_id)
    for store_id, resource, resource_id in woo_records:
        process_woo_record.enqueue(store_id or 0, resource, resource_id)
    return len(to_enqueue)


@coalesced(keys.store_requeue, Priority.HIGH)
def requeue_store_events(store_id: int) -> int:
    """After a store resumes or reconnects: enqueue the work its pending events are owed,
    now rather than at the sweeper's pace (and without spending attempts)."""
    pending = sa.and_(InboundEvent.store_id == store_id, InboundEvent.status == EventStatus.PENDING)
    woo_records = db.session.execute(
        sa.select(InboundEvent.resource, InboundEvent.resource_id)
        .where(pending, InboundEvent.source.in_(WOO_SOURCES))
        .distinct()
    ).all()
    xero_ids = db.session.scalars(
        sa.select(InboundEvent.id).where(pending, InboundEvent.source == EventSource.XERO_WEBHOOK)
    ).all()
    db.session.execute(sa.update(InboundEvent).where(pending).values(next_attempt_at=None))
    db.session.commit()
    for resource, resource_id in woo_records:
        process_woo_record.enqueue(store_id, resource, resource_id)
    for event_id in xero_ids:
        process_xero_event.enqueue(event_id)
    return len(woo_records) + len(xero_ids)


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
            requeue_store_events.enqueue(store_id)
    return changed
