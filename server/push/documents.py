"""Writing planned invoices and quotes to Xero in batches of up to 50, exactly once.

Creates are PUT with an Idempotency-Key (derived from the content by the client) and
`summarizeErrors=false`; each element is bound and committed as soon as its batch answers.
Entries are marked `sending` (committed) before a batch leaves, so a worker killed mid-call
leaves them to be reconciled (`server.push.reconcile`) before anything is created again.
Updates are POSTed with the bound id; cancellations delete a draft or void an authorised
document. Quotes whose orders got invoices are closed the way Xero's own "copy to invoice"
leaves them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from server.connectors.base import ConnectorError, PermanentError, TransientError, ValidationError
from server.connectors.xero.batch import ElementResult, chunks, write_batches
from server.connectors.xero.client import XeroClient
from server.connectors.xero.ratelimit import CallPriority
from server.connectors.xero.resources import DocumentStatus
from server.extensions import db
from server.mapping.orders import for_xero
from server.models import Binding, BindingKind, OutboxEntry, OutboxPriority, OutboxStatus, Outcome
from server.push import audit, outbox
from server.push.bindings import (
    INVOICE,
    KINDS,
    QUOTE,
    DocumentKind,
    bind,
    bound_contact,
    forget_contact,
    not_editable,
)
from server.push.plan import Plan, WriteAction

NUMBER_TAKEN = "must be unique"
ARCHIVED_CONTACT = "archived contact"
NOT_EDITABLE = "not of valid status for modification"
# Xero moves a document forward only: a status below the one it has is left out of updates.
STATUS_RANK = {
    DocumentStatus.DRAFT: 0, DocumentStatus.SUBMITTED: 1, DocumentStatus.AUTHORISED: 2,
    DocumentStatus.SENT: 1, DocumentStatus.DECLINED: 1, DocumentStatus.ACCEPTED: 2,
}  # fmt: skip


CALL_CLASS = {
    OutboxPriority.CANCEL: CallPriority.UPDATE, OutboxPriority.NEW: CallPriority.NORMAL,
    OutboxPriority.UPDATE: CallPriority.UPDATE, OutboxPriority.BACKFILL: CallPriority.LOW,
}  # fmt: skip


def call_class(entry: OutboxEntry) -> CallPriority:
    """The class of the calls that write an entry's document: a new document's, an update's
    (a cancellation is one), or backfill's."""
    return CALL_CLASS[OutboxPriority(entry.priority)]


# -- writing -------------------------------------------------------------------------------


def write(client: XeroClient, store_id: int, plans: Sequence[Plan]) -> None:
    """Every plan, by kind and action, creates first. Raises the connector's error after
    leaving the entries in flight `uncertain` (or pending, when nothing can have reached
    Xero)."""
    for kind in KINDS.values():
        for action, build in (
            (WriteAction.CREATE, _create_element),
            (WriteAction.UPDATE, _update_element),
            (WriteAction.CANCEL, _cancel_element),
        ):
            group = [plan for plan in plans if plan.kind is kind and plan.action is action]
            if group:
                _send(client, store_id, kind, action, group, build)


def _send(
    client: XeroClient,
    store_id: int,
    kind: DocumentKind,
    action: WriteAction,
    plans: list[Plan],
    build: Callable[[Plan], dict[str, Any]],
) -> None:
    """Batch after batch: each batch's entries are marked `sending` (committed) just before
    it leaves, and settled (committed) as soon as it answers."""
    elements = [build(plan) for plan in plans]
    method = "PUT" if action is WriteAction.CREATE else "POST"
    for indexes in chunks(elements, kind.resource.collection):
        batch = [plans[index] for index in indexes]
        for plan in batch:
            plan.entry.attempts += 1
            outbox.set_status(plan.entry, OutboxStatus.SENDING)
        db.session.commit()
        try:
            (results,) = write_batches(
                client, kind.resource, [elements[index] for index in indexes], method=method,
                params=kind.params, priority=call_class(batch[0].entry),
                idempotency_salt=_salt(batch),
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
    if STATUS_RANK.get(wanted, 0) < STATUS_RANK.get(plan.binding.xero_status or "", 0):
        document.pop("Status", None)  # Xero moves a document forward only
    return for_xero(document)


def _cancel_element(plan: Plan) -> dict[str, Any]:
    assert plan.binding is not None
    element: dict[str, Any] = {
        plan.kind.id_field: plan.binding.xero_id,
        "Status": str(plan.cancel_status),
    }
    if plan.kind is QUOTE:  # Xero wants a quote's contact and date on every update
        element["Contact"] = _contact(plan)
        element["Date"] = plan.entry.document.get("Date")
    return element


def _settle(
    store_id: int, kind: DocumentKind, action: WriteAction, plan: Plan, outcome: ElementResult
) -> None:
    element = outcome.element
    entry = plan.entry
    if outcome.ok and element.get(kind.id_field):
        binding = bind(store_id, kind, entry.woo_order_id, element, plan.content_hash or None)
        books = kind is INVOICE and action is not WriteAction.CANCEL
        outbox.settle(entry, OutboxStatus.BOOKS if books else OutboxStatus.DONE, plan.version)
        _record_written(plan, binding, element, action)
        return
    errors = "; ".join(outcome.errors) or f"Xero answered {outcome.status}"
    if action is WriteAction.CREATE and NUMBER_TAKEN in errors:
        outbox.set_status(entry, OutboxStatus.UNCERTAIN)  # it exists: find it by its number
        audit.record(
            entry, kind.name, "create", Outcome.WARNING,
            f"{entry.number} already exists in Xero; it will be found by its number and bound",
        )  # fmt: skip
        return
    if action is not WriteAction.CREATE and NOT_EDITABLE in errors and plan.binding is not None:
        if entry.attempts >= outbox.MAX_ATTEMPTS:
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
    if ARCHIVED_CONTACT in errors.lower() and entry.attempts < outbox.MAX_ATTEMPTS:
        forget_contact(entry.store_id, entry.customer_key)  # found again, or made anew
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


def _record_written(
    plan: Plan, binding: Binding, element: Mapping[str, Any], action: WriteAction
) -> None:
    entry = plan.entry
    xero_total = _decimal(element.get("Total"))
    outcome, message = Outcome.OK, f"{action}d {binding.xero_number} ({binding.xero_status})"
    if action is WriteAction.CANCEL:
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


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


# -- quotes that became invoices ------------------------------------------------------------

QUOTE_STEPS = {
    DocumentStatus.DRAFT: DocumentStatus.SENT,
    DocumentStatus.SENT: DocumentStatus.ACCEPTED,
    DocumentStatus.ACCEPTED: DocumentStatus.INVOICED,
}


def close_quotes(client: XeroClient, store_id: int, deadline: float) -> None:
    """Quotes whose orders are invoiced now are marked INVOICED, the way Xero's own "copy to
    invoice" leaves them: a quote moves DRAFT → SENT → ACCEPTED → INVOICED, one step a call,
    fifty quotes a call, until `deadline` (time.monotonic). Chosen from the bindings, so a
    step that failed or was not reached is taken by a later flush. Commits."""
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
                invoice.xero_status != DocumentStatus.DELETED,
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
        if (contact := bound_contact(store_id, entry.customer_key)) is not None
    ]
    db.session.commit()
    while open_quotes and time.monotonic() < deadline:
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
