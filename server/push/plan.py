"""The plan of a flush: for each outbox entry due, what to write to Xero — create, update or
cancel one document — or why nothing is written (settled here, without a call).

This module owns `Plan`: the flush asks for plans, finds their contacts and items, and hands
them to `server.push.documents` to write. Mapping goes through `mapped_order`, the one place
the pure mapper is called from the push side (also by the Contacts and Items modules alone).
Nothing here calls Xero or commits: the flush commits the planned entries before any call.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.connectors.xero.resources import DocumentStatus
from server.extensions import db
from server.mapping.orders import REFUNDED, CannotMapError, MappedDocument, map_order
from server.mapping.reference import Reference
from server.models import (
    Binding,
    BindingKind,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Store,
    WooRecord,
)
from server.push import audit, outbox
from server.push.bindings import (
    FINAL_STATUSES,
    INVOICE,
    KINDS,
    QUOTE,
    DocumentKind,
    binding_for,
    not_editable,
)
from server.stores.settings.schema import StoreSettings

# Orders whose sale did not happen: their document is deleted or voided, never paid.
CANCELLED = frozenset({"cancelled", "failed"})
# What one order's unexpected shape may raise in the mapper: it is held, the others go on.
MAPPING_ERRORS = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)
logger = logging.getLogger(__name__)


class WriteAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    CANCEL = "cancel"  # delete a draft, void an authorised document


@dataclass
class Plan:
    """One entry's write: create, update or cancel one document."""

    entry: OutboxEntry
    version: int  # the entry version being written
    kind: DocumentKind
    action: WriteAction
    mapped: MappedDocument | None = None
    binding: Binding | None = None
    content_hash: str = ""
    contact_id: str = ""  # found by the flush before the write
    cancel_status: DocumentStatus | None = None

    @property
    def customer_key(self) -> str:
        """Whose contact the document is for (a quote being cancelled still names one)."""
        return self.mapped.customer_key if self.mapped else self.entry.customer_key


@dataclass(frozen=True)
class Context:
    """What every plan of one flush is made from: read once per flush (the reference data
    once per round, as the round's items may add to it)."""

    store: Store
    settings: StoreSettings
    reference: Reference


def plan_entries(context: Context, entries: list[OutboxEntry]) -> list[Plan]:
    """The plans of `entries`; the entries that need no write are settled (not committed)."""
    return [plan for entry in entries if (plan := _plan_safely(context, entry)) is not None]


def mapped_order(context: Context, order: Mapping[str, Any]) -> MappedDocument | None:
    """The document an order makes under the store's settings (None if its status makes
    none); CannotMapError if it cannot be represented."""
    products = order_products(context, order)
    return map_order(
        order, context.settings, context.reference, products, store_url=context.store.url
    )


def order_products(context: Context, order: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    """The order's products as last read, when the settings' rules need their categories."""
    return _products(context.store.id, order, context.settings)


def document_hash(mapped: MappedDocument) -> str:
    """What the document would say in Xero, and to whom: equal hashes need no call. Stored
    on the binding, so its form never changes."""
    canonical = json.dumps(
        {"document": mapped.document, "customer": mapped.customer_key},
        sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def order_records(store_id: int) -> list[WooRecord]:
    """Every order of the store as last read (not deleted)."""
    return list(
        db.session.scalars(
            sa.select(WooRecord).where(
                WooRecord.store_id == store_id,
                WooRecord.resource == "order",
                WooRecord.deleted.is_(False),
            )
        )
    )


def _plan_safely(context: Context, entry: OutboxEntry) -> Plan | None:
    version = entry.version
    try:
        return _plan(context, entry)
    except MAPPING_ERRORS as error:  # one order's unexpected shape must not stop the store
        logger.exception(
            "order %s of store %s could not be planned", entry.woo_order_id, context.store.id
        )
        message = f"could not be mapped ({type(error).__name__}: {error})"
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, "order", "hold", Outcome.HELD, message)
        return None


def _plan(context: Context, entry: OutboxEntry) -> Plan | None:
    """What to write for `entry`, or None after settling it without a call."""
    store_id, version = context.store.id, entry.version
    record = order_record(store_id, entry.woo_order_id)
    if record is None or record.deleted:
        return _skip(entry, version, "the order is gone from WooCommerce; deletes never reach "
                     "Xero")  # fmt: skip
    order = record.data
    entry.currency = str(order.get("currency") or "")[:3]
    if order.get("status") in CANCELLED:
        return _cancel_plan(store_id, context.settings, entry, version)
    first_seen_refunded = order.get("status") == REFUNDED and not binding_for(
        store_id, INVOICE.binding, entry.woo_order_id
    )
    if first_seen_refunded and context.settings.refunds.first_seen_refunded == "skip":
        return _skip(entry, version, "first seen already refunded; nothing is booked (settings)")
    try:
        mapped = mapped_order(context, order)
    except CannotMapError as error:
        outbox.settle(entry, OutboxStatus.HELD, version, str(error))
        audit.record(entry, "order", "hold", Outcome.HELD, f"not sent: {error}",
                     details={"reasons": list(error.reasons)})  # fmt: skip
        return None
    if mapped is None:
        return _skip(entry, version, f"status '{order.get('status')}' makes no document")
    kind = KINDS[mapped.kind]
    if kind is QUOTE and binding_for(store_id, INVOICE.binding, entry.woo_order_id):
        return _skip(entry, version, "already invoiced; no quote is made")
    _describe(entry, mapped)
    binding = binding_for(store_id, kind.binding, entry.woo_order_id)
    if binding is not None and binding.xero_status == DocumentStatus.DELETED:
        binding = None  # deleted in Xero (its number free again): made anew
    digest = document_hash(mapped)
    entry.content_hash = digest
    if binding is not None and binding.content_hash == digest:
        then = OutboxStatus.BOOKS if kind is INVOICE else OutboxStatus.DONE
        return _skip(entry, version, f"{binding.xero_number} is up to date", then)
    if binding is not None and binding.xero_status in FINAL_STATUSES:
        message = not_editable(binding)
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, kind.name, "update", Outcome.WARNING, message, xero_id=binding.xero_id)
        return None
    action = WriteAction.UPDATE if binding is not None else WriteAction.CREATE
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
    voided once authorised; a paid invoice is never touched: a credit note reverses it (the
    books), or, with credit notes off, it is left with a warning."""
    if settings.documents.cancelled == "keep":
        return _skip(entry, version, "cancelled; documents are kept (settings)")
    binding, kind = None, INVOICE
    for kind in (INVOICE, QUOTE):
        binding = binding_for(store_id, kind.binding, entry.woo_order_id)
        if binding is not None:
            break
    if binding is None:
        return _skip(entry, version, "cancelled before anything reached Xero")
    if binding.xero_status in (DocumentStatus.DELETED, DocumentStatus.VOIDED):
        return _skip(entry, version, f"{binding.xero_number} is already {binding.xero_status} "
                     "in Xero")  # fmt: skip
    paid = binding_for(store_id, BindingKind.PAYMENT, entry.woo_order_id) is not None
    paid = paid or binding.xero_status == DocumentStatus.PAID
    if paid and kind is INVOICE and settings.refunds.enabled:
        message = f"the order was cancelled but {binding.xero_number} is paid: a credit note"
        return _skip(entry, version, f"{message} reverses it", OutboxStatus.BOOKS)
    if paid or binding.xero_status == DocumentStatus.INVOICED:
        message = (
            f"the order was cancelled but {binding.xero_number} is "
            f"{'paid' if paid else binding.xero_status}; it is left as it is (refund the "
            "order to credit it)"
        )
        outbox.settle(entry, OutboxStatus.HELD, version, message)
        audit.record(entry, kind.name, "cancel", Outcome.WARNING, message)
        return None
    entry.kind, entry.action, entry.number = kind.name, OutboxAction.CANCEL, binding.xero_number
    authorised = binding.xero_status == DocumentStatus.AUTHORISED
    status = DocumentStatus.VOIDED if authorised else DocumentStatus.DELETED
    return Plan(entry, version, kind, WriteAction.CANCEL, binding=binding, cancel_status=status,
                content_hash=binding.content_hash)  # fmt: skip


def _skip(
    entry: OutboxEntry, version: int, message: str, then: OutboxStatus = OutboxStatus.DONE
) -> None:
    """Nothing to write for this version: done (or on to its payments and credit notes),
    with the reason in the audit trail."""
    outbox.settle(entry, then, version)
    audit.record(entry, entry.kind or "order", "skip", Outcome.SKIPPED, message)


def order_record(store_id: int, woo_order_id: str) -> WooRecord | None:
    """The order as last read from the store (None if never kept)."""
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
