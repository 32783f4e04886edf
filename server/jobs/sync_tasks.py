"""Jobs of the sync engine: the outbox flush, manual triggers, backfills and the reference
refresh. Each takes primitive ids and is safe to run twice."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa
from redis.exceptions import LockError

from server.connectors.base import ConnectorError
from server.extensions import current_config, db
from server.inbound import backfill
from server.jobs.queues import Priority, enqueue_coalesced, started
from server.models import ConnectionStatus, XeroConnection
from server.push import flush as engine
from server.push import outbox
from server.redis_client import get_redis

SCOPES = ("tax_rates", "contacts", "items", "push", "pull")
BACKFILL_PAGE_LOCK = 300  # seconds: reading one page takes far less


def scope_key(store_id: int, scope: str) -> str:
    return f"sync-{scope}-{store_id}"


def enqueue_manual_sync(store_id: int, scope: str) -> None:
    """A manual trigger of one scope (cooldowns are the caller's: see
    `server.stores.settings.rules`)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown sync scope: {scope}")
    if scope == "push":
        enqueue_flush(store_id, Priority.HIGH)
        return
    enqueue_coalesced(
        run_scope, store_id, scope, key=scope_key(store_id, scope), priority=Priority.HIGH
    )


def run_scope(store_id: int, scope: str) -> str:
    started(scope_key(store_id, scope))
    result = engine.run_scope(store_id, scope)
    if scope in ("contacts", "items"):
        enqueue_flush(store_id)
    return result


def enqueue_flush(store_id: int, priority: Priority = Priority.DEFAULT) -> None:
    """One flush of the store's outbox, coalescing every request that arrives meanwhile."""
    enqueue_coalesced(flush, store_id, key=scope_key(store_id, "push"), priority=priority)


def flush(store_id: int) -> str:
    started(scope_key(store_id, "push"))
    result = engine.flush(store_id)
    if result.more:
        enqueue_flush(store_id)
    return result.message


def flush_stores() -> int:
    """Every minute: a flush for each store with work waiting (after a rate limit, an
    outage, a lost job, or once what its held orders waited for is there)."""
    store_ids = outbox.stores_with_work()
    store_ids += [  # orders that waited for Xero or the settings, now ready
        store_id
        for store_id in outbox.stores_waiting_for_prerequisites()
        if store_id not in store_ids and not engine.blocked_by(store_id)
    ]
    db.session.commit()
    for store_id in store_ids:
        enqueue_flush(store_id, Priority.LOW)
    return len(store_ids)


def _connected_store_ids() -> list[int]:
    store_ids = list(
        db.session.scalars(
            sa.select(XeroConnection.store_id).where(
                XeroConnection.status == ConnectionStatus.CONNECTED
            )
        )
    )
    db.session.commit()
    return store_ids


def refresh_references() -> int:
    """Daily: every connected organisation's reference data."""
    store_ids = _connected_store_ids()
    for store_id in store_ids:
        enqueue_coalesced(
            run_scope, store_id, "tax_rates", key=scope_key(store_id, "tax_rates"),
            priority=Priority.LOW,
        )  # fmt: skip
    return len(store_ids)


def backfill_key(backfill_id: int) -> str:
    return f"backfill-{backfill_id}"


def enqueue_backfill(backfill_id: int) -> None:
    enqueue_coalesced(
        run_backfill, backfill_id, key=backfill_key(backfill_id), priority=Priority.LOW
    )


def run_backfill(backfill_id: int) -> str:
    """One page of the backfill, then the flush that writes it and the job for the next page,
    so writing overlaps reading and no job runs long."""
    started(backfill_key(backfill_id))
    lock = get_redis().lock(f"wooxero:{backfill_key(backfill_id)}", timeout=BACKFILL_PAGE_LOCK)
    if not lock.acquire(blocking=False):
        return "another job is reading this backfill"
    try:
        more = backfill.read_page(backfill_id)
    except ConnectorError as error:
        db.session.rollback()
        backfill.fail(backfill_id, error.message)
        return f"stopped: {error.message}"
    finally:
        with contextlib.suppress(LockError):
            lock.release()
    store_id = backfill.store_of(backfill_id)
    if store_id is not None:
        enqueue_flush(store_id, Priority.LOW)
    if more:
        enqueue_backfill(backfill_id)
    return "page read; more to come" if more else "every page read"


def resume_stalled_backfills() -> int:
    """Every minute: a backfill whose job was lost (a worker died) goes on."""
    stalled = backfill.stalled(timedelta(seconds=current_config().worker.job_timeout * 2))
    db.session.commit()
    for backfill_id in stalled:
        enqueue_backfill(backfill_id)
    return len(stalled)


def pull_key(store_id: int) -> str:
    return scope_key(store_id, "pull")


def pull_stores() -> int:
    """Every quarter of an hour: what Xero changed in each connected organisation."""
    store_ids = _connected_store_ids()
    for store_id in store_ids:
        enqueue_coalesced(
            run_scope, store_id, "pull", key=pull_key(store_id), priority=Priority.LOW
        )
    return len(store_ids)
