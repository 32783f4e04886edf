"""The key of every coalesced job: at most one job per key waits in the queues (see
`server.jobs.queues.coalesced`). One function per kind of work, named for it."""

from __future__ import annotations


def woo_record(store_id: int, resource: str, woo_id: str) -> str:
    return f"woo-record-{store_id}-{resource}-{woo_id}"


def woo_deliveries() -> str:  # one job takes up every record noted by the webhook
    return "woo-deliveries"


def woo_store_deliveries(store_id: int) -> str:  # a slice of the store's delivered records
    return f"woo-store-deliveries-{store_id}"


def woo_poll(store_id: int) -> str:
    return f"woo-poll-{store_id}"


def woo_refund_check(store_id: int) -> str:
    return f"woo-refund-check-{store_id}"


def woo_webhooks(store_id: int) -> str:
    return f"woo-webhooks-{store_id}"


def woo_setup(store_id: int) -> str:
    return f"woo-setup-{store_id}"


def store_requeue(store_id: int) -> str:
    return f"store-requeue-{store_id}"


def store_close(store_id: int, erase: bool = False) -> str:  # one key, erasing or not
    return f"store-close-{store_id}"


def xero_event(event_id: int) -> str:
    return f"xero-event-{event_id}"


def flush(store_id: int) -> str:
    """The store's flush; also what a manual sync of the `push` scope starts."""
    return f"sync-push-{store_id}"


def reference(store_id: int) -> str:
    return f"sync-tax_rates-{store_id}"


def contacts(store_id: int) -> str:
    return f"sync-contacts-{store_id}"


def items(store_id: int) -> str:
    return f"sync-items-{store_id}"


def pull(store_id: int) -> str:
    return f"sync-pull-{store_id}"


def drift(store_id: int) -> str:
    return f"sync-drift-{store_id}"


def backfill(backfill_id: int) -> str:
    return f"backfill-{backfill_id}"
