"""Writing invoices and quotes to Xero in batches of up to 50, exactly once.

Creates are PUT with an Idempotency-Key (derived from the content by the client) and
`summarizeErrors=false`; each element is bound and committed as soon as its batch answers.
Entries are marked `sending` (committed) before a batch leaves, so a worker killed mid-call
leaves them to be reconciled: after any uncertain outcome the documents are looked up by
their deterministic numbers before anything is created again. Updates are POSTed with the
bound id; cancellations delete a draft or void an authorised document.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.connectors.base import (
    ConnectorError,
    NotFoundError,
    PermanentError,
    TransientError,
    ValidationError,
)
from server.connectors.xero import resources
from server.connectors.xero.batch import ElementResult, chunks, write_batches
from server.connectors.xero.client import XeroClient
from server.connectors.xero.ratelimit import CallPriority
from server.connectors.xero.resources import Resource
from server.extensions import db
from server.mapping.orders import MappedDocument, for_xero
from server.models import Binding, BindingKind, OutboxEntry, OutboxPriority, OutboxStatus, Outcome
from server.push import audit, contacts, outbox

NUMBER_TAKEN = "must be unique"
ARCHIVED_CONTACT = "archived contact"
NOT_EDITABLE = "not of valid status for modification"
FINAL_STATUSES = ("PAID", "VOIDED", "DELETED", "INVOICED")
STATUS_RANK = {"DRAFT": 0, "SUBMITTED": 1, "AUTHORISED": 2, "SENT": 1, "DECLINED": 1, "ACCEPTED": 2}
NUMBERS_PER_LOOKUP = 50
MAX_ATTEMPTS = 5  # writes of one version that ended in doubt, before the order is failed


@dataclass(frozen=True)
class DocumentKind:
    name: str
    resource: Resource
    binding: BindingKind
    id_field: str
    number_field: str
    params: Mapping[str, Any]


INVOICE = DocumentKind(
    "invoice", resources.INVOICES, BindingKind.INVOICE, "InvoiceID", "InvoiceNumber",
    {"unitdp": 4},
)  # fmt: skip
QUOTE = DocumentKind("quote", resources.QUOTES, BindingKind.QUOTE, "QuoteID", "QuoteNumber", {})
KINDS = {kind.name: kind for kind in (INVOICE, QUOTE)}


@dataclass
class Plan:
    """One entry's write: create, update or cancel one document."""

    entry: OutboxEntry
    version: int  # the entry version being written
    kind: DocumentKind
    action: str  # "create", "update" or "cancel"
    mapped: MappedDocument | None = None
    binding: Binding | None = None
    content_hash: str = ""
    contact_id: str = ""
    cancel_status: str = ""


def binding_for(store_id: int, kind: BindingKind, woo_order_id: str) -> Binding | None:
    return db.session.scalar(
        sa.select(Binding).where(
            Binding.store_id == store_id, Binding.kind == kind, Binding.woo_id == woo_order_id
        )
    )


def _priority(plan: Plan) -> CallPriority:
    backfill = plan.entry.priority >= int(OutboxPriority.BACKFILL)
    return CallPriority.LOW if backfill else CallPriority.NORMAL


# -- writing -------------------------------------------------------------------------------


def write(client: XeroClient, store_id: int, plans: Sequence[Plan]) -> None:
    """Every plan, by kind and action, creates first. Raises the connector's error after
    leaving the entries in flight `uncertain` (or pending, when nothing can have reached
    Xero)."""
    for kind in KINDS.values():
        for action, build in (
            ("create", _create_element),
            ("update", _update_element),
            ("cancel", _cancel_element),
        ):
            group = [plan for plan in plans if plan.kind is kind and plan.action == action]
            if group:
                _send(client, store_id, kind, action, group, build)


def _send(
    client: XeroClient,
    store_id: int,
    kind: DocumentKind,
    action: str,
    plans: list[Plan],
    build: Callable[[Plan], dict[str, Any]],
) -> None:
    """Batch after batch: each batch's entries are marked `sending` (committed) just before
    it leaves, and settled (committed) as soon as it answers."""
    elements = [build(plan) for plan in plans]
    method = "PUT" if action == "create" else "POST"
    for indexes in chunks(elements, kind.resource.collection):
        batch = [plans[index] for index in indexes]
        for plan in batch:
            plan.entry.attempts += 1
            outbox.set_status(plan.entry, OutboxStatus.SENDING)
        db.session.commit()
        try:
            (results,) = write_batches(
                client, kind.resource, [elements[index] for index in indexes], method=method,
                params=kind.params, priority=_priority(batch[0]), idempotency_salt=_salt(batch),
            )  # fmt: skip
        except ConnectorError as error:
            db.session.rollback()
            _after_failure(batch, plans[indexes.stop :], error)
            raise
        for outcome in results:
            _settle(store_id, kind, action, batch[outcome.index], outcome)
        db.session.commit()


def _salt(plans: list[Plan]) -> str:
    """Part of the Idempotency-Key: the same for a retry of these versions, different once
    any order changed, so Xero never answers an edit from its cache of an older one."""
    return ",".join(f"{plan.entry.id}:{plan.version}" for plan in plans)


def _after_failure(in_flight: list[Plan], unsent: list[Plan], error: ConnectorError) -> None:
    """The batch in flight may have been applied (uncertain), was refused as a whole
    (failed, with Xero's messages), or never arrived (pending); later batches never left."""
    uncertain = isinstance(error, TransientError) and error.uncertain
    refused = isinstance(error, ValidationError | PermanentError)
    for plan in in_flight:
        if uncertain:
            outbox.set_status(plan.entry, OutboxStatus.UNCERTAIN)
        elif refused:
            messages = getattr(error, "messages", None) or [error.message]
            outbox.settle(plan.entry, OutboxStatus.FAILED, plan.version, "; ".join(messages))
            audit.record(plan.entry, plan.kind.name, plan.action, Outcome.ERROR,
                         f"Xero refused the batch: {error.message}")  # fmt: skip
        else:
            outbox.set_status(plan.entry, OutboxStatus.PENDING)
    for plan in unsent:
        outbox.set_status(plan.entry, OutboxStatus.PENDING)
    db.session.commit()


def _contact(plan: Plan) -> dict[str, str]:
    return {"ContactID": plan.contact_id}


def _create_element(plan: Plan) -> dict[str, Any]:
    assert plan.mapped is not None
    return for_xero({**plan.mapped.document, "Contact": _contact(plan)})


def _update_element(plan: Plan) -> dict[str, Any]:
    assert plan.mapped is not None and plan.binding is not None
    document = {**plan.mapped.document, "Contact": _contact(plan)}
    document[plan.kind.id_field] = plan.binding.xero_id
    wanted = str(document.get("Status", ""))
    if STATUS_RANK.get(wanted, 0) < STATUS_RANK.get(plan.binding.xero_status, 0):
        document.pop("Status", None)  # Xero moves a document forward only
    return for_xero(document)


def _cancel_element(plan: Plan) -> dict[str, Any]:
    assert plan.binding is not None
    element: dict[str, Any] = {
        plan.kind.id_field: plan.binding.xero_id,
        "Status": plan.cancel_status,
    }
    if plan.kind is QUOTE:  # Xero wants a quote's contact and date on every update
        element["Contact"] = _contact(plan)
        element["Date"] = plan.entry.document.get("Date")
    return element


def _settle(
    store_id: int, kind: DocumentKind, action: str, plan: Plan, outcome: ElementResult
) -> None:
    element = outcome.element
    entry = plan.entry
    if outcome.ok and element.get(kind.id_field):
        binding = bind(store_id, kind, entry.woo_order_id, element, plan.content_hash or None)
        outbox.settle(entry, OutboxStatus.DONE, plan.version)
        _record_written(plan, binding, element, action)
        return
    errors = "; ".join(outcome.errors) or f"Xero answered {outcome.status}"
    if action == "create" and NUMBER_TAKEN in errors:
        outbox.set_status(entry, OutboxStatus.UNCERTAIN)  # it exists: find it by its number
        audit.record(
            entry, kind.name, "create", Outcome.WARNING,
            f"{entry.number} already exists in Xero; it will be found by its number and bound",
        )  # fmt: skip
        return
    if action != "create" and NOT_EDITABLE in errors and plan.binding is not None:
        if entry.attempts >= MAX_ATTEMPTS:
            outbox.settle(
                entry, OutboxStatus.HELD, plan.version, not_editable(plan.binding, errors)
            )
            audit.record(entry, kind.name, action, Outcome.WARNING, entry.error or errors)
            return
        # Xero's status differs from the one we knew: learn it, and plan again from it
        plan.binding.xero_status = ""
        outbox.set_status(entry, OutboxStatus.UNCERTAIN)
        audit.record(
            entry, kind.name, action, Outcome.WARNING,
            f"Xero refused to change {plan.binding.xero_number} ({errors}); its status is "
            "read again before anything else is sent",
        )  # fmt: skip
        return
    if ARCHIVED_CONTACT in errors.lower() and entry.attempts < MAX_ATTEMPTS:
        contacts.forget(entry.store_id, entry.customer_key)  # found again, or made anew
        outbox.set_status(entry, OutboxStatus.PENDING)
        message = f"the contact is archived in Xero; it is found or made again ({errors})"
        audit.record(entry, kind.name, action, Outcome.WARNING, message)
        return
    outbox.settle(entry, OutboxStatus.FAILED, plan.version, errors)
    audit.record(
        entry, kind.name, action, Outcome.ERROR, f"Xero refused {entry.number}: {errors}",
        xero_id=plan.binding.xero_id if plan.binding else None,
        details={"xero_errors": list(outcome.errors)},
    )  # fmt: skip


def not_editable(binding: Binding, xero_says: str = "") -> str:
    """The warning for an order that changed after its document became final in Xero."""
    because = f" ({xero_says})" if xero_says else ""
    return (
        f"order changed, but {binding.xero_number} is {binding.xero_status or 'final'} in Xero "
        f"and can no longer be edited{because}; change it in Xero by hand or credit it"
    )


def _record_written(plan: Plan, binding: Binding, element: Mapping[str, Any], action: str) -> None:
    entry = plan.entry
    xero_total = _decimal(element.get("Total"))
    outcome, message = Outcome.OK, f"{action}d {binding.xero_number} ({binding.xero_status})"
    if action == "cancel":
        message = f"{binding.xero_number} is now {binding.xero_status}: the order was cancelled"
    elif plan.mapped is not None and xero_total is not None and xero_total != plan.mapped.total:
        outcome = Outcome.WARNING
        message += f": Xero's total {xero_total} differs from WooCommerce's {plan.mapped.total}"
    audit.record(
        entry, plan.kind.name, action, outcome, message,
        xero_id=binding.xero_id, xero_total=xero_total,
        details={
            "number": binding.xero_number,
            "explanation": list(plan.mapped.explanation) if plan.mapped else [],
            "xero": {key: str(element.get(key)) for key in ("SubTotal", "TotalTax", "Total")},
        },
    )  # fmt: skip


def bind(
    store_id: int,
    kind: DocumentKind,
    woo_order_id: str,
    element: Mapping[str, Any],
    content_hash: str | None,
) -> Binding:
    binding = binding_for(store_id, kind.binding, woo_order_id)
    if binding is None:
        binding = Binding(store_id=store_id, kind=kind.binding, woo_id=woo_order_id)
        db.session.add(binding)
    binding.xero_id = str(element[kind.id_field])
    binding.xero_number = str(element.get(kind.number_field) or binding.xero_number)
    binding.xero_status = str(element.get("Status") or binding.xero_status)
    if content_hash is not None:
        binding.content_hash = content_hash
    return binding


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


# -- reconciling ---------------------------------------------------------------------------


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
        binding = binding_for(store_id, kind.binding, entry.woo_order_id) if kind else None
        if kind is None:
            continue
        if binding is not None and binding.xero_id and binding.xero_status != "DELETED":
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
    elif entry.attempts >= MAX_ATTEMPTS:
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
    contact_id = contacts.bound_contact(store_id, entry.customer_key)
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
                found[quote_id] = {"QuoteID": quote_id, "Status": "DELETED"}
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
        if document.get("Status") != "DELETED" and document.get("Type", "ACCREC") == "ACCREC"
    }


# -- quotes that became invoices ------------------------------------------------------------

QUOTE_STEPS = {"DRAFT": "SENT", "SENT": "ACCEPTED", "ACCEPTED": "INVOICED"}


def close_quotes(client: XeroClient, store_id: int) -> None:
    """Quotes whose orders are invoiced now are marked INVOICED, the way Xero's own "copy to
    invoice" leaves them: a quote moves DRAFT → SENT → ACCEPTED → INVOICED, one step a call,
    fifty quotes a call. Chosen from the bindings, so a step that failed is tried again by a
    later flush. Commits."""
    invoice = aliased(Binding)
    rows = db.session.execute(
        sa.select(Binding, OutboxEntry)
        .join(
            invoice,
            sa.and_(
                invoice.store_id == Binding.store_id,
                invoice.woo_id == Binding.woo_id,
                invoice.kind == BindingKind.INVOICE,
                invoice.xero_id.is_not(None),
                invoice.xero_status != "DELETED",
            ),
        )
        .join(
            OutboxEntry,
            sa.and_(
                OutboxEntry.store_id == Binding.store_id,
                OutboxEntry.woo_order_id == Binding.woo_id,
            ),
        )
        .where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.QUOTE,
            Binding.xero_status.in_(list(QUOTE_STEPS)),
        )
    ).all()
    open_quotes = [
        (quote, entry, contact)
        for quote, entry in rows
        if (contact := contacts.bound_contact(store_id, entry.customer_key)) is not None
    ]
    db.session.commit()
    while open_quotes:
        elements = [
            {"QuoteID": quote.xero_id, "Status": QUOTE_STEPS[quote.xero_status],
             "Contact": {"ContactID": contact}, "Date": entry.document.get("Date")}
            for quote, entry, contact in open_quotes
        ]  # fmt: skip
        still_open = []
        for results in write_batches(client, QUOTE.resource, elements, method="POST"):
            for outcome in results:
                quote, entry, contact = open_quotes[outcome.index]
                if outcome.ok:
                    quote.xero_status = str(outcome.element.get("Status") or "")
                    if quote.xero_status in QUOTE_STEPS:
                        still_open.append((quote, entry, contact))
                else:
                    why = "; ".join(outcome.errors)
                    audit.record(
                        entry, "quote", "close", Outcome.WARNING,
                        f"{quote.xero_number} stays {quote.xero_status}: {why}",
                    )  # fmt: skip
            db.session.commit()
        open_quotes = still_open
