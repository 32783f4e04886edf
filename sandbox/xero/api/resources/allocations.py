"""Credit-note allocations (``PUT /CreditNotes/{id}/Allocations``, ``DELETE …/{AllocationID}``).

Rules (notes S1 §7.9 and the spec): both documents AUTHORISED, same contact, matching side
(ACCRECCREDIT to ACCREC, ACCPAYCREDIT to ACCPAY), the amount positive and within both the
remaining credit and the amount due. The messages are assumed (no public source found).
"""

from __future__ import annotations

import uuid
from typing import Any

from ...formats import round2, to_decimal
from ...store import Row
from ..context import Context, ElementErrors, text
from . import documents

_INVOICE_TYPE_FOR = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


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
        if invoice["Status"] != "AUTHORISED":
            errors.append("Credit notes can only be allocated to AUTHORISED invoices.")
        if invoice["ContactID"] != note["ContactID"]:
            errors.append("The credit note and the invoice must belong to the same contact.")
        if invoice["Type"] != _INVOICE_TYPE_FOR[note["Type"]]:
            errors.append(
                f"A {note['Type']} credit note cannot be allocated to a {invoice['Type']}."
            )
        if invoice["CurrencyCode"] != note["CurrencyCode"]:
            errors.append("The credit note and the invoice must be in the same currency.")
        if amount is not None and round2(amount) > invoice["AmountDue"]:
            errors.append("The allocation Amount is more than the amount due on the invoice.")
    if amount is not None and round2(amount) > note["RemainingCredit"]:
        errors.append("The allocation Amount is more than the remaining credit.")
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
    for kind, document in ((documents.CREDIT_NOTE, note), (documents.INVOICE, invoice)):
        document["UpdatedDateUTC"] = ctx.now
        documents.settle(kind, document, when)
        documents.publish(ctx, kind, document, "UPDATE")
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
    invoice = ctx.rows("Invoices")[allocation["InvoiceID"]]
    allocation["IsDeleted"] = True
    note["AmountCredited"] -= allocation["Amount"]
    invoice["AmountCredited"] -= allocation["Amount"]
    for kind, document in ((documents.CREDIT_NOTE, note), (documents.INVOICE, invoice)):
        document["UpdatedDateUTC"] = ctx.now
        documents.settle(kind, document, allocation["Date"])
        documents.publish(ctx, kind, document, "UPDATE")
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
