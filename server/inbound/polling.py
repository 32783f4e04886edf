"""Polling a store for orders changed since the last poll, to fill whatever the webhooks
missed (late, disabled, never sent).

A scan asks for the orders modified after the cursor, in id order, 100 at a time from an
offset. Each request starts one row before the position reached, so its first order must be
the last one already read: if it is not, orders left the list meanwhile (trashed, deleted)
and the scan steps back until the rows overlap again, so none is skipped. An order modified
during the scan keeps its place or joins the list (read twice at worst, which intake
recognises). At the end the cursor moves to the store's own clock at the start of the scan,
less a minute of overlap, so an order changed while the scan ran is found by the next one.
The cursor and the position are committed after every request, so a restart resumes where
the scan stopped.

A scan that fails is tried again after a growing pause (the interval doubled per failure in
a row, at most an hour), with the reason on the connection; refused keys mark the connection
as needing new ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.base import ConnectorError, PermanentError
from server.connectors.woocommerce.client import MAX_PER_PAGE
from server.connectors.woocommerce.webhooks import parse_gmt
from server.extensions import current_config, db
from server.inbound import intake as woo_intake
from server.locks import kept
from server.models import EventSource, Store, StoreState, WooConnection
from server.models.types import utcnow
from server.redis_client import get_redis

logger = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=1)
FIRST_LOOK_BACK = timedelta(days=1)
LONGEST_BACKOFF = timedelta(hours=1)
POLLED_FIELDS = ("id", "number", "status", "date_modified_gmt")  # the job reads the rest
QUERY = {"dates_are_gmt": True, "orderby": "id", "order": "asc"}


@dataclass
class PollResult:
    pages: int = 0
    orders_seen: int = 0
    to_process: list[str] = field(default_factory=list)  # order ids whose jobs must run
    error: str = ""  # why the scan stopped early (it resumes later)


def due_store_ids(now: datetime | None = None) -> list[int]:
    """Active stores with WooCommerce connected whose poll is due: the interval has passed,
    a scan was interrupted, or the pause after failures is over."""
    now = now or utcnow()
    default = current_config().woocommerce.poll_interval_minutes
    connections = woo_access.active_connections()
    return [row.store_id for row in connections if _is_due(row, now, default)]


def _is_due(connection: WooConnection, now: datetime, default_minutes: int) -> bool:
    interval = timedelta(minutes=connection.poll_interval_minutes or default_minutes)
    if connection.poll_failures and connection.poll_failed_at is not None:
        pause = min(interval * 2 ** min(connection.poll_failures, 10), LONGEST_BACKOFF)
        return connection.poll_failed_at + pause <= now
    if connection.poll_scan_started_at is not None:
        return True
    return connection.last_polled_at is None or connection.last_polled_at + interval <= now


def poll(store_id: int) -> PollResult:
    """Run (or resume) one scan of the store's orders; one scan per store at a time. The
    orders found before a failure are kept and returned with the reason."""
    result = PollResult()
    name = f"wooxero:woo:poll:{store_id}"
    with kept(get_redis(), name) as taken:
        if not taken:
            return result
        try:
            _poll(store_id, result)
        except ConnectorError as error:
            result.error = error.message
            _note_failure(store_id, error)
    return result


def _poll(store_id: int, result: PollResult) -> None:
    store = db.session.get(Store, store_id)
    connection = woo_access.connection_for_store(store_id)
    if store is None or connection is None or store.state != StoreState.ACTIVE:
        return
    client = woo_access.client_for(store)
    if connection.poll_scan_started_at is None:  # a new scan
        connection.poll_cursor = (
            connection.poll_cursor or (connection.connected_at or utcnow()) - FIRST_LOOK_BACK
        )
        connection.poll_offset, connection.poll_last_id = 0, None
        db.session.commit()
    while True:
        cursor, offset, last_id = (
            connection.poll_cursor, connection.poll_offset, connection.poll_last_id
        )  # fmt: skip
        start = max(offset - 1, 0)
        response = client.rows("orders", {**QUERY, "modified_after": cursor}, start)
        rows = order_rows(response.data)
        reloaded = woo_access.connection_for_store(store_id)
        if reloaded is None:  # disconnected meanwhile
            return
        connection = reloaded
        if connection.poll_scan_started_at is None:
            connection.poll_scan_started_at = response.server_time or utcnow()
        if last_id is not None and start > 0 and (not rows or _id(rows[0]) > last_id):
            # orders before the position left the list: step back until the rows overlap
            connection.poll_offset = max(start - MAX_PER_PAGE, 0)
            db.session.commit()
            continue
        for order in rows:
            if last_id is None or _id(order) > last_id:
                _take(store, order, result)
        result.pages += 1
        if rows:
            connection.poll_last_id = max(last_id or 0, _id(rows[-1]))
        connection.poll_offset = start + len(rows)
        finished = len(rows) < MAX_PER_PAGE
        if finished:
            connection.poll_cursor = connection.poll_scan_started_at - OVERLAP
            connection.poll_scan_started_at = None
            connection.poll_offset, connection.poll_last_id = 0, None
            connection.last_polled_at = utcnow()
            connection.poll_failures, connection.poll_failed_at, connection.poll_error = 0, None, ""
        db.session.commit()
        if finished:
            return


def order_rows(data: Any) -> list[dict[str, Any]]:
    """The orders of one answer; rows without a usable id are left out, and said."""
    if not isinstance(data, list):
        raise PermanentError("the store answered the order list with something other than a list")
    rows = [row for row in data if isinstance(row, dict) and _valid_id(row.get("id"))]
    if len(rows) != len(data):
        logger.warning("the store listed %d orders without a usable id", len(data) - len(rows))
    return sorted(rows, key=_id)


def _valid_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _id(order: dict[str, Any]) -> int:
    return int(order["id"])


def _take(store: Store, order: dict[str, Any], result: PollResult) -> None:
    event = woo_intake.record(
        store,
        source=EventSource.WOOCOMMERCE_POLL,
        topic="order.polled",
        resource="order",
        resource_id=str(_id(order)),
        modified_at=parse_gmt(order.get("date_modified_gmt")),
        payload={key: order.get(key) for key in POLLED_FIELDS},
    )
    result.orders_seen += 1
    if woo_intake.needs_job(store, event):
        result.to_process.append(event.resource_id)


def _note_failure(store_id: int, error: ConnectorError) -> None:
    db.session.rollback()
    woo_connect.note_refused_keys(store_id, error)
    connection = woo_access.connection_for_store(store_id)
    if connection is not None:
        connection.poll_failures += 1
        connection.poll_failed_at = utcnow()
        connection.poll_error = error.message[:2000]
        db.session.commit()
