"""The periodic check for refunds, the third way a refund reaches wooxero.

A partial refund leaves the order's `date_modified` as it was (WooCommerce before 7.6), so
polling never lists it; the `woocommerce_order_refunded` action webhook and `order.updated`
tell of it, but webhooks can be disabled, deleted or lost. So every
`woocommerce.refund_check_minutes` each store's orders placed in the last
`woocommerce.refund_check_days` whose invoice Xero holds (bound, not voided or deleted) are
listed again, 100 to a request (`orders?include=…&after=…`), and compared with the version
kept: an unchanged order costs its share of the list and nothing more; a changed one is read
again under its record's lock and kept (`records.refresh_order`: refunds in full, the outbox
marked). An invoice is never bound before its order was placed, so the bindings made in the
window are all that can qualify; the store's `after` leaves out the older orders among them
(a backfill binds old orders late).

A round walks the bindings in id order, at most `CHUNKS_PER_RUN` requests per run; its
position is committed after every request, so a store with thousands of orders is checked
over several runs and a restart resumes where it stopped. A failure stops the round where it
is, says why on the connection and waits longer after each failure in a row (at most the
interval); refused keys mark the connection as needing new ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.base import ConnectorError
from server.connectors.woocommerce.client import MAX_PER_PAGE, WooClient
from server.connectors.xero.resources import DocumentStatus
from server.extensions import current_config, db
from server.inbound import records
from server.inbound.intake import record_hash
from server.inbound.polling import order_rows
from server.locks import kept
from server.models import (
    Binding,
    BindingKind,
    Store,
    StoreState,
    WooConnection,
    WooRecord,
)
from server.models.types import utcnow
from server.redis_client import get_redis

CHUNKS_PER_RUN = 20  # 2,000 orders a run; a longer round goes on in the next runs
FIRST_RETRY = timedelta(minutes=5)
# A credit note cannot be raised against an invoice that is gone from the books.
GONE = (DocumentStatus.VOIDED.value, DocumentStatus.DELETED.value)


@dataclass
class CheckResult:
    requests: int = 0
    orders_checked: int = 0  # bound orders asked for
    changed: list[str] = field(default_factory=list)  # kept anew and marked in the outbox
    busy: list[str] = field(default_factory=list)  # locked by their own job throughout
    finished: bool = False  # the round reached its end
    error: str = ""  # why the round stopped early (it resumes later)


def is_due(connection: WooConnection, now: datetime, interval: timedelta) -> bool:
    """Whether the store's check should run: the pause after failures is over, a round is
    under way, or the interval has passed since the last round ended."""
    if connection.refund_check_failures and connection.refund_check_failed_at is not None:
        return (
            connection.refund_check_failed_at
            + pause_after(connection.refund_check_failures, interval)
            <= now
        )
    if connection.refund_check_cursor:
        return True
    checked = connection.refund_checked_at
    return checked is None or checked + interval <= now


def pause_after(failures: int, interval: timedelta) -> timedelta:
    """Five minutes after one failure, doubling with each in a row, never more than the
    interval: a store that is down is not asked every minute, nor left longer than usual."""
    return min(FIRST_RETRY * 2 ** min(failures - 1, 10), interval)


def changed_orders(rows: Iterable[Mapping[str, Any]], kept: Mapping[str, str]) -> list[str]:
    """The ids of the listed orders whose content differs from the version kept (by
    `content_hash`), in the order listed."""
    return [str(row["id"]) for row in rows if kept.get(str(row["id"])) != record_hash(dict(row))]


def due_store_ids(now: datetime | None = None) -> list[int]:
    """Active stores with WooCommerce connected whose check is due."""
    now = now or utcnow()
    interval = timedelta(minutes=current_config().woocommerce.refund_check_minutes)
    connections = woo_access.active_connections()
    return [row.store_id for row in connections if is_due(row, now, interval)]


def check(store_id: int) -> CheckResult:
    """Run (or resume) one round of the store's check, `CHUNKS_PER_RUN` requests at most;
    one run per store at a time. What was found before a failure is kept."""
    result = CheckResult()
    name = f"wooxero:woo:refund-check:{store_id}"
    with kept(get_redis(), name) as taken:
        if not taken:
            return result
        try:
            _check(store_id, result)
        except ConnectorError as error:
            result.error = error.message
            _note_failure(store_id, error)
    return result


def _check(store_id: int, result: CheckResult) -> None:
    store = db.session.get(Store, store_id)
    connection = woo_access.connection_for_store(store_id)
    if store is None or connection is None or store.state != StoreState.ACTIVE:
        return
    if connection.status not in woo_access.USABLE:  # refused keys wait for new ones
        return
    client = woo_access.client_for(store)
    since = utcnow() - timedelta(days=current_config().woocommerce.refund_check_days)
    for _ in range(CHUNKS_PER_RUN):
        bound = _bound_orders(store_id, connection.refund_check_cursor, since)
        if bound:
            _check_chunk(store_id, client, [woo_id for _, woo_id in bound], since, result)
        reloaded = woo_access.connection_for_store(store_id)
        if reloaded is None:  # disconnected meanwhile
            return
        connection = reloaded
        finished = len(bound) < MAX_PER_PAGE
        connection.refund_check_cursor = 0 if finished else bound[-1][0]
        connection.refund_check_failures, connection.refund_check_failed_at = 0, None
        connection.refund_check_error = ""
        if finished:
            connection.refund_checked_at = utcnow()
        db.session.commit()
        if finished:
            result.finished = True
            return


def _bound_orders(store_id: int, after: int, since: datetime) -> list[tuple[int, str]]:
    """The next bindings of the round, (binding id, order id): invoices bound since `since`
    that Xero still holds."""
    rows = db.session.execute(
        sa.select(Binding.id, Binding.woo_id)
        .where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.INVOICE,
            Binding.id > after,
            Binding.xero_id.is_not(None),
            Binding.xero_status.not_in(GONE),
            Binding.created_at >= since,
        )
        .order_by(Binding.id)
        .limit(MAX_PER_PAGE)
    ).all()
    return [(row.id, row.woo_id) for row in rows]


def _check_chunk(
    store_id: int, client: WooClient, woo_ids: list[str], since: datetime, result: CheckResult
) -> None:
    ids = [woo_id for woo_id in woo_ids if woo_id.isdigit()]
    result.orders_checked += len(ids)
    if not ids:
        return
    query = {"include": ids, "after": since, "dates_are_gmt": True}
    response = client.page("orders", query, 1)
    result.requests += 1
    rows = order_rows(response.data)
    found = db.session.execute(
        sa.select(WooRecord.woo_id, WooRecord.content_hash).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == records.ORDER,
            WooRecord.woo_id.in_(ids),
        )
    )
    kept = {woo_id: digest for woo_id, digest in found}
    for woo_id in changed_orders(rows, kept):
        outcome = records.refresh_order(store_id, client, woo_id)
        if outcome is records.RecordOutcome.PROCESSED:
            result.changed.append(woo_id)
        elif outcome is records.RecordOutcome.LOCKED:
            result.busy.append(woo_id)


def _note_failure(store_id: int, error: ConnectorError) -> None:
    db.session.rollback()
    woo_connect.note_refused_keys(store_id, error)
    connection = woo_access.connection_for_store(store_id)
    if connection is not None:
        connection.refund_check_failures += 1
        connection.refund_check_failed_at = utcnow()
        connection.refund_check_error = error.message[:2000]
        db.session.commit()
