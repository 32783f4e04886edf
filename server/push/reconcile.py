"""Reconciling writes that may or may not have been applied (a timeout, a 5xx, a worker killed
after sending): before anything is written again, each document is looked up in Xero — a
create by its deterministic number, an update or cancel by its bound id — so nothing is
made twice and the next plan starts from Xero's real status."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from server.connectors.base import NotFoundError
from server.connectors.xero.client import XeroClient
from server.connectors.xero.resources import DocumentStatus
from server.extensions import db
from server.models import Binding, OutboxEntry, OutboxStatus, Outcome
from server.push import audit, outbox
from server.push.bindings import KINDS, QUOTE, DocumentKind, bind, binding_for, bound_contact

NUMBERS_PER_LOOKUP = 50


def reconcile(
    client: XeroClient, store_id: int, entries: Sequence[OutboxEntry], deadline: float
) -> None:
    """Entries whose last write may or may not have been applied. A create is looked up by
    its number and bound if the document found is this order's (an update then makes it
    current); a number held by another document holds the order. An update or cancel reads
    its bound document again, so the next plan starts from Xero's real status. Fifty at a
    time, lookups first, then the writes, committed; what the deadline leaves stays in
    doubt for the next flush."""
    for start in range(0, len(entries), NUMBERS_PER_LOOKUP):
        if time.monotonic() > deadline:
            return
        _reconcile_chunk(client, store_id, entries[start : start + NUMBERS_PER_LOOKUP])


def _reconcile_chunk(client: XeroClient, store_id: int, entries: Sequence[OutboxEntry]) -> None:
    creates: dict[str, list[OutboxEntry]] = {name: [] for name in KINDS}
    bound: dict[str, list[tuple[OutboxEntry, Binding]]] = {name: [] for name in KINDS}
    for entry in entries:
        kind = KINDS.get(entry.kind)
        if kind is None:
            continue
        binding = binding_for(store_id, kind.binding, entry.woo_order_id)
        live = binding is not None and binding.xero_status != DocumentStatus.DELETED
        if binding is not None and binding.xero_id and live:
            bound[kind.name].append((entry, binding))
        elif entry.number:
            creates[kind.name].append(entry)
    by_number = {
        name: _find_by_number(client, KINDS[name], [e.number for e in group])
        for name, group in creates.items()
    }
    by_id = {
        name: _find_by_id(client, KINDS[name], [b.xero_id or "" for _, b in group])
        for name, group in bound.items()
    }
    for name, group in creates.items():
        for entry in group:
            _reconcile_create(store_id, KINDS[name], entry, by_number[name].get(entry.number))
    for name, pairs in bound.items():
        for entry, binding in pairs:
            document = by_id[name].get(binding.xero_id or "")
            if document is not None:
                binding.xero_status = str(document.get("Status") or binding.xero_status)
            outbox.set_status(entry, OutboxStatus.PENDING)
    handled = {e.id for group in creates.values() for e in group}
    handled |= {e.id for pairs in bound.values() for e, _ in pairs}
    for entry in entries:
        if entry.id not in handled:  # never got as far as a number
            outbox.set_status(entry, OutboxStatus.PENDING)
    db.session.commit()


def _reconcile_create(
    store_id: int, kind: DocumentKind, entry: OutboxEntry, document: Mapping[str, Any] | None
) -> None:
    if document is not None and _made_from(store_id, document, entry):
        bind(store_id, kind, entry.woo_order_id, document, "")  # "": brought up to date next
        audit.record(
            entry, kind.name, "reconcile", Outcome.OK,
            f"{entry.number} was found in Xero after an uncertain write, and bound",
            xero_id=str(document[kind.id_field]),
        )  # fmt: skip
        outbox.set_status(entry, OutboxStatus.PENDING)
    elif document is not None:
        message = (
            f"the number {entry.number} is used by another document in Xero, not made from "
            "this order; change the numbering in the settings or that document, then replay"
        )
        outbox.settle(entry, OutboxStatus.HELD, entry.version, message)
        audit.record(entry, kind.name, "reconcile", Outcome.HELD, message,
                     xero_id=str(document.get(kind.id_field)))  # fmt: skip
    elif entry.attempts >= outbox.MAX_ATTEMPTS:
        message = f"{entry.number} could not be written after {entry.attempts} attempts"
        outbox.settle(entry, OutboxStatus.FAILED, entry.version, message)
        audit.record(entry, kind.name, "create", Outcome.ERROR, message)
    else:
        outbox.set_status(entry, OutboxStatus.PENDING)


def _made_from(store_id: int, document: Mapping[str, Any], entry: OutboxEntry) -> bool:
    """Whether a document found by number is the one this order made: a sales document
    with the order's reference, for the order's contact, bound to no other store."""
    if document.get("Type", "ACCREC") != "ACCREC":
        return False
    if str(document.get("Reference") or "") != str(entry.document.get("Reference") or ""):
        return False
    contact_id = bound_contact(store_id, entry.customer_key)
    found_for = str((document.get("Contact") or {}).get("ContactID") or "")
    if contact_id is not None and found_for != contact_id:
        return False
    elsewhere = db.session.scalar(
        sa.select(Binding.id).where(
            Binding.xero_id == str(document.get("InvoiceID") or document.get("QuoteID") or ""),
            Binding.store_id != store_id,
        )
    )
    return elsewhere is None


def _find_by_number(
    client: XeroClient, kind: DocumentKind, numbers: list[str]
) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    if kind is QUOTE:  # Quotes take one QuoteNumber per call
        for number in numbers:
            found |= _live(kind, client.iterate(kind.resource, {"QuoteNumber": number}))
        return found
    listable = [number for number in numbers if "," not in number]
    for start in range(0, len(listable), NUMBERS_PER_LOOKUP):
        chunk = listable[start : start + NUMBERS_PER_LOOKUP]
        query = {"InvoiceNumbers": chunk, "includeArchived": True}
        found |= _live(kind, client.iterate(kind.resource, query))
    for number in set(numbers) - set(listable):  # a comma would split the list
        query = {"where": f'InvoiceNumber=="{number}"', "includeArchived": True}
        found |= _live(kind, client.iterate(kind.resource, query))
    return found


def _find_by_id(
    client: XeroClient, kind: DocumentKind, ids: list[str]
) -> dict[str, Mapping[str, Any]]:
    if not ids:
        return {}
    if kind is QUOTE:  # one by one; a quote Xero no longer has is as good as deleted
        found = {}
        for quote_id in ids:
            try:
                found[quote_id] = client.get_one(kind.resource, quote_id)
            except NotFoundError:
                found[quote_id] = {"QuoteID": quote_id, "Status": DocumentStatus.DELETED.value}
        return found
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(ids), NUMBERS_PER_LOOKUP):
        query = {"IDs": ids[start : start + NUMBERS_PER_LOOKUP], "includeArchived": True}
        for document in client.iterate(kind.resource, query):
            found[str(document.get(kind.id_field))] = document
    return found


def _live(kind: DocumentKind, documents: Any) -> dict[str, Mapping[str, Any]]:
    """Sales documents by number, leaving out deleted ones (Xero lets their numbers be
    reused) and supplier bills (whose numbers may repeat ours)."""
    return {
        str(document.get(kind.number_field)): document
        for document in documents
        if document.get("Status") != DocumentStatus.DELETED
        and document.get("Type", "ACCREC") == "ACCREC"
    }
