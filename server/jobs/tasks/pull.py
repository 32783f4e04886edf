"""Jobs of the pull from Xero: each webhook event, the periodic read of what changed, and
the drift check."""

from __future__ import annotations

from server.connections.xero.access import connected_store_ids
from server.jobs import keys
from server.jobs.queues import Priority, coalesced
from server.locks import kept
from server.pull import changes, drift_check, events
from server.redis_client import get_redis


@coalesced(keys.xero_event, Priority.LOW)
def process_xero_event(event_id: int) -> str:
    return events.process(event_id)


@coalesced(keys.pull, Priority.LOW)
def pull_store(store_id: int) -> str:
    """What Xero changed in the store's documents since the last pull."""
    return changes.pull(store_id)


def pull_stores() -> int:
    """Every quarter of an hour: what Xero changed in each connected organisation."""
    store_ids = connected_store_ids()
    for store_id in store_ids:
        pull_store.enqueue(store_id)
    return len(store_ids)


@coalesced(keys.drift, Priority.LOW)
def check_drift(store_id: int) -> str:
    """A slice of the store's drift check; the next follows while the run goes on. One job
    at a time per store: a run's position is the lock holder's to move."""
    with kept(get_redis(), f"wooxero:{keys.drift(store_id)}") as taken:
        if not taken:
            return "another job is checking this store"
        result = drift_check.check(store_id)
    if result.more:
        check_drift.enqueue(store_id)
    return result.message


def check_drift_stores() -> int:
    """Nightly: the drift check of each connected organisation (a run left unfinished by a
    lost job goes on)."""
    store_ids = connected_store_ids()
    for store_id in store_ids:
        check_drift.enqueue(store_id)
    return len(store_ids)
