"""Polling a store for orders changed since the last poll, to fill whatever the webhooks
missed (late, disabled, never sent).

A scan asks for orders modified after the cursor, in id order, 100 a page. In id order an
order modified during the scan stays where it is, so nothing is skipped (at worst an order is
read twice, which intake recognises). The cursor then moves to the store's own clock at the
start of the scan, less a minute of overlap, so an order changed while the scan ran is found
by the next one. The cursor and the next page are committed after every page, so a restart
resumes where the scan stopped.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from redis.exceptions import LockError

from server.connectors.woocommerce.webhooks import parse_gmt
from server.extensions import current_settings, db
from server.models import ConnectionStatus, EventSource, Store, StoreState, WooConnection
from server.models.types import utcnow
from server.redis_client import get_redis
from server.sync import woo_access, woo_intake

OVERLAP = timedelta(minutes=1)
FIRST_LOOK_BACK = timedelta(days=1)
LOCK_SECONDS = 900
POLLED_FIELDS = ("id", "number", "status", "date_modified_gmt")  # the job reads the rest


@dataclass
class PollResult:
    pages: int = 0
    orders_seen: int = 0
    to_process: list[str] = field(default_factory=list)  # order ids whose jobs must run


def due_store_ids(now: datetime | None = None) -> list[int]:
    """Active stores with WooCommerce connected whose poll is due (or was interrupted)."""
    now = now or utcnow()
    default = current_settings().woocommerce.poll_interval_minutes
    rows = db.session.execute(
        sa.select(WooConnection.store_id, WooConnection.poll_interval_minutes,
                  WooConnection.last_polled_at, WooConnection.poll_page)
        .join(Store, Store.id == WooConnection.store_id)
        .where(Store.state == StoreState.ACTIVE, WooConnection.status == ConnectionStatus.CONNECTED)
    ).all()  # fmt: skip
    return [
        store_id
        for store_id, interval, last, page in rows
        if page or last is None or last + timedelta(minutes=interval or default) <= now
    ]


def poll(store_id: int) -> PollResult:
    """Run (or resume) one scan of the store's orders; one scan per store at a time."""
    lock = get_redis().lock(
        f"wooxero:woo:poll:{store_id}", timeout=LOCK_SECONDS, blocking_timeout=0
    )
    if not lock.acquire():
        return PollResult()
    try:
        return _poll(store_id)
    finally:
        with contextlib.suppress(LockError):
            lock.release()


def _poll(store_id: int) -> PollResult:
    result = PollResult()
    store = db.session.get(Store, store_id)
    connection = woo_access.connection_for_store(store_id)
    if store is None or connection is None or store.state != StoreState.ACTIVE:
        return result
    client = woo_access.client_for(store)
    if not connection.poll_page:
        connection.poll_cursor = (
            connection.poll_cursor or (connection.connected_at or utcnow()) - FIRST_LOOK_BACK
        )
        connection.poll_page = 1
        connection.poll_scan_started_at = None
        db.session.commit()
    while True:
        page, cursor = connection.poll_page, connection.poll_cursor
        response = client.page(
            "orders",
            {"modified_after": cursor, "dates_are_gmt": True, "orderby": "id", "order": "asc"},
            page,
        )
        connection = woo_access.connection_for_store(store_id)  # reloaded after the call
        if connection is None:  # disconnected meanwhile
            return result
        if connection.poll_scan_started_at is None:
            connection.poll_scan_started_at = response.server_time or utcnow()
        for order in response.data:
            event = woo_intake.record(
                store,
                source=EventSource.WOOCOMMERCE_POLL,
                topic="order.polled",
                resource="order",
                resource_id=str(order["id"]),
                modified_at=parse_gmt(order.get("date_modified_gmt")),
                payload={key: order.get(key) for key in POLLED_FIELDS},
            )
            if woo_intake.needs_job(store, event):
                result.to_process.append(event.resource_id)
        result.pages += 1
        result.orders_seen += len(response.data)
        last_page = not response.data or page >= response.total_pages
        connection.poll_page = 0 if last_page else page + 1
        if last_page:
            connection.poll_cursor = connection.poll_scan_started_at - OVERLAP
            connection.poll_scan_started_at = None
            connection.last_polled_at = utcnow()
        db.session.commit()
        if last_page:
            return result
