"""Jobs of the push to Xero: a store's flush, the manual syncs, backfills, reference data."""

from __future__ import annotations

from datetime import timedelta

from server.connections.xero.access import connected_store_ids
from server.connectors.base import ConnectorError
from server.extensions import current_config, db
from server.inbound import backfill
from server.jobs import keys
from server.jobs.queues import CoalescedJob, Priority, coalesced
from server.jobs.tasks.pull import check_drift, pull_store
from server.locks import kept
from server.push import flush as push
from server.push import outbox
from server.redis_client import get_redis
from server.stores.settings.rules import SyncScope


@coalesced(keys.flush)
def flush(store_id: int) -> str:
    """One flush of the store's outbox, coalescing every request that arrives meanwhile;
    another follows while work is left. While orders are being gathered the next one is
    delayed, and every request meanwhile joins it; lost with Redis or a worker, the sweeper
    starts it again and it decides anew."""
    result = push.flush(store_id)
    if result.gather:
        flush.enqueue_in(result.gather, store_id)
    elif result.more:
        flush.enqueue(store_id)
    return result.message


@coalesced(keys.reference, Priority.LOW)
def refresh_reference(store_id: int) -> str:
    return push.refresh_reference(store_id)


@coalesced(keys.contacts, Priority.HIGH)
def sync_contacts(store_id: int) -> str:
    outcome = push.sync_contacts(store_id)
    flush.enqueue(store_id)  # what waited for its contacts goes now
    return outcome


@coalesced(keys.items, Priority.HIGH)
def sync_items(store_id: int) -> str:
    outcome = push.sync_items(store_id)
    flush.enqueue(store_id)
    return outcome


MANUAL_SYNCS: dict[SyncScope, CoalescedJob] = {
    SyncScope.TAX_RATES: refresh_reference,
    SyncScope.CONTACTS: sync_contacts,
    SyncScope.ITEMS: sync_items,
    SyncScope.PUSH: flush,
    SyncScope.PULL: pull_store,
    SyncScope.DRIFT: check_drift,
}


def enqueue_manual_sync(store_id: int, scope: SyncScope) -> None:
    """A manual sync of one scope, ahead of background work (cooldowns are the caller's:
    see `server.stores.settings.rules`)."""
    MANUAL_SYNCS[scope].enqueue(store_id, priority=Priority.HIGH)


def flush_stores() -> int:
    """Every minute: a flush for each store with work waiting (after a rate limit, an
    outage, a lost job, or once what its waiting orders needed is there)."""
    store_ids = outbox.stores_with_work()
    store_ids += [
        store_id
        for store_id in outbox.stores_waiting_for_prerequisites()
        if store_id not in store_ids and not push.blocked_by(store_id)
    ]
    db.session.commit()
    for store_id in store_ids:
        flush.enqueue(store_id, priority=Priority.LOW)
    return len(store_ids)


def refresh_references() -> int:
    """Daily: every connected organisation's reference data."""
    store_ids = connected_store_ids()
    for store_id in store_ids:
        refresh_reference.enqueue(store_id)
    return len(store_ids)


@coalesced(keys.backfill, Priority.LOW)
def run_backfill(backfill_id: int) -> str:
    """One page of the backfill, then the flush that writes it and the job for the next page,
    so writing overlaps reading and no job runs long."""
    name = f"wooxero:{keys.backfill(backfill_id)}"
    with kept(get_redis(), name) as taken:
        if not taken:
            return "another job is reading this backfill"
        try:
            more = backfill.read_page(backfill_id)
        except ConnectorError as error:
            db.session.rollback()
            backfill.fail(backfill_id, error.message)
            return f"stopped: {error.message}"
    store_id = backfill.store_of(backfill_id)
    if store_id is not None:
        flush.enqueue(store_id, priority=Priority.LOW)
    if more:
        run_backfill.enqueue(backfill_id)
    return "page read; more to come" if more else "every page read"


def resume_stalled_backfills() -> int:
    """Every minute: a backfill whose job was lost (a worker died) goes on."""
    stalled = backfill.stalled(timedelta(seconds=current_config().worker.job_timeout * 2))
    db.session.commit()
    for backfill_id in stalled:
        run_backfill.enqueue(backfill_id)
    return len(stalled)
