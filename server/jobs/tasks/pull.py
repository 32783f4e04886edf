"""Jobs of the pull from Xero: each webhook event, and the periodic read of what changed."""

from __future__ import annotations

from server.connections.xero.access import connected_store_ids
from server.jobs import keys
from server.jobs.queues import Priority, coalesced
from server.pull import changes, events


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
