"""Jobs of a store's life: closing its connections after uninstallation, and erasing the
stores uninstalled longer ago than the retention period."""

from __future__ import annotations

from server.jobs.queues import Priority, enqueue_coalesced, started
from server.stores import lifecycle as store_lifecycle


def close_key(store_id: int) -> str:
    return f"store-close-{store_id}"


def enqueue_close_connections(store_id: int, *, erase: bool) -> None:
    enqueue_coalesced(
        close_connections, store_id, erase, key=close_key(store_id), priority=Priority.HIGH
    )


def close_connections(store_id: int, erase: bool) -> str:
    started(close_key(store_id))
    return store_lifecycle.close_connections(store_id, erase=erase)


def erase_expired_stores() -> int:
    """Daily: stores uninstalled longer ago than `retention.uninstalled_store_days`."""
    return store_lifecycle.erase_expired_uninstalled()
