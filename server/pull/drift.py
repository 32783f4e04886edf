"""Drift: where Xero's books for an order no longer say what the store says — a total edited
in Xero, an invoice voided or paid by hand, a payment deleted, a credit note missing or
left unsettled. Pure: what the store implies (`StoreSide`) against what Xero holds
(`XeroInvoice`, `XeroCreditNote`), each difference a `Drift` with the fix in a
bookkeeper's words. Reading Xero and keeping the report is `server.pull.drift_check`'s.

What the store implies is what `server.push.books` books: the invoice's total is the
order's; a paid order's invoice is paid in full (unless payments are off); each refund is
a credit note of its amount, paid back out for a paid order, allocated to the invoice of
an unpaid one (an approved one: a draft takes no allocation); a cancelled or failed order's
invoice is voided or deleted (unless `documents.cancelled` keeps it, or it was paid).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from server.mapping.arithmetic import ZERO
from server.mapping.lines import to_int
from server.mapping.orders import document_number
from server.mapping.refunds import refund_position

GONE = frozenset({"VOIDED", "DELETED"})
DRAFTS = frozenset({"DRAFT", "SUBMITTED"})
CANCELLED_ORDERS = frozenset({"cancelled", "failed"})


class DriftKind(enum.StrEnum):
    MISSING = "missing_in_xero"  # the bound invoice is not in the organisation at all
    TOTAL = "total"
    STATUS = "status"
    PAYMENTS = "payments"
    CREDIT_NOTES = "credit_notes"


@dataclass(frozen=True)
class Drift:
    """One difference. `replay`: replaying the order fixes it (the check makes the order
    replayable); otherwise `fix` says what a person does in Xero or the store."""

    order_id: str
    number: str  # the Xero document concerned (invoice or credit note)
    kind: DriftKind
    store: str  # the store's value, as shown to people
    xero: str  # Xero's value
    fix: str
    replay: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "number": self.number, "kind": self.kind.value,
            "store": self.store, "xero": self.xero, "fix": self.fix, "replay": self.replay,
        }  # fmt: skip


@dataclass(frozen=True)
class Refund:
    """A WooCommerce refund and the credit note it should be (bound: its Xero id)."""

    refund_id: str
    amount: Decimal
    number: str
    credit_note_id: str | None


@dataclass(frozen=True)
class StoreSide:
    """What the store says Xero should hold for one order's invoice."""

    order_id: str
    order_number: str
    number: str  # the invoice's number
    status: str  # the order's status
    total: Decimal
    paid: bool
    refunds: tuple[Refund, ...]
    payments: bool  # wooxero books payments (`payments.enabled`)
    credit_notes: bool  # wooxero books refunds (`refunds.enabled`)
    void_when_cancelled: bool  # `documents.cancelled` is `delete_or_void`

    @property
    def credited(self) -> Decimal:
        return sum((r.amount for r in self.refunds), ZERO)


@dataclass(frozen=True)
class XeroInvoice:
    status: str
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    amount_due: Decimal

    @classmethod
    def from_xero(cls, data: Mapping[str, Any]) -> XeroInvoice:
        return cls(
            str(data.get("Status") or ""), money(data.get("Total")), money(data.get("AmountPaid")),
            money(data.get("AmountCredited")), money(data.get("AmountDue")),
        )  # fmt: skip


@dataclass(frozen=True)
class XeroCreditNote:
    status: str
    total: Decimal
    remaining: Decimal

    @classmethod
    def from_xero(cls, data: Mapping[str, Any]) -> XeroCreditNote:
        status = str(data.get("Status") or "")
        return cls(status, money(data.get("Total")), money(data.get("RemainingCredit")))


def money(value: Any) -> Decimal:
    """Xero's amount to the cent (0 when absent or not a number)."""
    try:
        return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return ZERO


def store_side(
    order: Mapping[str, Any],
    refunds: Sequence[Mapping[str, Any]],
    invoice_number: str,
    bound_credit_notes: Mapping[str, tuple[str, str]],
    *,
    credit_note_template: str,
    payments: bool,
    credit_notes: bool,
    void_when_cancelled: bool,
) -> StoreSide:
    """The store's side of an order as last read: `refunds` in full, `bound_credit_notes`
    refund id → (CreditNoteID, number) for those wooxero made."""
    expected = []
    for refund in refunds:
        refund_id = str(refund.get("id"))
        xero_id, number = bound_credit_notes.get(refund_id, (None, ""))
        if not number:
            position = refund_position(order, to_int(refund.get("id")))
            number = document_number(order, credit_note_template).replace("{n}", str(position))
        expected.append(Refund(refund_id, money(refund.get("amount")), number, xero_id))
    return StoreSide(
        order_id=str(order.get("id")),
        order_number=str(order.get("number") or order.get("id")),
        number=invoice_number,
        status=str(order.get("status") or ""),
        total=money(order.get("total")),
        paid=bool(order.get("date_paid_gmt")),
        refunds=tuple(sorted(expected, key=lambda r: to_int(r.refund_id))),
        payments=payments,
        credit_notes=credit_notes,
        void_when_cancelled=void_when_cancelled,
    )


def compare(
    store: StoreSide, invoice: XeroInvoice | None, notes: Mapping[str, XeroCreditNote]
) -> list[Drift]:
    """Every difference between the store's side and Xero's; `notes` by CreditNoteID (a
    bound credit note absent from it is not in Xero)."""
    if invoice is None:
        return [_drift(store, DriftKind.MISSING, "an invoice", "nothing",
                       f"{store.number} is not in the Xero organisation: was it connected to "
                       "another one? Ask the operator before replaying anything")]  # fmt: skip
    if store.status in CANCELLED_ORDERS and store.void_when_cancelled and not store.paid:
        if invoice.status in GONE:
            return []
        return [_drift(store, DriftKind.STATUS, "VOIDED or DELETED", invoice.status,
                       f"order {store.order_number} was {store.status} but {store.number} is "
                       f"{invoice.status} in Xero: remove its payments and void it in Xero, or "
                       "restore the order in WooCommerce")]  # fmt: skip
    if invoice.status in GONE:
        return [_drift(store, DriftKind.STATUS, store.status, invoice.status,
                       f"{store.number} is {invoice.status} in Xero but order "
                       f"{store.order_number} is {store.status}: cancel or refund the order in "
                       "WooCommerce, or copy the invoice in Xero if it was a mistake")]  # fmt: skip
    drifts = _total(store, invoice)
    if store.payments:
        drifts += _payments(store, invoice)
    if store.credit_notes:
        drifts += _credit_notes(store, invoice, notes)
    if not drifts and store.payments and store.credit_notes:
        drifts += _amount_due(store, invoice)
    return drifts


def _total(store: StoreSide, invoice: XeroInvoice) -> list[Drift]:
    if invoice.total == store.total:
        return []
    editable = invoice.status in DRAFTS or (
        invoice.status == "AUTHORISED" and invoice.amount_paid == invoice.amount_credited == ZERO
    )
    where = f"{store.number}'s total is {invoice.total} in Xero but {store.total} in the store"
    if editable:
        fix = f"{where}: replay the order, which sends the store's version again"
    else:
        fix = (f"{where}, and Xero can no longer edit it ({invoice.status}, with payments or "
               "credit): credit or invoice the difference in Xero")  # fmt: skip
    return [_drift(store, DriftKind.TOTAL, str(store.total), str(invoice.total), fix, editable)]


def _payments(store: StoreSide, invoice: XeroInvoice) -> list[Drift]:
    paid, number, order = invoice.amount_paid, store.number, store.order_number
    if not store.paid:
        if paid == ZERO:
            return []
        return [_drift(store, DriftKind.PAYMENTS, "0.00 paid", f"{paid} paid",
                       f"Xero shows {paid} paid on {number} but order {order} is not paid in "
                       "the store: if the money came in, mark the order paid in WooCommerce; "
                       "otherwise delete the payment in Xero")]  # fmt: skip
    if invoice.status in DRAFTS:
        return [_drift(store, DriftKind.STATUS, "AUTHORISED, paid", invoice.status,
                       f"{number} is a draft in Xero but order {order} was paid: approve it in "
                       "Xero, then replay the order", replay=True)]  # fmt: skip
    if paid < store.total:
        owing = store.total - paid
        return [_drift(store, DriftKind.PAYMENTS, f"{store.total} paid", f"{paid} paid",
                       f"Xero shows {owing} owing on {number} but order {order} was paid: "
                       "replay the order", replay=True)]  # fmt: skip
    if paid > store.total:
        return [_drift(store, DriftKind.PAYMENTS, f"{store.total} paid", f"{paid} paid",
                       f"Xero shows {paid} paid on {number}, more than order {order}'s "
                       f"{store.total}: delete the extra payment in Xero")]  # fmt: skip
    return []


def _credit_notes(
    store: StoreSide, invoice: XeroInvoice, notes: Mapping[str, XeroCreditNote]
) -> list[Drift]:
    drifts = []
    settles = store.paid or invoice.status not in DRAFTS  # a draft takes no allocation
    for refund in store.refunds:
        note = notes.get(refund.credit_note_id) if refund.credit_note_id else None
        what = f"refund {refund.refund_id} of {refund.amount}"
        if refund.credit_note_id is None:
            drifts.append(_drift(store, DriftKind.CREDIT_NOTES, what, "no credit note",
                                 f"credit note {refund.number} for {what} is missing: replay "
                                 "the order", replay=True, number=refund.number))  # fmt: skip
        elif note is None or note.status in GONE:
            state = "not in Xero" if note is None else note.status
            drifts.append(_drift(store, DriftKind.CREDIT_NOTES, what, state,
                                 f"credit note {refund.number} for {what} is {state.lower()} "
                                 f"in Xero: credit the refund in Xero by hand, or restore the "
                                 "credit note", number=refund.number))  # fmt: skip
        elif note.total != refund.amount:
            drifts.append(_drift(store, DriftKind.CREDIT_NOTES, str(refund.amount),
                                 str(note.total),
                                 f"credit note {refund.number} is {note.total} in Xero but "
                                 f"{what}: correct it in Xero", number=refund.number))  # fmt: skip
        elif settles and note.remaining != ZERO and note.status not in DRAFTS:
            how = "paid back out" if store.paid else f"allocated to {store.number}"
            drifts.append(_drift(store, DriftKind.CREDIT_NOTES, f"{how}",
                                 f"{note.remaining} credit left",
                                 f"credit note {refund.number} has {note.remaining} credit "
                                 f"left in Xero but should be {how}: replay the order",
                                 replay=True, number=refund.number))  # fmt: skip
    return drifts


def _amount_due(store: StoreSide, invoice: XeroInvoice) -> list[Drift]:
    """Whatever else leaves the amount owing wrong (an allocation to another invoice, a
    credit note of someone else's allocated here)."""
    paid = store.total if store.paid else ZERO
    credited = ZERO if store.paid or invoice.status in DRAFTS else store.credited
    due = store.total - paid - credited
    if invoice.amount_due == due:
        return []
    return [_drift(store, DriftKind.PAYMENTS, f"{due} owing", f"{invoice.amount_due} owing",
                   f"Xero shows {invoice.amount_due} owing on {store.number} but the store "
                   f"{due}: look at its payments and credit notes in Xero")]  # fmt: skip


def _drift(
    store: StoreSide,
    kind: DriftKind,
    ours: str,
    theirs: str,
    fix: str,
    replay: bool = False,
    *,
    number: str = "",
) -> Drift:
    return Drift(store.order_id, number or store.number, kind, ours, theirs, fix, replay)
