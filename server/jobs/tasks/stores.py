"""Jobs of a store's life: closing its connections after uninstallation, and erasing the
stores uninstalled longer ago than the retention period."""

from __future__ import annotations

from server.jobs import keys
from server.jobs.queues import Priority, coalesced
from server.stores import lifecycle


@coalesced(keys.store_close, Priority.HIGH)
def close_connections(store_id: int, erase: bool) -> str:
    return lifecycle.close_connections(store_id, erase=erase)


def erase_expired_stores() -> int:
    """Daily: stores uninstalled longer ago than `retention.uninstalled_store_days`."""
    return lifecycle.erase_expired_uninstalled()
