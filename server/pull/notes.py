"""What Xero's changes tell the store: an order note for each payment received in Xero on an
invoice wooxero made, and for an invoice paid, voided or deleted there; an invoice paid in
Xero may also move its order to a chosen status (`from_xero.paid_status`).

Only what people did in Xero becomes a note: the payments wooxero wrote itself are bound, and
the statuses it set are on the bindings already, so they never come back as new work. A note
is owed once: the pull records it in the audit trail (`held`, keyed by the Xero record it is
about) with the statuses it learnt, then posts what is owed, marking each done; a store out
of reach gets its notes on a later pull (an answer lost after WooCommerce stored a note may
still leave two).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from server.connectors.woocommerce.client import WooClient
from server.connectors.xero.resources import DocumentStatus
from server.extensions import db
from server.mapping.dates import xero_date
from server.models import Binding, BindingKind, Direction, Outcome, SyncRecord
from server.models.types import utcnow
from server.stores.settings.schema import FromXero

NOTE = "note"  # the audit action of a note posted to the store


class Change(enum.StrEnum):
    """What happened in Xero that the store is told of."""

    PAYMENT = "payment"  # a payment received on the invoice
    PAID = "paid"  # the invoice has nothing left to pay
    VOIDED = "voided"
    DELETED = "deleted"


@dataclass(frozen=True)
class OrderNote:
    woo_order_id: str
    xero_id: str  # the payment or invoice it is about: one note per record and change
    change: Change
    text: str


def for_statuses(changed: Iterable[tuple[Binding, str]]) -> list[OrderNote]:
    """Notes for invoices whose status people changed in Xero: `(binding, status before)`
    of each binding the pull moved. Paid by wooxero's own payment: no note."""
    notes = []
    for binding, _before in changed:
        status = binding.xero_status
        if status == DocumentStatus.PAID and not _paid_by_wooxero(binding):
            change, text = Change.PAID, f"Xero: invoice {binding.xero_number} is paid in full."
        elif status in (DocumentStatus.VOIDED, DocumentStatus.DELETED):
            change = Change.VOIDED if status == DocumentStatus.VOIDED else Change.DELETED
            text = f"Xero: invoice {binding.xero_number} was {change.value} in Xero."
        else:
            continue
        notes.append(OrderNote(binding.woo_id, str(binding.xero_id), change, text))
    return notes


def for_payments(store_id: int, payments: Iterable[Mapping[str, Any]]) -> list[OrderNote]:
    """Notes for payments people entered in Xero on invoices wooxero made (its own payments
    are bound; refunds out of credit notes and deleted payments are not told)."""
    rows = [p for p in payments
            if p.get("PaymentType", "ACCRECPAYMENT") == "ACCRECPAYMENT"
            and p.get("Status", "AUTHORISED") == "AUTHORISED"]  # fmt: skip
    invoice_ids = {str((p.get("Invoice") or {}).get("InvoiceID") or "") for p in rows}
    invoices = _bindings(store_id, BindingKind.INVOICE, invoice_ids)
    ours = _bindings(store_id, BindingKind.PAYMENT, {str(p.get("PaymentID")) for p in rows})
    notes = []
    for payment in rows:
        payment_id = str(payment.get("PaymentID") or "")
        invoice = invoices.get(str((payment.get("Invoice") or {}).get("InvoiceID") or ""))
        if invoice is None or not payment_id or payment_id in ours:
            continue
        day = xero_date(payment.get("Date"))
        reference = str(payment.get("Reference") or "").strip()
        text = (
            f"Xero: payment of {_amount(payment.get('Amount'))} received on invoice "
            f"{invoice.xero_number}" + (f" on {day.isoformat()}" if day else "")
            + (f" ({reference})" if reference else "") + "."
        )  # fmt: skip
        notes.append(OrderNote(invoice.woo_id, payment_id, Change.PAYMENT, text))
    return notes


def owe(store_id: int, notes: Iterable[OrderNote]) -> int:
    """Record the notes the store is owed (not committed), leaving out those recorded
    before; answers how many are new. Kept in the audit trail as `held` until posted."""
    new = 0
    for note in notes:
        if _recorded(store_id, note):
            continue
        db.session.add(
            SyncRecord(
                store_id=store_id, direction=Direction.PULL, kind="order",
                woo_id=note.woo_order_id, xero_id=note.xero_id, action=NOTE,
                outcome=Outcome.HELD, message=note.text, details={"change": note.change.value},
                finished_at=utcnow(),
            )
        )  # fmt: skip
        new += 1
    return new


def owed(store_id: int) -> list[SyncRecord]:
    """The notes recorded and not yet posted, oldest first."""
    return list(
        db.session.scalars(
            sa.select(SyncRecord)
            .where(
                SyncRecord.store_id == store_id,
                SyncRecord.action == NOTE,
                SyncRecord.outcome == Outcome.HELD,
            )
            .order_by(SyncRecord.id)
        )
    )


def post(store_id: int, client: WooClient, options: FromXero) -> int:
    """Post every note the store is owed, and move an order paid in Xero to
    `options.paid_status`; each committed as it is done. Raises the connector's error (the
    rest wait for the next pull). Answers how many were posted."""
    wanted = [(r.id, r.woo_id, r.message, (r.details or {}).get("change"))
              for r in owed(store_id)]  # fmt: skip
    db.session.commit()  # only read: nothing held while the store answers
    for record_id, woo_order_id, text, change in wanted:
        if options.order_notes:
            client.add_order_note(woo_order_id, text)
        moved = change == Change.PAID and options.paid_status
        if moved:
            client.set_order_status(woo_order_id, options.paid_status)
        record = db.session.get(SyncRecord, record_id)
        assert record is not None
        record.outcome, record.finished_at = Outcome.OK, utcnow()
        if not options.order_notes:
            record.message = f"(no note: switched off) {text}"
        if moved:
            record.message += f" The order was moved to {options.paid_status}."
        db.session.commit()
    return len(wanted)


def _recorded(store_id: int, note: OrderNote) -> bool:
    found = db.session.scalars(
        sa.select(SyncRecord.details).where(
            SyncRecord.store_id == store_id,
            SyncRecord.action == NOTE,
            SyncRecord.woo_id == note.woo_order_id,
            SyncRecord.xero_id == note.xero_id,
        )
    ).all()
    return any((details or {}).get("change") == note.change.value for details in found)


def _paid_by_wooxero(invoice: Binding) -> bool:
    payment = db.session.scalar(
        sa.select(Binding.xero_id).where(
            Binding.store_id == invoice.store_id,
            Binding.kind == BindingKind.PAYMENT,
            Binding.woo_id == invoice.woo_id,
        )
    )
    return payment is not None


def _bindings(store_id: int, kind: BindingKind, xero_ids: set[str]) -> dict[str, Binding]:
    xero_ids.discard("")
    if not xero_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Binding).where(
            Binding.store_id == store_id, Binding.kind == kind, Binding.xero_id.in_(xero_ids)
        )
    )
    return {str(row.xero_id): row for row in rows}


def _amount(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return str(value)
