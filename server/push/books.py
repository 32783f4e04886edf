"""An order's books once its invoice is in Xero (`OutboxStatus.BOOKS`): the payment of a paid
order, one credit note per WooCommerce refund, and each credit note settled — paid back out
to the gateway's account when the order was paid (so the bank line reconciles), allocated
to the invoice while the order is unpaid.

Exactly once, as the documents are: before a batch leaves, a binding without a Xero id marks
each element in flight (a credit note being settled: its binding's status `SETTLING`), and
is committed; the answer fills it in. A mark found later means an answer was lost: the
invoice's payments, the credit notes by number, or the credit note's remaining credit are
read first, and only what Xero does not have is sent again.

A date in a period Xero has locked moves to the first open day, with the original date in
the Reference and the audit trail. Each step runs for all the round's orders at once, fifty
to a call: payments, then credit notes, then settlements (an allocation is a call each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from server.connectors.base import ConnectorError, NotFoundError, TransientError, ValidationError
from server.connectors.xero import resources, where
from server.connectors.xero.batch import ElementResult, write_batches
from server.connectors.xero.client import XeroClient
from server.connectors.xero.resources import DocumentStatus
from server.extensions import db
from server.mapping.dates import local_date, open_date
from server.mapping.lines import CannotMapError
from server.mapping.orders import MappedDocument, for_xero
from server.mapping.payments import GatewayAccounts, MappedPayment, order_payment, refund_payment
from server.mapping.refunds import Booking, map_cancellation, map_refund
from server.models import (
    REFUND_DETAILS,
    Binding,
    BindingKind,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    WooRecord,
)
from server.push import audit, outbox
from server.push import reference as xero_reference
from server.push.bindings import INVOICE, binding_for, bound_contact
from server.push.plan import CANCELLED, Context, document_hash, order_products

SENDING = "SENDING"  # a payment or credit note binding whose write is in flight
SETTLING = "SETTLING"  # a credit note binding whose allocation or refund is in flight
SETTLED = DocumentStatus.PAID  # Xero's status of a credit note with no credit left
LOOKUPS_PER_CALL = 25  # numbers in one `where` (OR'd), well inside a URL
INVOICES_PER_LOOKUP = 50  # invoice ids in one read of their payments
DRAFTS = (DocumentStatus.DRAFT, DocumentStatus.SUBMITTED)
LOCKED = "lock date"  # in Xero's refusal of a date on or before one of them


@dataclass
class OrderBooks:
    """One order's books in this flush."""

    entry: OutboxEntry
    version: int
    order: Mapping[str, Any]
    invoice: Binding
    contact_id: str
    problem: tuple[OutboxStatus, str] | None = None  # held or failed, with the reason
    notes: list[str] = field(default_factory=list)
    locked_out: bool = False  # Xero refused a date its lock dates, newer than ours, forbid

    @property
    def woo_id(self) -> str:
        return self.entry.woo_order_id

    @property
    def paid(self) -> bool:
        return bool(self.order.get("date_paid_gmt"))

    @property
    def cancelled(self) -> bool:
        return self.order.get("status") in CANCELLED

    @property
    def cancellation_id(self) -> str:
        """The binding key of the credit note reversing the order once it was cancelled."""
        return f"cancel:{self.woo_id}"

    def refunds(self) -> list[Mapping[str, Any]]:
        """The order's refunds in full, oldest first (the credit notes' order)."""
        details = self.order.get(REFUND_DETAILS) or []
        return sorted((r for r in details if isinstance(r, Mapping)), key=_refund_id)

    def hold(self, message: str, status: OutboxStatus = OutboxStatus.HELD) -> None:
        if self.problem is None:
            self.problem = (status, message)


def settle(client: XeroClient, context: Context, entries: Sequence[OutboxEntry]) -> None:
    """Bring the books of `entries` (status BOOKS) up to date; each ends done, held or
    failed. A connector error leaves them in BOOKS (marks in place) and is raised."""
    books = [b for entry in entries if (b := _load(context, entry)) is not None]
    db.session.commit()
    if not books:
        return
    _reconcile(client, context.store.id, books)
    for step in (_pay, _credit, _settle_credit_notes):
        step(client, context, [b for b in books if b.problem is None])
    locked_out = [b for b in books if b.locked_out and b.problem is None]
    if locked_out:
        _lock_dates_moved(client, context.store.id, locked_out)
    for b in books:
        if b.locked_out and b.problem is None:
            continue  # on to the next round, dated by the lock dates just read
        status, message = b.problem or (OutboxStatus.DONE, "")
        outbox.settle(b.entry, status, b.version, message)
        if b.problem is not None:
            audit.record(b.entry, "order", "books", Outcome.HELD if status is OutboxStatus.HELD
                         else Outcome.ERROR, message)  # fmt: skip
    db.session.commit()


def _load(context: Context, entry: OutboxEntry) -> OrderBooks | None:
    """The order's books, or None after settling an entry with nothing to book."""
    store_id = context.store.id
    record = db.session.scalar(
        sa.select(WooRecord).where(
            WooRecord.store_id == store_id,
            WooRecord.resource == "order",
            WooRecord.woo_id == entry.woo_order_id,
        )
    )
    invoice = binding_for(store_id, INVOICE.binding, entry.woo_order_id)
    gone = (DocumentStatus.DELETED, DocumentStatus.VOIDED)
    if record is None or record.deleted or invoice is None or not invoice.xero_id:
        outbox.settle(entry, OutboxStatus.DONE, entry.version)
        return None
    if invoice.xero_status in gone:
        outbox.settle(entry, OutboxStatus.DONE, entry.version)
        return None
    contact_id = bound_contact(store_id, entry.customer_key) or ""
    return OrderBooks(entry, entry.version, record.data, invoice, contact_id)


# -- after a lost answer -------------------------------------------------------------------


def _reconcile(client: XeroClient, store_id: int, books: list[OrderBooks]) -> None:
    """Marks left by a lost answer: bound to what Xero has, or cleared to be sent again."""
    payments = {}
    notes = []
    for b in books:
        mark = binding_for(store_id, BindingKind.PAYMENT, b.woo_id)
        if mark is not None and not mark.xero_id:
            payments[str(b.invoice.xero_id)] = b
        for woo_id in [*(_rid(r) for r in b.refunds()), b.cancellation_id]:
            mark = binding_for(store_id, BindingKind.CREDIT_NOTE, woo_id)
            if mark is not None and not mark.xero_id:
                notes.append(mark)
    if payments:
        _reconcile_payments(client, store_id, payments)
    if notes:
        _reconcile_credit_notes(client, notes)
    for b in books:
        for note in _credit_notes(store_id, b):
            if note.xero_status == SETTLING:
                db.session.commit()  # each call to Xero with nothing left unwritten
                _reconcile_settlement(client, store_id, note)
    db.session.commit()


def _reconcile_payments(
    client: XeroClient, store_id: int, by_invoice: dict[Any, OrderBooks]
) -> None:
    ids = [str(i) for i in by_invoice]
    for start in range(0, len(ids), INVOICES_PER_LOOKUP):
        db.session.commit()  # what the last chunk found is kept before the next call
        query = {"IDs": ids[start : start + INVOICES_PER_LOOKUP]}
        for invoice in client.iterate(resources.INVOICES, query):
            b = by_invoice[str(invoice.get("InvoiceID"))]
            b.invoice.xero_status = str(invoice.get("Status") or b.invoice.xero_status)
            mark = binding_for(store_id, BindingKind.PAYMENT, b.woo_id)
            assert mark is not None
            total = _decimal(b.order.get("total"))
            found = next((p for p in invoice.get("Payments") or []
                          if _decimal(p.get("Amount")) == total), None)  # fmt: skip
            if found is not None:
                mark.xero_id, mark.xero_status = str(found["PaymentID"]), "AUTHORISED"
                audit.record(b.entry, "payment", "reconcile", Outcome.OK,
                             f"the payment of {total} was found on {b.invoice.xero_number} after "
                             "a lost answer, and bound", xero_id=mark.xero_id)  # fmt: skip
            else:
                db.session.delete(mark)


def _reconcile_credit_notes(client: XeroClient, marks: list[Binding]) -> None:
    by_number = {mark.xero_number: mark for mark in marks}
    numbers = list(by_number)
    for start in range(0, len(numbers), LOOKUPS_PER_CALL):
        db.session.commit()  # what the last chunk found is kept before the next call
        chunk = numbers[start : start + LOOKUPS_PER_CALL]
        query = {"where": " OR ".join(where.equals("CreditNoteNumber", n) for n in chunk)}
        for note in client.iterate(resources.CREDIT_NOTES, query):
            mark = by_number.get(str(note.get("CreditNoteNumber")))
            if mark is None or note.get("Status") == DocumentStatus.DELETED:
                continue
            if note.get("Type", "ACCRECCREDIT") != "ACCRECCREDIT":
                continue
            mark.xero_id = str(note["CreditNoteID"])
            mark.xero_status = _credit_note_status(note)
    for mark in marks:
        if not mark.xero_id:
            db.session.delete(mark)


def _reconcile_settlement(client: XeroClient, store_id: int, note: Binding) -> None:
    try:
        found = client.get_one(resources.CREDIT_NOTES, note.xero_id or "")
    except NotFoundError:
        found = {"Status": DocumentStatus.DELETED.value}
    note.xero_status = _credit_note_status(found)
    for payment in found.get("Payments") or []:
        _bind_refund_payment(store_id, note.woo_id, str(payment["PaymentID"]))


def _credit_note_status(note: Mapping[str, Any]) -> str:
    """Xero's status, or PAID when no credit is left (Xero says PAID then too)."""
    status = str(note.get("Status") or "")
    remaining = _decimal(note.get("RemainingCredit"))
    if status == DocumentStatus.AUTHORISED and remaining is not None and remaining <= 0:
        return SETTLED
    return status


# -- payments -----------------------------------------------------------------------------


def _pay(client: XeroClient, context: Context, books: list[OrderBooks]) -> None:
    """A paid order's invoice gets one payment of the order's total, on the day it was paid."""
    settings, store_id = context.settings, context.store.id
    if not settings.payments.enabled:
        return
    wanted: list[tuple[OrderBooks, MappedPayment]] = []
    for b in books:
        if not b.paid or b.cancelled:
            continue
        if binding_for(store_id, BindingKind.PAYMENT, b.woo_id) is not None:
            continue
        if b.invoice.xero_status == DocumentStatus.PAID:
            continue  # paid in Xero already (by hand): nothing to add
        if b.invoice.xero_status in DRAFTS:
            b.hold(f"{b.invoice.xero_number} is a draft in Xero, which takes payments on "
                   "approved invoices only: approve it in Xero, or let wooxero approve paid "
                   "orders' invoices (payments.approve_drafts), then replay")  # fmt: skip
            continue
        try:
            payment = order_payment(b.order, context.reference, _gateways(context))
        except CannotMapError as error:
            b.hold(f"{b.invoice.xero_number} is in Xero; its payment waits: {error}")
            continue
        if payment is not None:
            wanted.append((b, _in_open_period(b, payment, context)))
    marks = [_mark(store_id, BindingKind.PAYMENT, b.woo_id, p.reference) for b, p in wanted]
    elements = [for_xero(p.payload(b.invoice.xero_id or "")) for b, p in wanted]

    def bound(index: int, result: ElementResult) -> None:
        b, payment = wanted[index]
        marks[index].xero_id = str(result.element["PaymentID"])
        marks[index].xero_status = "AUTHORISED"
        # Xero's answer names the invoice without its status: paying the whole total
        # (the order's, which the invoice's equals) leaves it PAID.
        if payment.amount >= (_decimal(b.order.get("total")) or payment.amount):
            b.invoice.xero_status = DocumentStatus.PAID.value
        audit.record(b.entry, "payment", "create", Outcome.OK,
                     f"paid {payment.amount} on {b.invoice.xero_number} into account "
                     f"{payment.account}, dated {payment.date}", xero_id=marks[index].xero_id,
                     details={"notes": b.notes, "reference": payment.reference})  # fmt: skip

    _write(client, resources.PAYMENTS, "PUT", elements, [b for b, _ in wanted], marks, bound)


def _gateways(context: Context) -> GatewayAccounts:
    payments = context.settings.payments
    return GatewayAccounts(payments.by_gateway, payments.default_account)


def _in_open_period(b: OrderBooks, payment: MappedPayment, context: Context) -> MappedPayment:
    day, reference = _open_day(b, payment.date, payment.reference, context, "paid")
    return MappedPayment(payment.document, payment.amount, day, payment.account, reference,
                         payment.currency_rate)  # fmt: skip


def _open_day(
    b: OrderBooks, day: date, reference: str, context: Context, what: str
) -> tuple[date, str]:
    """The first open day for `day`, and the reference saying the original date if moved."""
    ref = context.reference
    moved = open_date(day, ref.period_lock_date, ref.end_of_year_lock_date)
    if not moved.moved:
        return day, reference
    b.notes.append(f"{what} on {day}, in a period locked in Xero: dated {moved.date} instead")
    return moved.date, f"{reference} ({what} {day})"[:255]


# -- credit notes -------------------------------------------------------------------------


def _credit(client: XeroClient, context: Context, books: list[OrderBooks]) -> None:
    """Each refund without a credit note gets one whose total is the refund's amount; a
    paid order that was cancelled, one for what its refunds left (`_cancellation`)."""
    settings, store_id = context.settings, context.store.id
    if not settings.refunds.enabled:
        return
    wanted: list[tuple[OrderBooks, str, MappedDocument]] = []  # (books, binding woo_id, note)
    for b in books:
        cancelled = binding_for(store_id, BindingKind.CREDIT_NOTE, b.cancellation_id)
        for refund in b.refunds():
            if binding_for(store_id, BindingKind.CREDIT_NOTE, _rid(refund)) is not None:
                continue
            if cancelled is not None:
                b.hold(f"refund {_rid(refund)} came after {cancelled.xero_number} reversed the "
                       "cancelled order: pay it out of that credit note in Xero")  # fmt: skip
                break
            try:
                mapped = _mapped_refund(context, b, refund)
            except CannotMapError as error:
                b.hold(f"refund {_rid(refund)} is not credited: {error}")
                break
            if mapped is not None:
                wanted.append((b, _rid(refund), mapped))
        if b.cancelled and cancelled is None and b.problem is None:
            _cancellation(context, b, wanted)
    marks = [_mark(store_id, BindingKind.CREDIT_NOTE, woo_id, m.number) for _, woo_id, m in wanted]
    elements = [for_xero({**m.document, "Contact": {"ContactID": b.contact_id}})
                for b, _, m in wanted]  # fmt: skip

    def bound(index: int, result: ElementResult) -> None:
        b, woo_id, mapped = wanted[index]
        marks[index].xero_id = str(result.element["CreditNoteID"])
        marks[index].xero_status = _credit_note_status(result.element)
        marks[index].content_hash = document_hash(mapped)
        total = _decimal(result.element.get("Total"))
        outcome = Outcome.OK if total == mapped.total else Outcome.WARNING
        what = "the cancelled order" if woo_id == b.cancellation_id else f"refund {woo_id}"
        audit.record(b.entry, "credit_note", "create", outcome,
                     f"created {mapped.number} ({marks[index].xero_status}) for {what} of "
                     f"{mapped.total}" + ("" if outcome is Outcome.OK
                                          else f": Xero's total is {total}"),
                     xero_id=marks[index].xero_id, xero_total=total,
                     details={"explanation": mapped.explanation, "notes": b.notes})  # fmt: skip

    _write(client, resources.CREDIT_NOTES, "PUT", elements, [b for b, _, _ in wanted], marks,
           bound, params={"unitdp": 4})  # fmt: skip


def _cancellation(
    context: Context, b: OrderBooks, wanted: list[tuple[OrderBooks, str, MappedDocument]]
) -> None:
    """A paid order cancelled in WooCommerce: its invoice is never voided (it has a payment);
    a credit note reverses what its refunds left, and stays as the customer's credit, as
    nothing says whether the money went back (a refund in WooCommerce would say so)."""
    total = _decimal(b.order.get("total")) or Decimal(0)
    refunded = sum((_decimal(r.get("amount")) or Decimal(0) for r in b.refunds()), Decimal(0))
    refunds = context.settings.refunds
    try:
        mapped = map_cancellation(
            b.order, total - refunded, context.settings, context.reference,
            order_products(context, b.order), number_template=refunds.credit_note_number,
            amount_only=_booking(context),
        )  # fmt: skip
    except CannotMapError as error:
        b.hold(f"the cancelled order is not credited: {error}")
        return
    if mapped is not None:
        wanted.append((b, b.cancellation_id, _dated(context, b, mapped)))


def _booking(context: Context) -> Booking | None:
    refunds = context.settings.refunds
    if refunds.amount_only == "account" and refunds.amount_only_account:
        return Booking(refunds.amount_only_account, refunds.amount_only_tax_type or "")
    return None


def _mapped_refund(
    context: Context, b: OrderBooks, refund: Mapping[str, Any]
) -> MappedDocument | None:
    products = order_products(context, b.order)
    mapped = map_refund(
        refund, b.order, context.settings, context.reference, products,
        number_template=context.settings.refunds.credit_note_number,
        amount_only=_booking(context),
    )  # fmt: skip
    return None if mapped is None else _dated(context, b, mapped)


def _dated(context: Context, b: OrderBooks, mapped: MappedDocument) -> MappedDocument:
    """The credit note dated the first open day when its own day is locked in Xero."""
    day = date.fromisoformat(str(mapped.document["Date"]))
    reference = str(mapped.document.get("Reference") or "")
    moved, reference = _open_day(b, day, reference, context, "refunded")
    mapped.document["Date"], mapped.document["Reference"] = moved.isoformat(), reference
    return mapped


# -- settling credit notes ----------------------------------------------------------------


def _settle_credit_notes(client: XeroClient, context: Context, books: list[OrderBooks]) -> None:
    """Credit left on the order's credit notes: paid back to the gateway's account for a
    paid order (a batch of payments), allocated to the invoice otherwise (a call each)."""
    store_id = context.store.id
    refunds: list[tuple[OrderBooks, Binding, MappedPayment]] = []
    for b in books:
        by_id = {_rid(r): r for r in b.refunds()}
        for note in _credit_notes(store_id, b):
            if note.xero_status != DocumentStatus.AUTHORISED or note.woo_id not in by_id:
                continue
            refund = by_id[note.woo_id]
            if not (b.paid or b.invoice.xero_status == DocumentStatus.PAID):
                _allocate(client, b, note, refund, context)
                continue
            try:
                payment = refund_payment(refund, b.order, context.reference, _gateways(context))
            except CannotMapError as error:
                b.hold(f"{note.xero_number} is in Xero; its refund waits: {error}")
                continue
            if payment is not None:
                refunds.append((b, note, _in_open_period(b, payment, context)))
    for _, note, _ in refunds:
        note.xero_status = SETTLING
    elements = [for_xero(p.payload(note.xero_id or "")) for _, note, p in refunds]

    def bound(index: int, result: ElementResult) -> None:
        b, note, payment = refunds[index]
        note.xero_status = SETTLED
        _bind_refund_payment(store_id, note.woo_id, str(result.element["PaymentID"]))
        audit.record(b.entry, "credit_note", "refund", Outcome.OK,
                     f"paid {payment.amount} back out of {note.xero_number} from account "
                     f"{payment.account}, dated {payment.date}", xero_id=note.xero_id,
                     details={"notes": b.notes, "reference": payment.reference})  # fmt: skip

    _write(client, resources.PAYMENTS, "PUT", elements, [b for b, _, _ in refunds],
           [note for _, note, _ in refunds], bound, settling=True)  # fmt: skip


def _allocate(
    client: XeroClient, b: OrderBooks, note: Binding, refund: Mapping[str, Any], context: Context
) -> None:
    if b.invoice.xero_status != DocumentStatus.AUTHORISED:
        return  # a draft invoice takes no allocation; the bookkeeper approves both
    amount = _decimal(refund.get("amount"))
    timezone = context.reference.timezone
    day = max(local_date(refund.get("date_created_gmt"), timezone),
              local_date(b.order.get("date_created_gmt"), timezone))  # fmt: skip
    day, _ = _open_day(b, day, "", context, "allocated")
    element = {"Invoice": {"InvoiceID": b.invoice.xero_id}, "Amount": amount,
               "Date": day.isoformat()}  # fmt: skip
    note.xero_status = SETTLING

    def bound(_index: int, _result: ElementResult) -> None:
        note.xero_status = SETTLED
        audit.record(b.entry, "credit_note", "allocate", Outcome.OK,
                     f"allocated {amount} of {note.xero_number} to {b.invoice.xero_number}",
                     xero_id=note.xero_id, details={"notes": b.notes})  # fmt: skip

    _write(client, resources.ALLOCATIONS, "PUT", [element], [b], [note], bound, settling=True,
           path=f"CreditNotes/{note.xero_id}/Allocations")  # fmt: skip


# -- one batch, exactly once --------------------------------------------------------------


def _write(
    client: XeroClient,
    resource: resources.Resource,
    method: str,
    elements: list[dict[str, Any]],
    owners: list[OrderBooks],
    marks: list[Binding],
    bound: Callable[[int, ElementResult], None],
    *,
    settling: bool = False,
    params: Mapping[str, Any] | None = None,
    path: str | None = None,
) -> None:
    """Send `elements` (each marked by `marks`, committed first) and bind what Xero made.
    A refused element's mark is cleared and its order failed with Xero's words; a lost
    answer keeps the marks and raises, for the next flush to reconcile."""
    if not elements:
        return
    db.session.commit()
    salt = ",".join(
        f"{o.entry.id}:{o.version}:{m.woo_id}" for o, m in zip(owners, marks, strict=True)
    )
    offset = 0
    try:
        for results in write_batches(client, resource, elements, method=method, path=path,
                                     params=params, idempotency_salt=salt):  # fmt: skip
            for result in results:
                if result.ok:
                    bound(result.index, result)
                else:
                    _refused(owners[result.index], marks[result.index], result.errors, settling)
            offset += len(results)
            db.session.commit()
    except ConnectorError as error:
        db.session.rollback()
        uncertain = isinstance(error, TransientError) and error.uncertain
        for index in range(offset, len(elements)):
            if not uncertain:
                _clear(marks[index], settling)
        if isinstance(error, ValidationError):
            for index in range(offset, len(elements)):
                owners[index].hold("; ".join(error.messages or [error.message]),
                                   OutboxStatus.FAILED)  # fmt: skip
            db.session.commit()
            return
        db.session.commit()
        raise


def _refused(b: OrderBooks, mark: Binding, errors: Iterable[str], settling: bool) -> None:
    what = mark.xero_number or "the write"  # read before the mark is gone
    _clear(mark, settling)
    words = "; ".join(errors) or "Xero refused it"
    if LOCKED in words and b.entry.attempts < outbox.MAX_ATTEMPTS:
        b.locked_out = True  # dated by lock dates older than Xero's: read them, go again
        return
    b.hold(f"Xero refused {what}: {words}", OutboxStatus.FAILED)


def _lock_dates_moved(client: XeroClient, store_id: int, books: list[OrderBooks]) -> None:
    """Someone moved a lock date since the organisation was read: read it again (one call);
    the orders stay on their books, to be dated the first open day by the next round."""
    xero_reference.refresh_organisation(store_id, client)
    for b in books:
        b.entry.attempts += 1
        audit.record(b.entry, "order", "books", Outcome.WARNING,
                     "Xero's lock dates changed since they were read: read again, and the "
                     "payment or credit note is dated the first open day")  # fmt: skip
    db.session.commit()


def _clear(mark: Binding, settling: bool) -> None:
    if settling:
        mark.xero_status = DocumentStatus.AUTHORISED.value
    elif mark in db.session:
        db.session.delete(mark)


# -- bindings -----------------------------------------------------------------------------


def _mark(store_id: int, kind: BindingKind, woo_id: str, number: str) -> Binding:
    mark = Binding(store_id=store_id, kind=kind, woo_id=woo_id, xero_id=None,
                   xero_number=number[:255], xero_status=SENDING)  # fmt: skip
    db.session.add(mark)
    return mark


def _credit_notes(store_id: int, b: OrderBooks) -> list[Binding]:
    ids = [_rid(r) for r in b.refunds()]
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Binding).where(Binding.store_id == store_id,
                                 Binding.kind == BindingKind.CREDIT_NOTE,
                                 Binding.woo_id.in_(ids), Binding.xero_id.is_not(None))
        .order_by(Binding.woo_id)
    ))  # fmt: skip


def _bind_refund_payment(store_id: int, refund_id: str, payment_id: str) -> None:
    woo_id = f"refund:{refund_id}"
    binding = binding_for(store_id, BindingKind.PAYMENT, woo_id)
    if binding is None:
        binding = Binding(store_id=store_id, kind=BindingKind.PAYMENT, woo_id=woo_id)
        db.session.add(binding)
    binding.xero_id, binding.xero_status = payment_id, "AUTHORISED"


def _rid(refund: Mapping[str, Any]) -> str:
    return str(refund.get("id"))


def _refund_id(refund: Mapping[str, Any]) -> int:
    try:
        return int(refund.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
