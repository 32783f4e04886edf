"""The flush of a store's outbox: the engine's one template, run by a job per store.

read (the order as last read from the store) → skip? (no document for its status; unchanged
content) → dependencies (contacts, items) → map → write in batches → bind → audit.

One flush per store at a time (a Redis lock). Reference data is refreshed when missing or a
day old. Nothing is sent while the store's prerequisites are incomplete; its orders wait,
held with the reason. A rate limit or an outage stops the flush with the outbox intact:
the sweeper starts it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from redis.exceptions import LockError

from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError
from server.connectors.xero.client import XeroClient
from server.extensions import current_config, db
from server.mapping.orders import CannotMapError, MappedDocument, map_order
from server.mapping.reference import Reference
from server.models import (
    BindingKind,
    ConnectionStatus,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Store,
    StoreState,
    WooRecord,
)
from server.pull import changes as pull
from server.push import audit, contacts, documents, items, outbox
from server.push import reference as xero_reference
from server.push.documents import INVOICE, KINDS, QUOTE, Plan
from server.redis_client import get_redis
from server.stores.settings import rules
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings

ROUND_SIZE = 1000  # entries planned at a time (twenty batches of fifty): fewer lookups
CANCELLED = "cancelled"
MAPPING_ERRORS = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlushResult:
    written: int
    more: bool  # stopped with work left; run again
    message: str


def run_scope(store_id: int, scope: str) -> str:
    """A manual trigger (see `server.jobs.sync_tasks`)."""
    if scope == "tax_rates":
        return refresh_reference(store_id)
    if scope == "pull":
        return pull.pull(store_id)
    if scope in ("contacts", "items"):
        return sync_dependencies(store_id, scope)
    return flush(store_id).message


def refresh_reference(store_id: int) -> str:
    store = db.session.get(Store, store_id)
    connection = xero_access.connection_for_store(store_id)
    if store is None or connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "Xero is not connected"
    calls = xero_reference.refresh_xero(store_id, xero_access.client_for(connection))
    rates = xero_reference.refresh_woo_tax_rates(store)
    return f"reference data refreshed ({calls} Xero calls, {rates} WooCommerce tax rates)"


def sync_dependencies(store_id: int, scope: str) -> str:
    """The contacts (or items) of every order that makes a document, made or found in Xero
    without writing the documents: what the Contacts and Items modules do on their own."""
    with _store_lock(store_id) as taken:
        if not taken:
            return "a flush of this store is running; it brings contacts and items along"
        return _sync_dependencies(store_id, scope)


def _sync_dependencies(store_id: int, scope: str) -> str:
    store = db.session.get(Store, store_id)
    connection = xero_access.connection_for_store(store_id)
    if store is None or connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "Xero is not connected"
    reasons = rules.why_not_syncing(store_id, scope)
    if reasons:
        return f"not synced: {'; '.join(reasons)}"
    settings = settings_store.load(store_id)
    client = xero_access.client_for(connection)
    if not xero_reference.is_fresh(store_id, client.tenant_id):
        xero_reference.refresh_xero(store_id, client)
    reference = xero_reference.reference_for(store_id)
    documents_of = [
        mapped
        for record in _order_records(store_id)
        if (mapped := _mapped_or_none(store, settings, reference, record.data)) is not None
    ]
    db.session.commit()
    if scope == "contacts":
        wanted = {m.customer_key: m.contact for m in documents_of}
        resolution = contacts.resolve(store_id, client, wanted)
        return (f"{len(resolution.contact_ids)} contact(s) in Xero, "
                f"{len(resolution.failures)} refused")  # fmt: skip
    wanted_items = [item for m in documents_of for item in m.items]
    failures = items.ensure(store_id, client, reference.item_codes, wanted_items)
    return f"{len({i['Code'] for i in wanted_items})} item(s) checked, {len(failures)} refused"


def _order_records(store_id: int) -> list[WooRecord]:
    return list(
        db.session.scalars(
            sa.select(WooRecord).where(
                WooRecord.store_id == store_id,
                WooRecord.resource == "order",
                WooRecord.deleted.is_(False),
            )
        )
    )


def _mapped_or_none(
    store: Store, settings: StoreSettings, reference: Reference, order: Mapping[str, Any]
) -> MappedDocument | None:
    try:
        products = _products(store.id, order, settings)
        return map_order(order, settings, reference, products, store_url=store.url)
    except CannotMapError:
        return None


@contextlib.contextmanager
def _store_lock(store_id: int) -> Iterator[bool]:
    """The one writer of a store's organisation at a time (flush, contacts, items); yields
    whether it was taken. It outlives the job that holds it, should that job be killed."""
    hold = current_config().worker.job_timeout + 60
    lock = get_redis().lock(f"wooxero:flush:{store_id}", timeout=hold, blocking_timeout=0)
    taken = bool(lock.acquire())
    try:
        yield taken
    finally:
        if taken:
            with contextlib.suppress(LockError):
                lock.release()


def flush(store_id: int) -> FlushResult:
    with _store_lock(store_id) as taken:
        if not taken:
            return FlushResult(0, False, "another flush of this store is running")
        return _flush(store_id)


def blocked_by(store_id: int) -> list[str]:
    """Why the store's orders may not be sent now (empty when they may)."""
    connection = xero_access.connection_for_store(store_id)
    reasons = rules.why_not_syncing(store_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        reasons = [*reasons, "Xero is not connected"]
    return reasons


def _flush(store_id: int) -> FlushResult:
    store = db.session.get(Store, store_id)
    if store is None or store.state != StoreState.ACTIVE:
        return FlushResult(0, False, "kept until the store is active")
    connection = xero_access.connection_for_store(store_id)
    reasons = blocked_by(store_id)
    if reasons:
        held = outbox.hold_for_prerequisites(store_id, reasons)
        if held:
            audit.record_store(store_id, "hold", Outcome.HELD,
                               f"{held} order(s) wait: {'; '.join(reasons)}")  # fmt: skip
        db.session.commit()
        return FlushResult(0, False, f"{held} order(s) wait: {'; '.join(reasons)}")
    outbox.release_prerequisite_holds(store_id)
    db.session.commit()
    settings = settings_store.load(store_id)
    client = xero_access.client_for(connection)
    written = 0
    deadline = time.monotonic() + current_config().worker.job_timeout / 2
    try:
        if not xero_reference.is_fresh(store_id, client.tenant_id):
            xero_reference.refresh_xero(store_id, client)
        while time.monotonic() < deadline:
            entries = outbox.due(store_id, ROUND_SIZE)
            if not entries:
                documents.close_quotes(client, store_id)  # any a failed step left open
                return FlushResult(written, False, f"{written} document(s) written")
            written += _round_of(store, client, settings, entries, deadline)
    except ConnectorError as error:
        db.session.rollback()
        return FlushResult(written, False, f"stopped after {written}: {error.message}")
    return FlushResult(written, True, f"{written} document(s) written; more to come")


def _round_of(
    store: Store,
    client: XeroClient,
    settings: StoreSettings,
    entries: list[OutboxEntry],
    deadline: float,
) -> int:
    in_doubt = [e for e in entries if e.status in (OutboxStatus.SENDING, OutboxStatus.UNCERTAIN)]
    if in_doubt:
        documents.reconcile(client, store.id, in_doubt, deadline)
        entries = [e for e in entries if e.status is OutboxStatus.PENDING]  # not held by it
    reference = xero_reference.reference_for(store.id)
    plans = [plan for entry in entries if (plan := _plan_safely(store, settings, reference, entry))]
    db.session.commit()
    plans = _with_contacts(store.id, client, plans)
    plans = _with_items(store.id, client, reference, plans)
    documents.write(client, store.id, plans)
    documents.close_quotes(client, store.id)
    return len(plans)


def _plan_safely(
    store: Store, settings: StoreSettings, reference: Reference, entry: OutboxEntry
) -> Plan | None:
    """One malformed order is held with what went wrong; the others go on."""
    version = entry.version
    try:
        return _plan(store, settings, reference, entry)
    except MAPPING_ERRORS as error:  # one order's unexpected shape must not stop the store
        logger.exception("order %s of store %s could not be planned", entry.woo_order_id, store.id)
        message = f"could not be mapped ({type(error).__name__}: {error})"
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, "order", "hold", Outcome.HELD, message)
        return None


# -- planning ------------------------------------------------------------------------------


def _plan(
    store: Store, settings: StoreSettings, reference: Reference, entry: OutboxEntry
) -> Plan | None:
    """What to write for `entry`, or None after settling it without a call."""
    version = entry.version
    record = _order_record(store.id, entry.woo_order_id)
    if record is None or record.deleted:
        return _settle(entry, version, Outcome.SKIPPED, "the order is gone from WooCommerce; "
                       "deletes never reach Xero")  # fmt: skip
    order = record.data
    entry.currency = str(order.get("currency") or "")[:3]
    if order.get("status") == CANCELLED:
        return _cancel_plan(store.id, settings, entry, version)
    products = _products(store.id, order, settings)
    try:
        mapped = map_order(order, settings, reference, products, store_url=store.url)
    except CannotMapError as error:
        outbox.settle(entry, OutboxStatus.HELD, version, str(error))
        audit.record(entry, "order", "hold", Outcome.HELD, f"not sent: {error}",
                     details={"reasons": list(error.reasons)})  # fmt: skip
        return None
    if mapped is None:
        return _settle(entry, version, Outcome.SKIPPED,
                       f"status '{order.get('status')}' makes no document")  # fmt: skip
    kind = KINDS[mapped.kind]
    if kind is QUOTE and documents.binding_for(store.id, BindingKind.INVOICE, entry.woo_order_id):
        return _settle(entry, version, Outcome.SKIPPED, "already invoiced; no quote is made")
    _describe(entry, mapped)
    binding = documents.binding_for(store.id, kind.binding, entry.woo_order_id)
    if binding is not None and binding.xero_status == "DELETED":
        binding = None  # deleted in Xero (its number free again): made anew
    digest = content_hash(mapped)
    entry.content_hash = digest
    if binding is not None and binding.content_hash == digest:
        return _settle(entry, version, Outcome.SKIPPED, f"{binding.xero_number} is up to date")
    if binding is not None and binding.xero_status in documents.FINAL_STATUSES:
        message = documents.not_editable(binding)
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, kind.name, "update", Outcome.WARNING, message, xero_id=binding.xero_id)
        return None
    action = "update" if binding is not None else "create"
    return Plan(entry, version, kind, action, mapped, binding, digest)


def _describe(entry: OutboxEntry, mapped: MappedDocument) -> None:
    entry.kind = mapped.kind
    entry.action = OutboxAction.UPSERT
    entry.number = mapped.number
    entry.customer_key = mapped.customer_key
    entry.document = mapped.document
    entry.contact = mapped.contact
    entry.items = mapped.items
    entry.explanation = mapped.explanation
    entry.total = mapped.total


def _cancel_plan(
    store_id: int, settings: StoreSettings, entry: OutboxEntry, version: int
) -> Plan | None:
    """The invoice (or, if the order never got one, the quote) is deleted while a draft,
    voided once authorised; a paid invoice is left alone with a warning."""
    if settings.documents.cancelled == "keep":
        return _settle(entry, version, Outcome.SKIPPED, "cancelled; documents are kept (settings)")
    binding, kind = None, INVOICE
    for kind in (INVOICE, QUOTE):
        binding = documents.binding_for(store_id, kind.binding, entry.woo_order_id)
        if binding is not None:
            break
    if binding is None:
        return _settle(entry, version, Outcome.SKIPPED, "cancelled before anything reached Xero")
    if binding.xero_status in ("DELETED", "VOIDED"):
        message = f"{binding.xero_number} is already {binding.xero_status} in Xero"
        return _settle(entry, version, Outcome.SKIPPED, message)
    if binding.xero_status in ("PAID", "INVOICED"):
        message = f"the order was cancelled but {binding.xero_number} is {binding.xero_status}"
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, kind.name, "cancel", Outcome.WARNING, message)
        return None
    entry.kind, entry.action, entry.number = kind.name, OutboxAction.CANCEL, binding.xero_number
    status = "VOIDED" if binding.xero_status == "AUTHORISED" else "DELETED"
    return Plan(entry, version, kind, "cancel", binding=binding, cancel_status=status,
                content_hash=binding.content_hash)  # fmt: skip


def _settle(entry: OutboxEntry, version: int, outcome: Outcome, message: str) -> None:
    outbox.settle(entry, OutboxStatus.DONE, version)
    audit.record(entry, entry.kind or "order", "skip", outcome, message)


def content_hash(mapped: MappedDocument) -> str:
    """What the document would say in Xero, and to whom: equal hashes need no call."""
    canonical = json.dumps(
        {"document": mapped.document, "customer": mapped.customer_key},
        sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def _order_record(store_id: int, woo_order_id: str) -> WooRecord | None:
    return db.session.scalar(
        sa.select(WooRecord).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == "order",
            WooRecord.woo_id == woo_order_id,
        )
    )


def _products(
    store_id: int, order: Mapping[str, Any], settings: StoreSettings
) -> dict[int, Mapping[str, Any]]:
    """The order's products as last read (for categories), when a rule needs them."""
    by_category = settings.accounts.categories or any(
        rule.source == "product_category" for rule in settings.tracking
    )
    if not by_category:
        return {}
    ids = set()
    for line in order.get("line_items") or []:
        for key in ("product_id", "variation_id"):
            if line.get(key):
                ids.add(str(line[key]))
    rows = db.session.scalars(
        sa.select(WooRecord).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == "product",
            WooRecord.woo_id.in_(ids),
        )
    )
    return {int(row.woo_id): row.data for row in rows if not row.deleted}


# -- dependencies ----------------------------------------------------------------------


def _with_contacts(store_id: int, client: XeroClient, plans: list[Plan]) -> list[Plan]:
    wanted = {
        plan.mapped.customer_key: plan.mapped.contact for plan in plans if plan.mapped is not None
    }
    for plan in plans:  # a quote being cancelled still names its contact
        if plan.mapped is None and plan.entry.customer_key:
            wanted.setdefault(plan.entry.customer_key, plan.entry.contact)
    if not wanted:
        return plans
    resolution = contacts.resolve(store_id, client, wanted)
    kept = []
    for plan in plans:
        key = plan.mapped.customer_key if plan.mapped else plan.entry.customer_key
        if key in resolution.contact_ids:
            plan.contact_id = resolution.contact_ids[key]
            kept.append(plan)
        elif key:
            _fail(plan, f"Xero refused the contact: {resolution.failures.get(key, 'unknown')}")
        else:
            kept.append(plan)
    db.session.commit()
    return kept


def _with_items(
    store_id: int, client: XeroClient, reference: Reference, plans: list[Plan]
) -> list[Plan]:
    wanted = [item for plan in plans if plan.mapped for item in plan.mapped.items]
    failures = items.ensure(store_id, client, reference.item_codes, wanted)
    if not failures:
        return plans
    kept = []
    for plan in plans:
        refused = [code for item in (plan.mapped.items if plan.mapped else [])
                   if (code := str(item["Code"])) in failures]  # fmt: skip
        if refused:
            _fail(plan, "; ".join(f"Xero refused item {c}: {failures[c]}" for c in refused))
        else:
            kept.append(plan)
    db.session.commit()
    return kept


def _fail(plan: Plan, message: str) -> None:
    outbox.settle(plan.entry, OutboxStatus.FAILED, plan.version, message)
    audit.record(plan.entry, plan.kind.name, plan.action, Outcome.ERROR, message)
