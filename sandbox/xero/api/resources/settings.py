"""Settings collections: Accounts, TaxRates and TrackingCategories (with options).

Xero facts used: PUT /Accounts and PUT /TaxRates create one record per request (notes §4);
account codes are at most 10 characters; user tax rates get ``TAX001``-style TaxTypes; an
organisation has at most 2 active tracking categories (notes S1 §7.8); a BANK account is in a
currency the organisation has (Xero's UI offers only those). Assumed: the texts of
the uniqueness and limit messages, that seeded (system) tax rates cannot be edited, and that
archived tracking options are listed only with ``includeArchived=true``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from ...seed import class_of_account_type
from ...store import Row
from .. import references
from ..context import Context, ElementErrors, same_text, text
from . import currencies

_ACCOUNT_TYPES = {
    "BANK",
    "CURRENT",
    "CURRLIAB",
    "DEPRECIATN",
    "DIRECTCOSTS",
    "EQUITY",
    "EXPENSE",
    "FIXED",
    "INVENTORY",
    "LIABILITY",
    "NONCURRENT",
    "OTHERINCOME",
    "OVERHEADS",
    "PREPAYMENT",
    "REVENUE",
    "SALES",
    "TERMLIAB",
}


def _taken(ctx: Context, row: Row, key: str, value: str) -> bool:
    """Whether another account already has ``value`` as its ``key`` (``Code`` or ``Name``),
    compared as Xero compares text."""
    return any(
        same_text(a[key], value) and a["AccountID"] != row["AccountID"]
        for a in ctx.rows("Accounts").values()
    )


def _account_fields(ctx: Context, row: Row, raw: dict[str, Any], errors: list[str]) -> None:
    for key in ("Description", "BankAccountNumber", "ReportingCode", "CurrencyCode"):
        if key in raw:
            row[key] = raw[key]
    for key in ("EnablePaymentsToAccount", "ShowInExpenseClaims", "AddToWatchlist"):
        if isinstance(raw.get(key), bool):
            row[key] = raw[key]
    code, name = text(raw.get("Code")), text(raw.get("Name"))
    if "Code" in raw:
        if not code or len(code) > 10:
            errors.append("The account Code must be between 1 and 10 characters.")
        elif _taken(ctx, row, "Code", code):
            errors.append("Please enter a unique Code.")
        row["Code"] = code
    if "Name" in raw:
        if not name:
            errors.append("The account Name must be specified.")
        elif _taken(ctx, row, "Name", name):
            errors.append("Please enter a unique Name.")
        row["Name"] = name
    if raw.get("TaxType"):
        references.check_tax_type(ctx.tenant, raw["TaxType"], row, True, errors)
        row["TaxType"] = raw["TaxType"]
    status = raw.get("Status")
    if status is not None:
        if status not in {"ACTIVE", "ARCHIVED"}:
            errors.append(f"'{status}' is not a valid account Status.")
        elif status == "ARCHIVED" and row.get("SystemAccount"):
            errors.append("System accounts cannot be archived.")
        else:
            row["Status"] = status


def create_account(ctx: Context, raw: dict[str, Any]) -> Row:
    """``PUT /Accounts``: one new account."""
    errors: list[str] = []
    account_type = text(raw.get("Type")).upper()
    if account_type not in _ACCOUNT_TYPES:
        errors.append("The account Type must be specified and valid.")
    row: Row = {
        "AccountID": str(uuid.uuid4()),
        "Code": "",
        "Name": "",
        "Status": "ACTIVE",
        "Type": account_type,
        "TaxType": None,
        "Class": class_of_account_type(account_type),
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "ReportingCode": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
    }
    _account_fields(ctx, row, {"Code": "", "Name": ""} | raw, errors)
    if account_type == "BANK":
        if not text(raw.get("BankAccountNumber")):
            errors.append("A BankAccountNumber must be specified for a BANK account.")
        code = text(raw.get("CurrencyCode")).upper() or ctx.tenant.spec.base_currency
        currencies.check_subscribed(ctx.tenant, code, errors)
        row |= {"BankAccountType": "BANK", "CurrencyCode": code}
    if errors:
        raise ElementErrors(errors)
    row["UpdatedDateUTC"] = ctx.now
    ctx.rows("Accounts")[row["AccountID"]] = row
    return row


def update_account(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """``POST /Accounts/{id}``."""
    errors: list[str] = []
    draft = dict(row)
    _account_fields(ctx, draft, raw, errors)
    if errors:
        raise ElementErrors(errors)
    draft["UpdatedDateUTC"] = ctx.now
    row.update(draft)
    return row


def _components(raw: Any, errors: list[str]) -> tuple[list[Row], Decimal]:
    if not isinstance(raw, list) or not raw:
        errors.append("A tax rate must have at least one TaxComponent.")
        return [], Decimal(0)
    components, total = [], Decimal(0)
    for component in raw:
        rate = Decimal(str(component.get("Rate", 0))) if isinstance(component, dict) else None
        if rate is None or not text(component.get("Name")):
            errors.append("Each TaxComponent needs a Name and a Rate.")
            continue
        components.append(
            {
                "Name": component["Name"],
                "Rate": rate.quantize(Decimal("0.0001")),
                "IsCompound": bool(component.get("IsCompound", False)),
                "IsNonRecoverable": bool(component.get("IsNonRecoverable", False)),
            }
        )
        total += rate
    return components, total.quantize(Decimal("0.0001"))


def create_tax_rate(ctx: Context, raw: dict[str, Any]) -> Row:
    """``PUT /TaxRates``: a user-defined tax rate with a ``TAXnnn`` TaxType."""
    errors: list[str] = []
    name = text(raw.get("Name"))
    rates = ctx.rows("TaxRates")
    if not name:
        errors.append("The tax rate Name must be specified.")
    elif any(same_text(r["Name"], name) for r in rates.values()):
        errors.append(f"A tax rate with the name '{name}' already exists.")
    components, total = _components(raw.get("TaxComponents"), errors)
    if errors:
        raise ElementErrors(errors)
    number = 1 + sum(1 for key in rates if key.startswith("TAX"))
    row: Row = {
        "Name": name,
        "TaxType": f"TAX{number:03d}",
        "ReportTaxType": raw.get("ReportTaxType") or "OUTPUT",
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": True,
        "DisplayTaxRate": total,
        "EffectiveRate": total,
        "Status": "ACTIVE",
        "TaxComponents": components,
    }
    rates[row["TaxType"]] = row
    return row


def update_tax_rate(ctx: Context, raw: dict[str, Any]) -> Row:
    """``POST /TaxRates``: rename, re-rate or delete a user-defined rate."""
    key = text(raw.get("TaxType")) or text(raw.get("Name"))
    row = next(
        (
            r
            for r in ctx.rows("TaxRates").values()
            if same_text(r["TaxType"], key) or same_text(r["Name"], key)
        ),
        None,
    )
    if row is None:
        raise ElementErrors([f"The tax rate '{key}' could not be found."])
    if not row["TaxType"].startswith("TAX"):
        raise ElementErrors(["System tax rates cannot be modified."])
    errors: list[str] = []
    if "TaxComponents" in raw:
        components, total = _components(raw["TaxComponents"], errors)
        row_update: Row = {"TaxComponents": components, "DisplayTaxRate": total}
        row_update["EffectiveRate"] = total
    else:
        row_update = {}
    status = raw.get("Status")
    if status is not None and status not in {"ACTIVE", "DELETED", "ARCHIVED"}:
        errors.append(f"'{status}' is not a valid tax rate Status.")
    if errors:
        raise ElementErrors(errors)
    row.update(row_update)
    if status:
        row["Status"] = status
    if text(raw.get("Name")) and text(raw.get("TaxType")):
        row["Name"] = raw["Name"].strip()
    return row


def _option(name: str, category_id: str) -> Row:
    return {
        "TrackingOptionID": str(uuid.uuid4()),
        "Name": name,
        "Status": "ACTIVE",
        "TrackingCategoryID": category_id,
        "HasValidationErrors": False,
        "IsDeleted": False,
        "IsArchived": False,
        "IsActive": True,
    }


def create_tracking_category(ctx: Context, raw: dict[str, Any]) -> Row:
    """``PUT /TrackingCategories``."""
    name = text(raw.get("Name"))
    categories = ctx.rows("TrackingCategories")
    if not name:
        raise ElementErrors(["The tracking category Name must be specified."])
    if any(same_text(c["Name"], name) for c in categories.values()):
        raise ElementErrors([f"A tracking category with the name '{name}' already exists."])
    if sum(1 for c in categories.values() if c["Status"] == "ACTIVE") >= 2:
        raise ElementErrors(["An organisation can have at most 2 active tracking categories."])
    row: Row = {
        "TrackingCategoryID": str(uuid.uuid4()),
        "Name": name,
        "Status": "ACTIVE",
        "Options": [],
    }
    categories[row["TrackingCategoryID"]] = row
    return row


def update_tracking_category(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """``POST /TrackingCategories/{id}``: rename or archive."""
    name = text(raw.get("Name"))
    if name:
        if any(
            same_text(c["Name"], name) and c is not row
            for c in ctx.rows("TrackingCategories").values()
        ):
            raise ElementErrors([f"A tracking category with the name '{name}' already exists."])
        row["Name"] = name
    status = raw.get("Status")
    if status is not None:
        if status not in {"ACTIVE", "ARCHIVED"}:
            raise ElementErrors([f"'{status}' is not a valid tracking category Status."])
        active = sum(1 for c in ctx.rows("TrackingCategories").values() if c["Status"] == "ACTIVE")
        if status == "ACTIVE" and row["Status"] != "ACTIVE" and active >= 2:
            raise ElementErrors(["An organisation can have at most 2 active tracking categories."])
        row["Status"] = status
    return row


def add_option(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """``PUT /TrackingCategories/{id}/Options``: one new option."""
    name = text(raw.get("Name"))
    if not name:
        raise ElementErrors(["The tracking option Name must be specified."])
    if any(same_text(o["Name"], name) for o in row["Options"]):
        raise ElementErrors([f"The tracking option '{name}' already exists."])
    option = _option(name, row["TrackingCategoryID"])
    row["Options"].append(option)
    return option


def update_option(ctx: Context, option: Row, raw: dict[str, Any]) -> Row:
    """``POST /TrackingCategories/{id}/Options/{optionId}``: rename or archive."""
    if text(raw.get("Name")):
        option["Name"] = raw["Name"].strip()
    status = raw.get("Status")
    if status is not None:
        if status not in {"ACTIVE", "ARCHIVED"}:
            raise ElementErrors([f"'{status}' is not a valid tracking option Status."])
        option |= {
            "Status": status,
            "IsArchived": status == "ARCHIVED",
            "IsActive": status == "ACTIVE",
        }
    return option


def render_tracking_category(row: Row, include_archived: bool) -> Row:
    """A tracking category; archived options only with ``includeArchived``."""
    options = [
        {k: v for k, v in o.items() if k != "TrackingCategoryID"}
        for o in row["Options"]
        if include_archived or o["Status"] == "ACTIVE"
    ]
    return {
        "TrackingCategoryID": row["TrackingCategoryID"],
        "Name": row["Name"],
        "Status": row["Status"],
        "Options": options,
    }
