"""Credit-note allocations (``PUT /CreditNotes/{id}/Allocations``, ``DELETE …/{AllocationID}``).

From Xero: both documents AUTHORISED, matching side (ACCRECCREDIT to ACCREC, ACCPAYCREDIT to
ACCPAY), the amount within both the remaining credit and the amount due, the allocation dated
(spec: ``Amount``, ``Invoice`` and ``Date`` are required; notes S1 §7.9). Messages Xero gave
for an ACCPAYCREDIT allocated to a paid ACCREC invoice (xeroizer#320): "The invoice you are
trying to allocate to has already been paid off", "Credit Note cannot be allocated as amount is
greater than amount outstanding" (the pair again in bill.com's help; the second alone when the
credit left is too small, calcinai/xero-php#251) and "Credit Note cannot be allocated to an
incorrect invoice t…" (cut off in the report; "type" completes it). An allocation dated on or
before a lock date is refused (``locks``).

Assumed (no public source found): the texts for a missing invoice, a non-positive amount, a
credit note or invoice not AUTHORISED (other than paid off), another contact and another
currency.
"""

from __future__ import annotations

import uuid
from typing import Any

from ...formats import round2, to_decimal
from ...store import Row
from ..context import Context, ElementErrors, text
from . import documents, locks

_INVOICE_TYPE_FOR = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def _invoice_errors(note: Row, invoice: Row, errors: list[str]) -> None:
    if invoice["Status"] == "PAID":
        errors.append("The invoice you are trying to allocate to has already been paid off")
    elif invoice["Status"] != "AUTHORISED":
        errors.append("Credit notes can only be allocated to AUTHORISED invoices.")
    if invoice["ContactID"] != note["ContactID"]:
        errors.append("The credit note and the invoice must belong to the same contact.")
    if invoice["Type"] != _INVOICE_TYPE_FOR[note["Type"]]:
        errors.append("Credit Note cannot be allocated to an incorrect invoice type")
    if invoice["CurrencyCode"] != note["CurrencyCode"]:
        errors.append("The credit note and the invoice must be in the same currency.")


def allocate(ctx: Context, note: Row, raw: dict[str, Any]) -> Row:
    """Allocate part of an AUTHORISED credit note to an AUTHORISED invoice."""
    errors: list[str] = []
    target = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    key = text(target.get("InvoiceID")) or text(target.get("InvoiceNumber"))
    invoice = documents.find(ctx, documents.INVOICE, key) if key else None
    if invoice is None:
        errors.append("The Invoice to allocate to could not be found.")
    amount = to_decimal(raw.get("Amount"))
    if amount is None or amount <= 0:
        errors.append("The allocation Amount must be greater than zero.")
    when = ctx.date_or_today(raw.get("Date"), errors)
    if note["Status"] != "AUTHORISED":
        errors.append("Only AUTHORISED credit notes can be allocated.")
    if invoice is not None:
        _invoice_errors(note, invoice, errors)
    outstanding = note["RemainingCredit"]
    if invoice is not None:
        outstanding = min(outstanding, invoice["AmountDue"])
    if amount is not None and amount > 0 and round2(amount) > outstanding:
        errors.append(
            "Credit Note cannot be allocated as amount is greater than amount outstanding"
        )
    if when is not None:
        locks.check_date(ctx.tenant, when, errors)
    if errors:
        raise ElementErrors(errors)
    assert invoice is not None and amount is not None and when is not None
    amount = round2(amount)
    allocation: Row = {
        "AllocationID": str(uuid.uuid4()),
        "InvoiceID": invoice["InvoiceID"],
        "Amount": amount,
        "Date": when,
        "IsDeleted": False,
    }
    note["Allocations"].append(allocation)
    note["AmountCredited"] += amount
    invoice["AmountCredited"] += amount
    documents.touch(ctx, documents.CREDIT_NOTE, note)
    documents.touch(ctx, documents.INVOICE, invoice)
    return allocation


def remove(ctx: Context, note: Row, allocation_id: str) -> Row | None:
    """Delete an allocation, restoring the credit and the amount due; None if unknown."""
    allocation = next(
        (
            a
            for a in note["Allocations"]
            if a["AllocationID"] == allocation_id and not a["IsDeleted"]
        ),
        None,
    )
    if allocation is None:
        return None
    locked: list[str] = []
    locks.check_edit(ctx.tenant, allocation["Date"], locked)
    if locked:
        raise ElementErrors(locked)
    invoice = ctx.rows("Invoices")[allocation["InvoiceID"]]
    allocation["IsDeleted"] = True
    note["AmountCredited"] -= allocation["Amount"]
    invoice["AmountCredited"] -= allocation["Amount"]
    documents.touch(ctx, documents.CREDIT_NOTE, note)
    documents.touch(ctx, documents.INVOICE, invoice)
    return allocation


def render(ctx: Context, note: Row, allocation: Row) -> Row:
    """An allocation as returned by the allocation endpoints."""
    invoice = ctx.rows("Invoices")[allocation["InvoiceID"]]
    return {
        "AllocationID": allocation["AllocationID"],
        "Amount": allocation["Amount"],
        "Date": allocation["Date"],
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber") or "",
            "LineItems": [],
        },
        "CreditNote": {
            "CreditNoteID": note["CreditNoteID"],
            "CreditNoteNumber": note.get("CreditNoteNumber") or "",
            "LineItems": [],
        },
        "IsDeleted": allocation["IsDeleted"],
    }
