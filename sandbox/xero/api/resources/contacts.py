"""Contacts: unique active names, archiving, and the contact reference on transactions.

Xero's messages used: "The contact name X is already assigned to another contact. The contact
name must be unique across all active contacts." (spec example) and "The Contact must contain
at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber"
(spec example); "Contact Name cannot be empty." for a new contact without a name (Xero's
response quoted in xeroizer#380). Assumed: names compare case-insensitively after trimming;
ContactNumber is unique too (GET /Contacts/{ContactNumber} implies it); using an archived
contact on a transaction fails with "Unable to assign an Archived contact." (quoted in
calcinai/xero-php#525; the notes mark the exact text unverified); a contact given by Name only
is matched to the active contact of that name, else created (Xero's documented behaviour);
extra fields sent with an identified contact on a transaction are not applied; AccountNumber
is not checked for uniqueness (calcinai/xero-php#880 quotes "The Account Number already
exists. Please enter a different Account Number." but not the scope of the check).
"""

from __future__ import annotations

import uuid
from typing import Any

from ...store import Row
from ..context import Context, ElementErrors, same_text, text

COLLECTION = "Contacts"
SCHEMA = "Contact"
ID_FIELD = "ContactID"
_EDITABLE = (
    "ContactNumber",
    "AccountNumber",
    "FirstName",
    "LastName",
    "CompanyNumber",
    "EmailAddress",
    "BankAccountDetails",
    "TaxNumber",
    "AccountsReceivableTaxType",
    "AccountsPayableTaxType",
    "DefaultCurrency",
    "SalesDefaultAccountCode",
    "PurchasesDefaultAccountCode",
    "PaymentTerms",
    "ContactPersons",
)
_ADDRESS_TYPES = ("POBOX", "STREET")
_PHONE_TYPES = ("DDI", "DEFAULT", "FAX", "MOBILE")


def _name_taken(ctx: Context, name: str, except_id: str | None) -> bool:
    return any(
        c["ContactStatus"] == "ACTIVE"
        and c["ContactID"] != except_id
        and same_text(c["Name"], name)
        for c in ctx.rows(COLLECTION).values()
    )


def _number_taken(ctx: Context, number: str, except_id: str | None) -> bool:
    return any(
        c["ContactID"] != except_id and same_text(c.get("ContactNumber"), number)
        for c in ctx.rows(COLLECTION).values()
    )


def find(ctx: Context, key: str) -> Row | None:
    """A contact by ContactID or ContactNumber (any status)."""
    rows = ctx.rows(COLLECTION)
    if key in rows:
        return rows[key]
    return next(
        (
            c
            for c in rows.values()
            if same_text(c["ContactID"], key) or same_text(c.get("ContactNumber"), key)
        ),
        None,
    )


def _unique_name_message(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. The contact name "
        "must be unique across all active contacts."
    )


def _addresses(raw: Any, current: list[Row]) -> list[Row]:
    by_type = {a["AddressType"]: a for a in current}
    for address in raw if isinstance(raw, list) else []:
        if isinstance(address, dict) and address.get("AddressType") in _ADDRESS_TYPES:
            by_type[address["AddressType"]] = dict(address)
    return [by_type.get(kind, {"AddressType": kind}) for kind in _ADDRESS_TYPES]


def _phones(raw: Any, current: list[Row]) -> list[Row]:
    by_type = {p["PhoneType"]: p for p in current}
    for phone in raw if isinstance(raw, list) else []:
        if isinstance(phone, dict) and phone.get("PhoneType") in (*_PHONE_TYPES, "OFFICE"):
            by_type[phone["PhoneType"]] = dict(phone)
    kinds = [*_PHONE_TYPES, *(k for k in by_type if k not in _PHONE_TYPES)]
    return [by_type.get(kind, {"PhoneType": kind}) for kind in kinds]


def _apply(ctx: Context, row: Row, raw: dict[str, Any], errors: list[str]) -> None:
    for key in _EDITABLE:
        if key in raw:
            row[key] = raw[key]
    if "Addresses" in raw:
        row["Addresses"] = _addresses(raw["Addresses"], row["Addresses"])
    if "Phones" in raw:
        row["Phones"] = _phones(raw["Phones"], row["Phones"])
    number = text(row.get("ContactNumber"))
    if number and _number_taken(ctx, number, row["ContactID"]):
        errors.append(f"The contact number {number} is already assigned to another contact.")
    status = raw.get("ContactStatus")
    if status is not None:
        if status not in {"ACTIVE", "ARCHIVED", "GDPRREQUEST"}:
            errors.append(f"'{status}' is not a valid ContactStatus.")
        else:
            row["ContactStatus"] = status


def create(ctx: Context, raw: dict[str, Any]) -> Row:
    """A new contact (PUT semantics)."""
    errors: list[str] = []
    name = text(raw.get("Name"))
    if not name:
        errors.append("Contact Name cannot be empty.")
    row: Row = {
        "ContactID": str(uuid.uuid4()),
        "ContactStatus": "ACTIVE",
        "Name": name,
        "Addresses": _addresses([], []),
        "Phones": _phones([], []),
        "ContactGroups": [],
        "ContactPersons": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "BankAccountDetails": "",
    }
    _apply(ctx, row, raw, errors)
    if name and row["ContactStatus"] == "ACTIVE" and _name_taken(ctx, name, None):
        errors.append(_unique_name_message(name))
    if errors:
        raise ElementErrors(errors)
    row["UpdatedDateUTC"] = ctx.now
    ctx.rows(COLLECTION)[row["ContactID"]] = row
    ctx.publish("CONTACT", "CREATE", COLLECTION, row["ContactID"], None)
    return row


def update(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """Apply an update to an existing contact (validated on a copy first)."""
    errors: list[str] = []
    draft = {**row, "Addresses": list(row["Addresses"]), "Phones": list(row["Phones"])}
    name = text(raw.get("Name"))
    if name:
        draft["Name"] = name
    _apply(ctx, draft, raw, errors)
    if draft["ContactStatus"] == "ACTIVE" and _name_taken(ctx, draft["Name"], row["ContactID"]):
        errors.append(_unique_name_message(draft["Name"]))
    if errors:
        raise ElementErrors(errors)
    draft["UpdatedDateUTC"] = ctx.now
    row.clear()
    row.update(draft)
    ctx.publish("CONTACT", "UPDATE", COLLECTION, row["ContactID"], None)
    return row


def upsert(ctx: Context, raw: dict[str, Any]) -> Row:
    """POST semantics: update the contact matched by ContactID, ContactNumber or name."""
    contact_id = text(raw.get("ContactID"))
    if contact_id:
        existing = find(ctx, contact_id)
        if existing is None:
            raise ElementErrors([f"The contact with ContactID '{contact_id}' could not be found."])
        return update(ctx, existing, raw)
    number = text(raw.get("ContactNumber"))
    existing = find(ctx, number) if number else None
    if existing is None and text(raw.get("Name")):
        existing = next(
            (
                c
                for c in ctx.rows(COLLECTION).values()
                if c["ContactStatus"] == "ACTIVE" and same_text(c["Name"], raw["Name"].strip())
            ),
            None,
        )
    return update(ctx, existing, raw) if existing else create(ctx, raw)


def for_transaction(
    ctx: Context, raw: Any, errors: list[str]
) -> tuple[Row | None, dict[str, Any] | None]:
    """The contact a transaction names, matched by id, number or active name.

    Returns ``(contact, None)`` for an existing contact, or ``(None, fields)`` when a new
    contact is to be created from ``fields`` once the transaction itself is valid.
    """
    if not isinstance(raw, dict):
        raw = {}
    contact_id = text(raw.get("ContactID"))
    number = text(raw.get("ContactNumber"))
    name = text(raw.get("Name"))
    contact = None
    if contact_id:
        contact = find(ctx, contact_id)
        if contact is None:
            errors.append(f"The contact with ContactID '{contact_id}' could not be found.")
            return None, None
    elif number:
        contact = find(ctx, number)
    if contact is None and name:
        contact = next(
            (
                c
                for c in ctx.rows(COLLECTION).values()
                if c["ContactStatus"] == "ACTIVE" and same_text(c["Name"], name)
            ),
            None,
        )
        if contact is None:
            return None, {k: v for k, v in raw.items() if k != "ContactID"}
    if contact is None:
        errors.append(
            "The Contact must contain at least 1 of the following elements to identify the "
            "contact: Name, ContactID, ContactNumber"
        )
        return None, None
    if contact["ContactStatus"] != "ACTIVE":
        errors.append("Unable to assign an Archived contact.")
        return None, None
    return contact, None


def render(row: Row, *, summary: bool = False) -> Row:
    """A contact as Xero returns it (``summary``: the short form of list/summaryOnly)."""
    keys = (
        "ContactID",
        "ContactNumber",
        "AccountNumber",
        "ContactStatus",
        "Name",
        "FirstName",
        "LastName",
        "EmailAddress",
        "UpdatedDateUTC",
        "IsSupplier",
        "IsCustomer",
    )
    rendered: Row = {k: row[k] for k in keys if row.get(k) is not None}
    if summary:
        return rendered | {"HasValidationErrors": False}
    for key in (*_EDITABLE, "Addresses", "Phones", "ContactGroups", "HasAttachments"):
        if row.get(key) is not None and key not in rendered:
            rendered[key] = row[key]
    return rendered | {"HasValidationErrors": False}


def reference(row: Row) -> Row:
    """The contact as embedded in a transaction."""
    return render(row, summary=True)
