"""Invoices, credit notes and quotes: one lifecycle with per-kind rules.

From Xero (spec or public reports): unique, auto-numbered ACCREC invoice numbers ("Invoice #
must be unique."); DRAFT/SUBMITTED/AUTHORISED on create; DELETED only from DRAFT/SUBMITTED;
VOIDED only from AUTHORISED without payments or allocations; PAID set by the system when
nothing is due; "Invoice not of valid status for modification" on PAID/VOIDED/DELETED and for
any status change an invoice cannot make (Xero staff in Xero-NetStandard#79: "If it's `Invoice
not of valid status for modification` then you're trying to perform an invalid status change
between two statuses that an invoice cannot move between"); an edit of a paid document gets it
together with "This document cannot be edited as it has a payment or credit note allocated to
it." (Neto/Maropost "Xero Common Errors", getbriefcase.net "Xero Invoice Export Errors",
Actionstep wiki); "The Total for this document must be greater than or equal to zero." for a
negative total (Neto/Maropost "Xero Common Errors", workshopsoftware.com); "The document DueDate
field must be specified." for an AUTHORISED invoice without a due date; "Organisation is not
subscribed to currency X"; an approved document dated on or before a lock date is refused
(``locks``). Line items missing from an update are deleted (notes S1/S2). An
invoice or credit note listed without ``page`` has empty ``LineItems`` and a summary contact
(Xero's documented trimmed list form). ``UpdatedDateUTCString`` is ISO 8601 to the second with
``Z`` (spec examples, e.g. ``2019-11-14T18:10:38Z``).

Assumed (no public source found): the texts of the type, date, line-count and void errors; the
transition text for credit notes and quotes (the invoice one with their label); uniqueness of
ACCRECCREDIT and quote numbers ("Credit Note # must be unique.", "Quote # must be unique.");
numbers of DELETED documents may be reused; the negative-total check applies in every status;
a foreign-currency document without ``CurrencyRate`` gets the organisation's rate (see
``currencies``); quote statuses move DRAFT→SENT→ACCEPTED/DECLINED→INVOICED as in Xero's UI.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ...formats import date_string, iso_utc_seconds, parse_date
from ...store import Row
from .. import lines
from ..context import Context, ElementErrors, same_text, text
from . import contacts, currencies, locks

ZERO = Decimal("0.00")
_HAS_MONEY = "This document cannot be edited as it has a payment or credit note allocated to it."


@dataclass(frozen=True)
class Kind:
    """The rules that differ between invoices, credit notes and quotes."""

    collection: str
    schema: str
    id_field: str
    number_field: str
    label: str
    types: tuple[str, ...]
    unique_types: frozenset[str]
    prefix: str
    create_statuses: frozenset[str]
    amount_types: dict[str, str]
    discount_types: frozenset[str]
    webhook: str | None
    transitions: dict[str, frozenset[str]]
    final_statuses: frozenset[str]
    due_field: str


_LEDGER_TRANSITIONS = {
    "DRAFT": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "SUBMITTED": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "AUTHORISED": frozenset({"AUTHORISED", "VOIDED"}),
}
_LEDGER_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}

INVOICE = Kind(
    "Invoices",
    "Invoice",
    "InvoiceID",
    "InvoiceNumber",
    "Invoice",
    ("ACCREC", "ACCPAY"),
    frozenset({"ACCREC"}),
    "INV",
    frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"}),
    _LEDGER_AMOUNT_TYPES,
    frozenset({"ACCREC"}),
    "INVOICE",
    _LEDGER_TRANSITIONS,
    frozenset({"PAID", "VOIDED", "DELETED"}),
    "DueDate",
)
CREDIT_NOTE = Kind(
    "CreditNotes",
    "CreditNote",
    "CreditNoteID",
    "CreditNoteNumber",
    "Credit Note",
    ("ACCRECCREDIT", "ACCPAYCREDIT"),
    frozenset({"ACCRECCREDIT"}),
    "CN",
    frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"}),
    _LEDGER_AMOUNT_TYPES,
    frozenset(),
    "CREDITNOTE",
    _LEDGER_TRANSITIONS,
    frozenset({"PAID", "VOIDED", "DELETED"}),
    "DueDate",
)
QUOTE = Kind(
    "Quotes",
    "Quote",
    "QuoteID",
    "QuoteNumber",
    "Quote",
    (),
    frozenset({"QUOTE"}),
    "QU",
    frozenset({"DRAFT", "SENT"}),
    {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"},
    frozenset({"QUOTE"}),
    None,
    {
        "DRAFT": frozenset({"DRAFT", "SENT", "DELETED"}),
        "SENT": frozenset({"SENT", "DRAFT", "ACCEPTED", "DECLINED", "DELETED"}),
        "ACCEPTED": frozenset({"ACCEPTED", "SENT", "INVOICED", "DELETED"}),
        "DECLINED": frozenset({"DECLINED", "SENT", "DRAFT", "DELETED"}),
    },
    frozenset({"INVOICED", "DELETED"}),
    "ExpiryDate",
)
KINDS = {kind.collection: kind for kind in (INVOICE, CREDIT_NOTE, QUOTE)}
_COPIED = (
    "Reference",
    "Url",
    "BrandingThemeID",
    "SentToContact",
    "Title",
    "Summary",
    "Terms",
)
_DATES = ("Date", "DueDate", "ExpiryDate", "ExpectedPaymentDate", "PlannedPaymentDate")


def doc_type(kind: Kind, row: Row) -> str:
    """The document's Type (quotes count as the sales type ``QUOTE``)."""
    return row.get("Type") or "QUOTE"


def is_sales(kind: Kind, row: Row) -> bool:
    """True for ACCREC invoices, ACCRECCREDIT credit notes and quotes."""
    return doc_type(kind, row) in {"ACCREC", "ACCRECCREDIT", "QUOTE"}


def find(ctx: Context, kind: Kind, key: str) -> Row | None:
    """A document by id or number."""
    rows = ctx.rows(kind.collection)
    if key in rows:
        return rows[key]
    by_id = next((r for r in rows.values() if same_text(r[kind.id_field], key)), None)
    if by_id is not None:
        return by_id
    return next(
        (r for r in rows.values() if r.get(kind.number_field) == key and r["Status"] != "DELETED"),
        None,
    )


def _number_taken(ctx: Context, kind: Kind, number: str, type_: str, doc_id: str) -> bool:
    return any(
        r.get(kind.number_field) == number
        and doc_type(kind, r) == type_
        and r["Status"] != "DELETED"
        and r[kind.id_field] != doc_id
        for r in ctx.rows(kind.collection).values()
    )


def _stored_line_as_request(line: Row) -> Row:
    raw: Row = {
        k: line[k]
        for k in ("LineItemID", "Description", "Quantity", "UnitAmount", "AccountCode", "TaxType")
        if line.get(k) is not None
    }
    raw["Tracking"] = [dict(t) for t in line["Tracking"]]
    for key in ("ItemCode", "DiscountRate", "DiscountAmount"):
        if line.get(key) is not None:
            raw[key] = line[key]
    if line.get("TaxAmountOverride"):
        raw["TaxAmount"] = line["TaxAmount"]
    return raw


def _apply_fields(
    ctx: Context, kind: Kind, row: Row, raw: dict[str, Any], errors: list[str]
) -> None:
    for key in _COPIED:
        if key in raw:
            row[key] = raw[key]
    for key in _DATES:
        if key in raw and raw[key] not in (None, ""):
            parsed = parse_date(raw[key])
            if parsed is None:
                errors.append(f"The {key} field is not a valid date.")
            else:
                row[key] = parsed
    if raw.get("LineAmountTypes") is not None:
        normalised = kind.amount_types.get(str(raw["LineAmountTypes"]).lower())
        if normalised is None:
            errors.append(f"'{raw['LineAmountTypes']}' is not a valid LineAmountTypes value.")
        else:
            row["AmountTypes"] = normalised
    if raw.get("CurrencyCode"):
        code = str(raw["CurrencyCode"]).upper()
        currencies.check_subscribed(ctx.tenant, code, errors)
        if code != row["CurrencyCode"]:
            row["CurrencyRate"] = currencies.day_rate(ctx.tenant, code)
        row["CurrencyCode"] = code
    if raw.get("CurrencyRate") is not None:
        rate = currencies.parse_rate(raw["CurrencyRate"], errors)
        row["CurrencyRate"] = rate or row["CurrencyRate"]
    if row["CurrencyCode"] == ctx.tenant.spec.base_currency:
        row["CurrencyRate"] = currencies.ONE


def _apply_number(
    ctx: Context, kind: Kind, row: Row, raw: dict[str, Any], errors: list[str]
) -> None:
    type_ = doc_type(kind, row)
    given = text(raw.get(kind.number_field))
    if given:
        if type_ in kind.unique_types and _number_taken(
            ctx, kind, given, type_, row[kind.id_field]
        ):
            errors.append(f"{kind.label} # must be unique.")
        row[kind.number_field] = given
    elif not row.get(kind.number_field) and type_ in kind.unique_types:
        taken = {r.get(kind.number_field) or "" for r in ctx.rows(kind.collection).values()}
        row[kind.number_field] = ctx.tenant.next_number(kind.prefix, taken)


def _apply_lines(
    ctx: Context, kind: Kind, row: Row, raw: dict[str, Any], errors: list[str]
) -> None:
    raws = raw.get("LineItems")
    if raws is None:
        raws = [_stored_line_as_request(line) for line in row["LineItems"]]
    elif not isinstance(raws, list):
        errors.append("LineItems must be a list.")
        return
    approving = kind is not QUOTE and row["Status"] in {"AUTHORISED", "SUBMITTED"}
    rules = lines.LineRules(
        sales=is_sales(kind, row),
        discounts=doc_type(kind, row) in kind.discount_types,
        amount_types=row["AmountTypes"],
        unitdp=ctx.unitdp,
        approving=approving,
    )
    built, line_errors = lines.build_lines(ctx.tenant, raws, rules, row["LineItems"])
    for line, source in zip(built, [r for r in raws if isinstance(r, dict)], strict=False):
        line["TaxAmountOverride"] = source.get("TaxAmount") is not None
    errors.extend(line_errors)
    if approving and not built:
        errors.append(f"At least one line item must be specified to approve this {kind.label}.")
    row["LineItems"] = built
    row.update(lines.totals(built, row["AmountTypes"]))
    if kind is not QUOTE and row["Total"] < 0:
        errors.append("The Total for this document must be greater than or equal to zero.")


def _settling_dates(ctx: Context, kind: Kind, row: Row) -> list[date]:
    """The dates of the live payments and allocations that settle the document."""
    payments = ctx.rows("Payments")
    dates = [
        p["Date"]
        for pid in row["PaymentIDs"]
        if (p := payments.get(pid)) is not None and p["Status"] != "DELETED"
    ]
    if kind is INVOICE:
        return dates + [credit["Date"] for credit in _credit_notes_of(ctx, row)]
    return dates + [a["Date"] for a in row["Allocations"] if not a["IsDeleted"]]


def settle(ctx: Context, kind: Kind, row: Row) -> None:
    """Recompute what is outstanding and move between AUTHORISED and PAID. ``FullyPaidOnDate``
    is the latest date among what paid it (the spec: "Date when the invoice was fully paid"),
    or its own date when nothing had to (a zero total)."""
    if kind is QUOTE:
        return
    outstanding = row["Total"] - row["AmountPaid"] - row["AmountCredited"]
    row["AmountDue" if kind is INVOICE else "RemainingCredit"] = outstanding
    if row["Status"] == "AUTHORISED" and outstanding == 0:
        row["Status"] = "PAID"
        row["FullyPaidOnDate"] = max(_settling_dates(ctx, kind, row), default=row["Date"])
    elif row["Status"] == "PAID" and outstanding != 0:
        row["Status"] = "AUTHORISED"
        row.pop("FullyPaidOnDate", None)


def touch(ctx: Context, kind: Kind, row: Row) -> None:
    """After money moved to or from the document: stamp it, settle it and send its event."""
    row["UpdatedDateUTC"] = ctx.now
    settle(ctx, kind, row)
    publish(ctx, kind, row, "UPDATE")


def publish(ctx: Context, kind: Kind, row: Row, event_type: str) -> None:
    """Send the document's webhook event, if its kind has one."""
    if kind.webhook is None:
        return
    data = {"Type": row["Type"], "Status": row["Status"]} if kind is CREDIT_NOTE else None
    ctx.publish(kind.webhook, event_type, kind.collection, row[kind.id_field], data)


def _flag_contact(ctx: Context, kind: Kind, row: Row) -> None:
    contact = ctx.rows("Contacts").get(row["ContactID"])
    if contact is not None and kind is not QUOTE:
        contact["IsCustomer" if is_sales(kind, row) else "IsSupplier"] = True


def _approval_checks(ctx: Context, kind: Kind, row: Row, errors: list[str]) -> None:
    """What an AUTHORISED invoice or credit note needs: a due date (invoices) and a date after
    the lock dates."""
    if kind is QUOTE or row["Status"] != "AUTHORISED":
        return
    if kind is INVOICE and "DueDate" not in row:
        errors.append("The document DueDate field must be specified.")
    locks.check_date(ctx.tenant, row["Date"], errors)


def create(ctx: Context, kind: Kind, raw: dict[str, Any]) -> Row:
    """A new document (PUT semantics); the contact may be created by name."""
    errors: list[str] = []
    row: Row = {
        kind.id_field: str(uuid.uuid4()),
        "Status": text(raw.get("Status")).upper() or "DRAFT",
        "AmountTypes": "Exclusive",
        "CurrencyCode": ctx.tenant.spec.base_currency,
        "CurrencyRate": currencies.ONE,
        "Date": ctx.now.date(),
        "LineItems": [],
        "AmountPaid": ZERO,
        "AmountCredited": ZERO,
        "PaymentIDs": [],
        "Allocations": [],
    }
    if kind.types:
        row["Type"] = text(raw.get("Type")).upper()
        if row["Type"] not in kind.types:
            errors.append(f"{kind.label} Type must be one of {', '.join(kind.types)}.")
    if row["Status"] not in kind.create_statuses:
        allowed = ", ".join(sorted(kind.create_statuses))
        errors.append(f"A new {kind.label} must have one of the statuses {allowed}.")
    contact, new_contact = contacts.for_transaction(ctx, raw.get("Contact"), errors)
    _apply_fields(ctx, kind, row, raw, errors)
    if (kind.types and row.get("Type") in kind.types) or not kind.types:
        _apply_number(ctx, kind, row, raw, errors)
    _apply_lines(ctx, kind, row, raw, errors)
    _approval_checks(ctx, kind, row, errors)
    if errors:
        raise ElementErrors(errors)
    if new_contact is not None:
        contact = contacts.create(ctx, new_contact)
    assert contact is not None
    row["ContactID"] = contact["ContactID"]
    row["UpdatedDateUTC"] = ctx.now
    settle(ctx, kind, row)
    ctx.rows(kind.collection)[row[kind.id_field]] = row
    _flag_contact(ctx, kind, row)
    publish(ctx, kind, row, "CREATE")
    return row


def _has_money(row: Row) -> bool:
    return row.get("AmountPaid", ZERO) != 0 or row.get("AmountCredited", ZERO) != 0


def update(ctx: Context, kind: Kind, row: Row, raw: dict[str, Any]) -> Row:
    """Apply an update (POST semantics) under Xero's status rules."""
    current = row["Status"]
    not_modifiable = f"{kind.label} not of valid status for modification"
    if current in kind.final_statuses:
        if current == "PAID" and _has_money(row):
            raise ElementErrors([not_modifiable, _HAS_MONEY])
        raise ElementErrors([not_modifiable])
    target = text(raw.get("Status")).upper() or current
    if target not in kind.transitions.get(current, frozenset()):
        raise ElementErrors([not_modifiable])
    locked: list[str] = []
    if kind is not QUOTE and current == "AUTHORISED":
        locks.check_edit(ctx.tenant, row["Date"], locked)
    if locked:
        raise ElementErrors(locked)
    if target == "VOIDED" and _has_money(row):
        raise ElementErrors(
            [f"This {kind.label} cannot be voided as it has payments or credit notes allocated."]
        )
    if target in {"DELETED", "VOIDED"}:
        row["Status"] = target
        row["UpdatedDateUTC"] = ctx.now
        if kind is not QUOTE:
            row["AmountDue" if kind is INVOICE else "RemainingCredit"] = ZERO
        publish(ctx, kind, row, "UPDATE")
        return row
    errors: list[str] = []
    draft = copy.deepcopy(row)
    draft["Status"] = target
    contact, new_contact = (
        contacts.for_transaction(ctx, raw["Contact"], errors) if "Contact" in raw else (None, None)
    )
    financial = "LineItems" in raw or "Contact" in raw or "CurrencyCode" in raw
    if _has_money(row) and financial:
        errors.append(_HAS_MONEY)
    _apply_fields(ctx, kind, draft, raw, errors)
    _apply_number(ctx, kind, draft, raw, errors)
    _apply_lines(ctx, kind, draft, raw, errors)
    _approval_checks(ctx, kind, draft, errors)
    if errors:
        raise ElementErrors(errors)
    if new_contact is not None:
        contact = contacts.create(ctx, new_contact)
    if contact is not None:
        draft["ContactID"] = contact["ContactID"]
    draft["UpdatedDateUTC"] = ctx.now
    row.clear()
    row.update(draft)
    settle(ctx, kind, row)
    _flag_contact(ctx, kind, row)
    publish(ctx, kind, row, "UPDATE")
    return row


def upsert(ctx: Context, kind: Kind, raw: dict[str, Any]) -> Row:
    """POST semantics: update the document matched by id or number, else create one."""
    doc_id = text(raw.get(kind.id_field))
    if doc_id:
        existing = find(ctx, kind, doc_id)
        if existing is None:
            raise ElementErrors([f"{kind.label} with ID '{doc_id}' could not be found."])
        return update(ctx, kind, existing, raw)
    number = text(raw.get(kind.number_field))
    existing = None
    if number:
        type_ = text(raw.get("Type")).upper() or "QUOTE"
        existing = next(
            (
                r
                for r in ctx.rows(kind.collection).values()
                if r.get(kind.number_field) == number
                and doc_type(kind, r) == type_
                and type_ in kind.unique_types
                and r["Status"] != "DELETED"
            ),
            None,
        )
    return update(ctx, kind, existing, raw) if existing else create(ctx, kind, raw)


def _render_dates(row: Row, rendered: Row) -> None:
    for key in _DATES:
        if row.get(key) is not None:
            rendered[key] = row[key]
            if key in {"Date", "DueDate", "ExpiryDate"}:
                rendered[f"{key}String"] = date_string(row[key])


def _payments(ctx: Context, row: Row) -> list[Row]:
    payments = ctx.rows("Payments")
    return [
        {
            "PaymentID": p["PaymentID"],
            "Date": p["Date"],
            "Amount": p["Amount"],
            "Reference": p.get("Reference") or "",
            "CurrencyRate": p["CurrencyRate"],
            "HasAccount": False,
            "HasValidationErrors": False,
        }
        for pid in row["PaymentIDs"]
        if (p := payments.get(pid)) is not None and p["Status"] != "DELETED"
    ]


def _credit_notes_of(ctx: Context, invoice: Row) -> list[Row]:
    result = []
    for note in ctx.rows("CreditNotes").values():
        for allocation in note["Allocations"]:
            if allocation["InvoiceID"] == invoice["InvoiceID"] and not allocation["IsDeleted"]:
                result.append(
                    {
                        "CreditNoteID": note["CreditNoteID"],
                        "CreditNoteNumber": note.get("CreditNoteNumber") or "",
                        "AppliedAmount": allocation["Amount"],
                        "Date": allocation["Date"],
                        "DateString": date_string(allocation["Date"]),
                        "Total": note["Total"],
                        "HasErrors": False,
                    }
                )
    return result


def _allocations_of(ctx: Context, note: Row) -> list[Row]:
    invoices = ctx.rows("Invoices")
    return [
        {
            "AllocationID": a["AllocationID"],
            "Amount": a["Amount"],
            "Date": a["Date"],
            "Invoice": {
                "InvoiceID": a["InvoiceID"],
                "InvoiceNumber": invoices[a["InvoiceID"]].get("InvoiceNumber") or "",
                "Payments": [],
                "CreditNotes": [],
                "Prepayments": [],
                "Overpayments": [],
                "HasErrors": False,
                "IsDiscounted": False,
                "InvoiceAddresses": [],
                "HasAttachments": False,
                "LineItems": [],
            },
            "IsDeleted": False,
            "StatusAttributeString": "OK",
        }
        for a in note["Allocations"]
        if not a["IsDeleted"]
    ]


def render(ctx: Context, kind: Kind, row: Row, detail: str = "full") -> Row:
    """A document as Xero returns it. ``detail``: ``full`` (by id or paged), ``list``
    (unpaged list: no lines, summary contact) or ``summary`` (``summaryOnly=true``)."""
    contact = ctx.rows("Contacts").get(row["ContactID"], {"ContactID": row["ContactID"]})
    rendered: Row = {}
    if "Type" in row:
        rendered["Type"] = row["Type"]
    rendered[kind.id_field] = row[kind.id_field]
    if row.get(kind.number_field) is not None:
        rendered[kind.number_field] = row[kind.number_field]
    for key in _COPIED:
        if row.get(key) is not None:
            rendered[key] = row[key]
    if kind is INVOICE:
        rendered |= {
            "AmountDue": row["AmountDue"],
            "AmountPaid": row["AmountPaid"],
            "AmountCredited": row["AmountCredited"],
        }
    if kind is CREDIT_NOTE:
        rendered |= {
            "RemainingCredit": row["RemainingCredit"],
            "AppliedAmount": row["AmountCredited"],
        }
    rendered |= {
        "CurrencyRate": row["CurrencyRate"],
        "HasErrors": False,
        "Contact": contacts.render(contact, summary=detail != "full")
        if "ContactStatus" in contact
        else contact,
    }
    if kind is not QUOTE:
        rendered |= {"IsDiscounted": row["TotalDiscount"] != 0, "HasAttachments": False}
    _render_dates(row, rendered)
    amount_types = row["AmountTypes"]
    rendered |= {
        "Status": row["Status"],
        "LineAmountTypes": amount_types.upper() if kind is QUOTE else amount_types,
        "SubTotal": row["SubTotal"],
        "TotalTax": row["TotalTax"],
        "Total": row["Total"],
        "UpdatedDateUTC": row["UpdatedDateUTC"],
        "CurrencyCode": row["CurrencyCode"],
    }
    if row["TotalDiscount"] != 0:
        rendered["TotalDiscount"] = row["TotalDiscount"]
    if kind is not QUOTE:
        rendered["UpdatedDateUTCString"] = iso_utc_seconds(row["UpdatedDateUTC"])
    if row.get("FullyPaidOnDate") is not None:
        rendered["FullyPaidOnDate"] = row["FullyPaidOnDate"]
    if detail == "summary":
        return rendered
    if kind is INVOICE:
        rendered |= {
            "Payments": _payments(ctx, row),
            "CreditNotes": _credit_notes_of(ctx, row),
            "Prepayments": [],
            "Overpayments": [],
        }
    if kind is CREDIT_NOTE:
        rendered |= {"Payments": _payments(ctx, row), "Allocations": _allocations_of(ctx, row)}
    rendered["LineItems"] = (
        [lines.render_line(line, ctx.unitdp) for line in row["LineItems"]]
        if detail == "full" or kind is QUOTE
        else []
    )
    return rendered
