"""Xero reference data as the mapper sees it: what is active in the organisation (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tzlocal.windows_tz import win_tz

from server.mapping.dates import xero_date

Rows = Sequence[Mapping[str, Any]]
DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class TrackingCategory:
    name: str
    options: Mapping[str, str]  # lower-cased option name → the name as Xero spells it


@dataclass(frozen=True)
class Reference:
    timezone: str = DEFAULT_TIMEZONE  # IANA name
    base_currency: str = ""
    tax_rates: Mapping[str, Decimal] = field(default_factory=dict)  # TaxType → rate %
    accounts: Mapping[str, str] = field(default_factory=dict)  # Code → default TaxType
    rounding_account: str | None = None
    tracking: Mapping[str, TrackingCategory] = field(default_factory=dict)  # by lower name
    item_codes: frozenset[str] = frozenset()  # lower-cased Codes of existing items
    payment_accounts: frozenset[str] = frozenset()  # Codes that take payments (BANK, enabled)
    period_lock_date: date | None = None  # nothing dated on or before it (advisers excepted)
    end_of_year_lock_date: date | None = None  # nothing dated on or before it


def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


_WINDOWS_ZONES = {_key(name): zone for name, zone in win_tz.items()}


def iana_timezone(xero_name: str) -> str:
    """Xero names timezones as Windows does, upper-cased without spaces
    ("NEWZEALANDSTANDARDTIME"); the IANA zone for it, or UTC if unknown."""
    return _WINDOWS_ZONES.get(_key(xero_name or ""), DEFAULT_TIMEZONE)


def _rate(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def from_rows(
    organisation: Rows, tax_rates: Rows, accounts: Rows, tracking: Rows, items: Rows
) -> Reference:
    """A Reference from Xero's own JSON rows (as cached)."""
    org = organisation[0] if organisation else {}
    active_accounts = [row for row in accounts if row.get("Status", "ACTIVE") == "ACTIVE"]
    rounding = next(
        (row.get("Code") for row in active_accounts if row.get("SystemAccount") == "ROUNDING"),
        None,
    )
    categories = {}
    for row in tracking:
        if row.get("Status", "ACTIVE") != "ACTIVE" or not row.get("Name"):
            continue
        options = {
            str(option["Name"]).lower(): str(option["Name"])
            for option in row.get("Options") or []
            if option.get("Status", "ACTIVE") == "ACTIVE" and option.get("Name")
        }
        categories[str(row["Name"]).lower()] = TrackingCategory(str(row["Name"]), options)
    return Reference(
        timezone=iana_timezone(str(org.get("Timezone") or "")),
        base_currency=str(org.get("BaseCurrency") or ""),
        tax_rates={
            str(row["TaxType"]): _rate(row.get("EffectiveRate", row.get("DisplayTaxRate", 0)))
            for row in tax_rates
            if row.get("TaxType") and row.get("Status", "ACTIVE") == "ACTIVE"
        },
        accounts={
            str(row["Code"]): str(row.get("TaxType") or "")
            for row in active_accounts
            if row.get("Code")
        },
        rounding_account=str(rounding) if rounding else None,
        tracking=categories,
        item_codes=frozenset(str(row["Code"]).lower() for row in items if row.get("Code")),
        payment_accounts=frozenset(
            str(row["Code"])
            for row in active_accounts
            if row.get("Code")
            and (row.get("Type") == "BANK" or row.get("EnablePaymentsToAccount") is True)
        ),
        period_lock_date=xero_date(org.get("PeriodLockDate")),
        end_of_year_lock_date=xero_date(org.get("EndOfYearLockDate")),
    )
