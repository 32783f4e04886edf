"""Jobs of billing: trials that ended, and a store that may sync again having what waited
sent at once."""

from __future__ import annotations

from server.billing import entitlement, subscriptions
from server.jobs.queues import Priority
from server.jobs.tasks import push


def expire_trials() -> int:
    """Hourly: trials past their end become expired (each change recorded). The engine
    does not wait for this: the entitlement check itself looks at the trial's end."""
    return len(subscriptions.expire_trials())


def resume_if_entitled(store_id: int) -> bool:
    """After a change of subscription: if the store may sync now, flush what waited (in
    order, once: the outbox keeps each order's place). Returns whether it was enqueued."""
    if not entitlement.of_store(store_id).entitled:
        return False
    push.flush.enqueue(store_id, priority=Priority.HIGH)
    return True
