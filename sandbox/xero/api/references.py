"""Lookups of settings rows (accounts, tax rates, tracking, items) with Xero's messages.

Messages from Xero (seen in public reports): "Account code 'X' is not a valid code for this
document.", "The TaxType code 'X' does not exist or cannot be used for this type of
transaction.", "The TaxType code 'X' cannot be used with account code 'Y'.", "Account must be
valid.". Assumed (no public source found): the archived-account, item-code and tracking texts.
"""

from __future__ import annotations

from decimal import Decimal

from ..store import Row, Tenant
from .context import same_text

# System accounts a document line may not be coded to (ROUNDING stays usable).
_NON_POSTABLE_SYSTEM = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS", "TRACKINGTRANSFERS"}
_CLASS_PERMISSION = {
    "REVENUE": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "ASSET": "CanApplyToAssets",
    "LIABILITY": "CanApplyToLiabilities",
    "EQUITY": "CanApplyToEquity",
}


def account_by_code(tenant: Tenant, code: str) -> Row | None:
    """The account with this code (any status)."""
    return next((a for a in tenant.rows("Accounts").values() if same_text(a["Code"], code)), None)


def account_by_id(tenant: Tenant, account_id: str) -> Row | None:
    """The account with this id (any status)."""
    return next(
        (a for a in tenant.rows("Accounts").values() if same_text(a["AccountID"], account_id)),
        None,
    )


def line_account(tenant: Tenant, code: str, account_id: str, errors: list[str]) -> Row | None:
    """The account a document line is coded to, or None with a message in ``errors``."""
    account = account_by_code(tenant, code) if code else account_by_id(tenant, account_id)
    if account is None:
        errors.append(
            f"Account code '{code}' is not a valid code for this document."
            if code
            else "Account must be valid."
        )
        return None
    if account["Status"] != "ACTIVE":
        errors.append(
            f"Account code '{account['Code']}' has been archived, or has been deleted. "
            "Each line item must reference a valid account."
        )
        return None
    if account["Type"] == "BANK" or account.get("SystemAccount") in _NON_POSTABLE_SYSTEM:
        errors.append(f"Account code '{account['Code']}' is not a valid code for this document.")
        return None
    return account


def tax_rate(tenant: Tenant, tax_type: str) -> Row | None:
    """The active tax rate with this TaxType code."""
    rate = next(
        (r for r in tenant.rows("TaxRates").values() if same_text(r["TaxType"], tax_type)), None
    )
    return rate if rate is not None and rate["Status"] == "ACTIVE" else None


def check_tax_type(
    tenant: Tenant, tax_type: str, account: Row | None, sales: bool, errors: list[str]
) -> Row | None:
    """The tax rate for a line, checked against the account's class or the document side."""
    rate = tax_rate(tenant, tax_type)
    unusable = (
        f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of "
        "transaction."
    )
    if rate is None:
        errors.append(unusable)
        return None
    if account is not None:
        if not rate.get(_CLASS_PERMISSION.get(account["Class"], ""), False):
            errors.append(
                f"The TaxType code '{tax_type}' cannot be used with account code "
                f"'{account['Code']}'."
            )
            return None
        return rate
    allowed = (
        rate["CanApplyToRevenue"]
        if sales
        else rate["CanApplyToExpenses"] or rate["CanApplyToAssets"]
    )
    if not allowed:
        errors.append(unusable)
        return None
    return rate


def rate_percent(rate: Row | None) -> Decimal:
    """The effective rate in percent (0 without a rate)."""
    return Decimal(rate["EffectiveRate"]) if rate is not None else Decimal(0)


def item_by_code(tenant: Tenant, code: str) -> Row | None:
    """The item with this code."""
    return next((i for i in tenant.rows("Items").values() if same_text(i["Code"], code)), None)


def tracking(tenant: Tenant, raw: list[object], errors: list[str]) -> list[Row]:
    """A line's tracking, matched to active categories and options (at most 2)."""
    if len(raw) > 2:
        errors.append("A line item can have a maximum of 2 tracking categories.")
        return []
    result: list[Row] = []
    categories = tenant.rows("TrackingCategories").values()
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        category_id = entry.get("TrackingCategoryID") or ""
        name = entry.get("Name") or ""
        category = next(
            (
                c
                for c in categories
                if (category_id and same_text(c["TrackingCategoryID"], category_id))
                or (not category_id and same_text(c["Name"], name))
            ),
            None,
        )
        if category is None or category["Status"] != "ACTIVE":
            errors.append(
                f"The tracking category '{name or category_id}' does not exist or is not active."
            )
            continue
        option_id = entry.get("TrackingOptionID") or ""
        option_name = entry.get("Option") or ""
        option = next(
            (
                o
                for o in category["Options"]
                if (option_id and same_text(o["TrackingOptionID"], option_id))
                or (not option_id and same_text(o["Name"], option_name))
            ),
            None,
        )
        if option is None or option["Status"] != "ACTIVE":
            errors.append(
                f"The tracking option '{option_name or option_id}' does not exist or is not "
                f"active in the tracking category '{category['Name']}'."
            )
            continue
        if any(t["TrackingCategoryID"] == category["TrackingCategoryID"] for t in result):
            errors.append(f"The tracking category '{category['Name']}' is used more than once.")
            continue
        result.append(
            {
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return result
