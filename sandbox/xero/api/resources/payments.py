"""Payments on AUTHORISED invoices, cash refunds out of AUTHORISED credit notes, their
deletion, and a payment a bookkeeper reconciles in Xero.

From Xero: ``Amount`` "Must be less than or equal to the outstanding amount" (spec), refused
with "Payment amount exceeds the amount outstanding on this document" (spec example of PUT
/Payments, no full stop); a payment needs an AUTHORISED document, else "Payments can only be
made against Authorised documents", which Xero reports together with the "exceeds" message
(support articles of Workato, Actionstep and Clio quote the pair for DRAFT and PAID
documents); the account must be a BANK account or have ``EnablePaymentsToAccount`` (notes S1),
else "Account type is invalid for making a payment to/from." (Neto/Maropost "Xero Common
Errors"); deleting (``Status: DELETED``) restores the amount due and moves a PAID document
back to AUTHORISED, and a payment takes no other change: "Only Status accepted for updates."
(xero-node#115, for a body that carried the whole payment). A refund is a payment of a credit
note (``PaymentType`` ARCREDITPAYMENT) and is returned under ``Invoice``, its ``InvoiceID``
holding the CreditNoteID and its ``Type`` ACCRECCREDIT (spec example of GET /Payments; a
public integration's test of "measured Xero behaviour"). ``Amount`` is in the document's
currency, ``BankAmount`` in the bank account's, ``CurrencyRate`` "Only used for non base
currency invoices and credit notes" (spec); a foreign document is paid from an account in its
own currency or in the base currency (ApprovalMax: "Bills created in a non-home currency can
only be paid in the Bill currency or in-home currency"); a base document may be paid from a
foreign currency account (help.xero.com, "Reconcile a foreign currency payment with a base
currency invoice or bill"). ``IsReconciled`` "whether you would like the payment to be created as
reconciled when using PUT" (spec); the API cannot reconcile a bank line (Xero staff in
xero-mcp-server#70), a person does it in Xero.

Assumed texts: the missing-account, missing-document, amount, currency-of-account and
deleted-payment messages below. ``Date`` defaults to today; a payment without ``CurrencyRate``
gets the organisation's rate for the foreign currency, else the document's own rate.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from ...formats import iso_utc_seconds, round2, to_decimal
from ...store import Row
from .. import references
from ..context import Context, ElementErrors, text
from . import currencies, documents, locks

COLLECTION = "Payments"
SCHEMA = "Payment"
ID_FIELD = "PaymentID"
_PAYMENT_TYPES = {
    "ACCREC": "ACCRECPAYMENT",
    "ACCPAY": "ACCPAYPAYMENT",
    "ACCRECCREDIT": "ARCREDITPAYMENT",
    "ACCPAYCREDIT": "APCREDITPAYMENT",
}
_UPDATABLE = {"Status", "PaymentID"}


def _document(ctx: Context, raw: dict[str, Any], errors: list[str]) -> tuple[Any, Row | None]:
    invoice = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    note = raw.get("CreditNote") if isinstance(raw.get("CreditNote"), dict) else {}
    candidates = [
        (documents.INVOICE, text(invoice.get("InvoiceID"))),
        (documents.INVOICE, text(invoice.get("InvoiceNumber")) or text(raw.get("InvoiceNumber"))),
        (documents.CREDIT_NOTE, text(note.get("CreditNoteID"))),
        (
            documents.CREDIT_NOTE,
            text(note.get("CreditNoteNumber")) or text(raw.get("CreditNoteNumber")),
        ),
    ]
    for kind, key in candidates:
        if key:
            row = documents.find(ctx, kind, key)
            if row is None:
                errors.append(f"{kind.label} '{key}' could not be found.")
            return kind, row
    errors.append("A payment must specify an Invoice or a CreditNote.")
    return None, None


def _account(ctx: Context, raw: Any, errors: list[str]) -> Row | None:
    raw = raw if isinstance(raw, dict) else {}
    code, account_id = text(raw.get("Code")), text(raw.get("AccountID"))
    if not code and not account_id:
        errors.append("An Account (Code or AccountID) must be specified for a payment.")
        return None
    account = (
        references.account_by_code(ctx.tenant, code)
        if code
        else references.account_by_id(ctx.tenant, account_id)
    )
    if account is None or account["Status"] != "ACTIVE":
        errors.append(f"Account '{code or account_id}' could not be found or is not active.")
        return None
    if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append("Account type is invalid for making a payment to/from.")
        return None
    return account


def _exchange(
    ctx: Context, document: Row, account: Row, raw: dict[str, Any], errors: list[str]
) -> tuple[Decimal, str]:
    """The payment's ``CurrencyRate`` and its bank account's currency."""
    base = ctx.tenant.spec.base_currency
    ours, theirs = document["CurrencyCode"], account.get("CurrencyCode") or base
    if ours != base and theirs not in {ours, base}:
        errors.append(
            f"A payment of a {ours} document must be made from a {ours} or {base} account."
        )
    foreign = ours if ours != base else theirs
    if foreign == base:
        return currencies.ONE, theirs
    if raw.get("CurrencyRate") is not None:
        return currencies.parse_rate(raw["CurrencyRate"], errors) or currencies.ONE, theirs
    fallback = document["CurrencyRate"] if ours != base else currencies.ONE
    return currencies.configured(ctx.tenant, foreign) or fallback, theirs


def _bank_amount(ctx: Context, document: Row, amount: Decimal, rate: Decimal, bank: str) -> Decimal:
    """``Amount`` (the document's currency) in the bank account's currency."""
    if bank == document["CurrencyCode"]:
        return amount
    if bank == ctx.tenant.spec.base_currency:
        return currencies.to_base(amount, rate)
    return currencies.from_base(amount, rate)


def create(ctx: Context, raw: dict[str, Any]) -> Row:
    """Apply a payment (or a refund) to its document."""
    errors: list[str] = []
    kind, document = _document(ctx, raw, errors)
    account = _account(ctx, raw.get("Account"), errors)
    amount = to_decimal(raw.get("Amount"))
    if amount is None or amount <= 0:
        errors.append("Payment Amount must be greater than zero.")
    when = ctx.date_or_today(raw.get("Date"), errors)
    rate, bank = currencies.ONE, ""
    if document is not None and kind is not None:
        outstanding = document.get("AmountDue", document.get("RemainingCredit", Decimal(0)))
        if document["Status"] != "AUTHORISED":
            errors.append("Payments can only be made against Authorised documents")
            outstanding = Decimal(0)
        if amount is not None and amount > 0 and round2(amount) > outstanding:
            errors.append("Payment amount exceeds the amount outstanding on this document")
        if account is not None:
            rate, bank = _exchange(ctx, document, account, raw, errors)
    if when is not None:
        locks.check_date(ctx.tenant, when, errors)
    if errors:
        raise ElementErrors(errors)
    assert document is not None and kind is not None and account is not None
    assert amount is not None and when is not None
    amount = round2(amount)
    row: Row = {
        "PaymentID": str(uuid.uuid4()),
        "Date": when,
        "Amount": amount,
        "BankAmount": _bank_amount(ctx, document, amount, rate, bank),
        "CurrencyRate": rate,
        "Reference": text(raw.get("Reference")),
        "IsReconciled": raw.get("IsReconciled") is True,
        "Status": "AUTHORISED",
        "PaymentType": _PAYMENT_TYPES[document["Type"]],
        "AccountID": account["AccountID"],
        "DocumentCollection": kind.collection,
        "DocumentID": document[kind.id_field],
        "UpdatedDateUTC": ctx.now,
    }
    ctx.rows(COLLECTION)[row["PaymentID"]] = row
    document["PaymentIDs"].append(row["PaymentID"])
    document["AmountPaid"] += amount
    documents.touch(ctx, kind, document)
    return row


def reconcile(ctx: Context, invoice: Row, raw: dict[str, Any]) -> Row:
    """A payment a person records in Xero and reconciles with a bank line: the invoice's whole
    amount due unless ``Amount`` says otherwise, under the same rules as the API's."""
    given = {k: v for k, v in raw.items() if k not in {"Invoice", "CreditNote", "IsReconciled"}}
    return create(
        ctx,
        {
            "Amount": invoice["AmountDue"],
            **given,
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "IsReconciled": True,
        },
    )


def delete(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """``POST /Payments/{id}`` with ``Status: DELETED``: reverse the payment."""
    if set(raw) - _UPDATABLE:
        raise ElementErrors(["Only Status accepted for updates."])
    if text(raw.get("Status")).upper() != "DELETED":
        raise ElementErrors(["A payment can only be updated to a Status of DELETED."])
    if row["Status"] == "DELETED":
        raise ElementErrors(["This payment has already been deleted."])
    locked: list[str] = []
    locks.check_edit(ctx.tenant, row["Date"], locked)
    if locked:
        raise ElementErrors(locked)
    kind = documents.KINDS[row["DocumentCollection"]]
    document = ctx.rows(kind.collection)[row["DocumentID"]]
    row["Status"] = "DELETED"
    row["UpdatedDateUTC"] = ctx.now
    document["AmountPaid"] -= row["Amount"]
    documents.touch(ctx, kind, document)
    return row


def render(ctx: Context, row: Row) -> Row:
    """A payment as Xero returns it: the document it pays always under ``Invoice``."""
    kind = documents.KINDS[row["DocumentCollection"]]
    document = ctx.rows(kind.collection)[row["DocumentID"]]
    account = references.account_by_id(ctx.tenant, row["AccountID"]) or {}
    contact = ctx.rows("Contacts").get(document["ContactID"], {})
    return {
        "PaymentID": row["PaymentID"],
        "Date": row["Date"],
        "BankAmount": row["BankAmount"],
        "Amount": row["Amount"],
        "Reference": row["Reference"],
        "CurrencyRate": row["CurrencyRate"],
        "PaymentType": row["PaymentType"],
        "Status": row["Status"],
        "UpdatedDateUTC": row["UpdatedDateUTC"],
        "UpdatedDateUTCString": iso_utc_seconds(row["UpdatedDateUTC"]),
        "HasAccount": True,
        "IsReconciled": row["IsReconciled"],
        "Account": {
            "AccountID": row["AccountID"],
            "Code": account.get("Code", ""),
            "Name": account.get("Name", ""),
        },
        "Invoice": {
            "Type": document["Type"],
            "InvoiceID": document[kind.id_field],
            "InvoiceNumber": document.get(kind.number_field) or "",
            "Contact": {"ContactID": document["ContactID"], "Name": contact.get("Name", "")},
            "CurrencyCode": document["CurrencyCode"],
            "LineItems": [],
        },
        "HasValidationErrors": False,
    }
