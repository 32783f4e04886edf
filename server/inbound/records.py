"""Processing a WooCommerce record after something arrived about it: read its current
version from the store (payloads may be stale, or carry only an id), and if it changed, keep
it and count one processed version, with a line in the audit trail. A processed order is
marked in the outbox, from which the sync engine brings Xero up to date.

One process at a time per record (a Redis lock that outlives the job, so two cannot
overlap); its pending events are first sorted (repeats of a version already received or
processed are settled as such, server.inbound.intake), and the others are settled together,
so a burst of deliveries costs one read, and repeats alone cost none. A failure to read
settles nothing: refused keys leave the events waiting for new ones, anything else (the
store down, misconfigured, limiting) tries again later (server.inbound.retries).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.base import ConnectorError, NotFoundError, PermanentError
from server.connectors.woocommerce.client import WooClient
from server.connectors.woocommerce.webhooks import parse_gmt
from server.extensions import current_config, db
from server.inbound import intake as woo_intake
from server.inbound import retries
from server.inbound.intake import record_hash
from server.locks import kept
from server.models import (
    REFUND_DETAILS,
    Direction,
    EventStatus,
    InboundEvent,
    Outcome,
    Store,
    StoreState,
    SyncRecord,
    WooRecord,
)
from server.models.types import to_money, utcnow
from server.push import outbox
from server.redis_client import get_redis
from server.stores.settings import tax_mapping

ORDER = "order"


class RecordOutcome(enum.Enum):
    """What handling a record came to; the value is what its events and the job log say."""

    PROCESSED = "processed"  # a new version kept (an order: marked in the outbox)
    UNCHANGED = "unchanged"  # the store has what was processed last
    NOTHING_PENDING = "nothing to do"
    STORE_INACTIVE = "kept until the store is active"
    NOT_CONNECTED = "kept until WooCommerce is connected again"
    DEFERRED = "deferred"  # reading failed; tried again later (server.inbound.retries)
    LOCKED = "the record stayed locked; the sweeper will enqueue its events again"


@dataclass(frozen=True)
class RecordResult:
    outcome: RecordOutcome
    detail: str = ""
    outbox_marked: bool = False  # an order changed: Xero is to be brought up to date

    def __str__(self) -> str:
        return f"{self.outcome.value}: {self.detail}" if self.detail else self.outcome.value


@contextlib.contextmanager
def _locked(store_id: int, resource: str, woo_id: str) -> Iterator[bool]:
    """The record's lock, waited for (as long as a job may run): whoever reads and keeps a
    record holds it, so no version read earlier can be kept over one read later."""
    name = f"wooxero:woo:record:{store_id}:{resource}:{woo_id}"
    with kept(get_redis(), name, wait=current_config().worker.job_timeout) as lock:
        yield lock is not None


def process(store_id: int, resource: str, woo_id: str) -> RecordResult:
    """Handle every pending event of one record; safe to run twice or concurrently."""
    with _locked(store_id, resource, woo_id) as taken:
        if not taken:
            return RecordResult(RecordOutcome.LOCKED)
        return _process(store_id, resource, woo_id)


def refresh_order(store_id: int, client: WooClient, woo_id: str) -> RecordOutcome:
    """Read an order again and keep it if it changed, as `process` does, when nothing
    arrived about it (the refund check found it changed in a list): read under the lock
    rather than taken from the list, which may be older than what a job kept meanwhile. A
    failure to read propagates."""
    with _locked(store_id, ORDER, woo_id) as taken:
        if not taken:
            return RecordOutcome.LOCKED
        current, read_at = _read(client, ORDER, woo_id)
        outcome = keep(store_id, ORDER, woo_id, current, read_at)
        db.session.commit()
        return outcome


def _process(store_id: int, resource: str, woo_id: str) -> RecordResult:
    store = db.session.get(Store, store_id)
    if store is None or store.state != StoreState.ACTIVE:
        return RecordResult(RecordOutcome.STORE_INACTIVE)
    pending = woo_intake.sort_out(store_id, resource, woo_id)
    db.session.commit()  # the repeats settled before the store is asked
    if not pending:
        return RecordResult(RecordOutcome.NOTHING_PENDING)
    connection = woo_access.connection_for_store(store_id)
    if connection is None or connection.status not in woo_access.USABLE:
        return RecordResult(RecordOutcome.NOT_CONNECTED)
    try:
        client = woo_access.client_for(store)
        current, read_at = _read(client, resource, woo_id)
    except ConnectorError as error:
        woo_connect.note_refused_keys(store_id, error)
        retries.defer(pending, error, fail_on_permanent=False)
        return RecordResult(RecordOutcome.DEFERRED, str(error))
    outcome = keep(store_id, resource, woo_id, current, read_at)
    _settle(pending, outcome)
    db.session.commit()
    marked = outcome is RecordOutcome.PROCESSED and resource == ORDER
    return RecordResult(outcome, outbox_marked=marked)


ENDPOINTS = {ORDER: "orders", "customer": "customers", "product": "products"}


def _read(
    client: WooClient, resource: str, woo_id: str
) -> tuple[dict[str, Any] | None, datetime | None]:
    """The record as the store has it now (None if it is gone for good), and the store's
    clock when it answered."""
    try:
        response = client.request("GET", f"{ENDPOINTS[resource]}/{woo_id}")
    except NotFoundError:
        return None, None
    if not isinstance(response.data, dict):
        raise PermanentError(f"the store answered for {resource} {woo_id} with something else")
    if resource == ORDER:
        return with_refunds(client, response.data), response.server_time
    return response.data, response.server_time


def with_refunds(client: WooClient, order: dict[str, Any]) -> dict[str, Any]:
    """The order with its refunds in full under `REFUND_DETAILS` (one more read, only for an
    order that lists refunds); the order alone when it lists none."""
    if not order.get("refunds"):
        return order
    try:
        refunds = client.refunds(order["id"])
    except NotFoundError:  # the order went between the two reads: the next read says so
        refunds = []
    return {**order, REFUND_DETAILS: [r for r in refunds if isinstance(r, dict)]}


def keep(
    store_id: int,
    resource: str,
    woo_id: str,
    current: dict[str, Any] | None,
    read_at: datetime | None = None,
) -> RecordOutcome:
    """Store `current` if it differs from what was processed; say which it was."""
    digest = record_hash(current)
    row = db.session.scalar(
        sa.select(WooRecord).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == resource,
            WooRecord.woo_id == woo_id,
        )
    )
    if row is not None:
        row.read_at = read_at
    if row is not None and row.content_hash == digest:
        return RecordOutcome.UNCHANGED
    if row is None:
        row = WooRecord(store_id=store_id, resource=resource, woo_id=woo_id, versions_processed=0)
        db.session.add(row)
    row.content_hash = digest
    row.deleted = current is None
    row.data = current or {}
    row.modified_at = parse_gmt((current or {}).get("date_modified_gmt")) or row.modified_at
    row.read_at = read_at
    row.versions_processed += 1
    row.processed_at = utcnow()
    db.session.add(_audit(store_id, resource, woo_id, current))
    if resource == ORDER:
        outbox.mark_order(store_id, woo_id)  # Xero is brought up to date by the flush
    if resource == ORDER and current is not None:  # the keys its tax mapping must hold
        tax_mapping.record_seen(store_id, woo_id, current, current.get(REFUND_DETAILS) or [])
    return RecordOutcome.PROCESSED


def _audit(store_id: int, resource: str, woo_id: str, current: dict[str, Any] | None) -> SyncRecord:
    record = SyncRecord(
        store_id=store_id, direction=Direction.PUSH, kind=resource, woo_id=woo_id,
        action="receive", outcome=Outcome.OK, finished_at=utcnow(),
    )  # fmt: skip
    if current is None:
        record.message = f"{resource} {woo_id} was deleted in WooCommerce"
        return record
    if resource == "order":
        record.currency = str(current.get("currency", ""))[:3]
        record.woo_total = _amount(current.get("total"))
        record.message = (
            f"order #{current.get('number', woo_id)} is {current.get('status')}: "
            f"total {current.get('total')} {record.currency}"
        )
        record.details = {
            "status": current.get("status"),
            "modified": current.get("date_modified_gmt"),
        }
    else:
        record.message = f"{resource} {woo_id} changed in WooCommerce"
    return record


def _amount(value: Any) -> Decimal | None:
    try:
        return to_money(str(value))
    except (ValueError, InvalidOperation):
        return None


def _settle(event_ids: list[int], outcome: RecordOutcome) -> None:
    db.session.execute(
        sa.update(InboundEvent)
        .where(InboundEvent.id.in_(event_ids), InboundEvent.status == EventStatus.PENDING)
        .values(
            status=EventStatus.DONE,
            processed_at=utcnow(),
            error="" if outcome is RecordOutcome.PROCESSED else outcome.value,
        )
    )
