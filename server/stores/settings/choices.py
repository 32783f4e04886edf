"""What a store's settings choose from: the organisation's accounts (with the uses each type
fits), its tax rates with their percentages, its tracking categories with their options, the
store's payment gateways and the WooCommerce rate combinations the tax mapping needs — all as
last cached, so a form or the API lists them without calling Xero or WooCommerce.

Lists are bounded (an organisation's chart of accounts is hundreds of rows, not tens of
thousands): what is over a bound is left out and `truncated` says so.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.models import ReferenceKind
from server.stores.settings import rules, tax_mapping
from server.stores.settings.schema import MAX_GATEWAYS, MAX_TAX_MAPPING_ROWS

# The kinds of reference data choices are made from (not the items: they can be many).
CHOSEN_FROM = (
    ReferenceKind.ACCOUNTS,
    ReferenceKind.TAX_RATES,
    ReferenceKind.TRACKING_CATEGORIES,
    ReferenceKind.WOO_PAYMENT_GATEWAYS,
)
MAX_ACCOUNTS = 2000
MAX_TAX_RATES = 500
MAX_TRACKING_CATEGORIES = 50
MAX_TRACKING_OPTIONS = 500


class AccountUse(enum.StrEnum):
    """What an account field of the settings books, and so which account types fit it."""

    SALES = "sales"  # sales, shipping, fees
    ADJUSTMENT = "adjustment"  # discounts, rounding, a refund's unexplained amount
    PAYMENT = "payment"  # payments received (rules.payment_options)


INCOME_TYPES = frozenset({"REVENUE", "SALES", "OTHERINCOME"})
COST_TYPES = frozenset({"EXPENSE", "DIRECTCOSTS", "OVERHEADS"})
USE_TYPES = {AccountUse.SALES: INCOME_TYPES, AccountUse.ADJUSTMENT: INCOME_TYPES | COST_TYPES}
# Each account field of the document, with what it books.
ACCOUNT_FIELDS = {
    "accounts.sales": AccountUse.SALES,
    "accounts.shipping": AccountUse.SALES,
    "accounts.fees": AccountUse.SALES,
    "accounts.discounts": AccountUse.ADJUSTMENT,
    "accounts.rounding": AccountUse.ADJUSTMENT,
    "accounts.products": AccountUse.SALES,
    "accounts.categories": AccountUse.SALES,
    "payments.default_account": AccountUse.PAYMENT,
    "payments.by_gateway": AccountUse.PAYMENT,
    "refunds.amount_only_account": AccountUse.ADJUSTMENT,
}


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: str
    uses: tuple[AccountUse, ...]

    @property
    def named(self) -> str:
        return f"{self.code} — {self.name}" if self.name else self.code


@dataclass(frozen=True)
class TaxRate:
    tax_type: str
    name: str
    rate: str  # percent as Xero gives it ("15"), "" if unknown

    @property
    def named(self) -> str:
        percent = f" ({self.rate}%)" if self.rate else ""
        return f"{self.name or self.tax_type}{percent}"


@dataclass(frozen=True)
class Gateway:
    id: str
    title: str
    enabled: bool


@dataclass(frozen=True)
class Choices:
    """Everything the settings choose from; a kind never read is empty and `read` lacks it."""

    accounts: tuple[Account, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    tracking: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name → options
    gateways: tuple[Gateway, ...] = ()
    tax_keys: tuple[tax_mapping.NeededKey, ...] = ()
    read: frozenset[ReferenceKind] = frozenset()
    truncated: frozenset[str] = frozenset()

    def accounts_for(self, use: AccountUse) -> list[Account]:
        return [account for account in self.accounts if use in account.uses]

    def as_json(self) -> dict[str, Any]:
        return {
            "accounts": [
                {"code": a.code, "name": a.name, "type": a.type, "uses": list(a.uses)}
                for a in self.accounts
            ],
            "account_fields": {name: use.value for name, use in ACCOUNT_FIELDS.items()},
            "tax_rates": [
                {"tax_type": t.tax_type, "name": t.name, "rate": t.rate} for t in self.tax_rates
            ],
            "tracking_categories": [
                {"name": name, "options": list(options)} for name, options in self.tracking.items()
            ],
            "gateways": [
                {"id": g.id, "title": g.title, "enabled": g.enabled} for g in self.gateways
            ],
            "rate_combinations": [
                {"key": need.key, "label": need.label, "woo_rate": need.as_json()["woo_rate"]}
                for need in self.tax_keys
            ],
            "read": sorted(kind.value for kind in self.read),
            "truncated": sorted(self.truncated),
        }


def choices_of(store_id: int, status: tax_mapping.TaxMappingStatus) -> Choices:
    """The store's choices as cached; the rate combinations are `status`'s needed keys."""
    return from_cache(rules.cached_references(store_id, CHOSEN_FROM), status.needed)


def from_cache(
    cached: Mapping[ReferenceKind, rules.Rows], tax_keys: tuple[tax_mapping.NeededKey, ...] = ()
) -> Choices:
    """Choices from cached reference rows (pure)."""
    payment_codes = {row["code"] for row in rules.payment_options(cached)["accounts"]}
    accounts = []
    for row in cached.get(ReferenceKind.ACCOUNTS, ()):
        code = str(row.get("Code") or "")
        if not code or row.get("Status", "ACTIVE") != "ACTIVE":
            continue
        kind = str(row.get("Type") or "")
        uses = tuple(use for use, types in USE_TYPES.items() if kind in types)
        uses += (AccountUse.PAYMENT,) if code in payment_codes else ()
        if uses:
            accounts.append(Account(code, str(row.get("Name") or ""), kind, uses))
    tax_rates = [
        TaxRate(rate.tax_type, rate.name, "" if rate.rate is None else _percent(rate.rate))
        for rate in tax_mapping.xero_tax_rates(cached.get(ReferenceKind.TAX_RATES, ())).values()
        if rate.status == "ACTIVE" and rate.on_sales
    ]
    tracking = {}
    for row in cached.get(ReferenceKind.TRACKING_CATEGORIES, ()):
        if row.get("Status", "ACTIVE") != "ACTIVE" or not row.get("Name"):
            continue
        options = [
            str(option["Name"])
            for option in row.get("Options") or ()
            if option.get("Status", "ACTIVE") == "ACTIVE" and option.get("Name")
        ]
        tracking[str(row["Name"])] = tuple(options[:MAX_TRACKING_OPTIONS])
    gateways = [
        Gateway(row["id"], row["title"], row["enabled"])
        for row in rules.payment_options(cached)["gateways"]
    ]
    bounds = {
        "accounts": (accounts, MAX_ACCOUNTS),
        "tax_rates": (tax_rates, MAX_TAX_RATES),
        "tracking_categories": (list(tracking), MAX_TRACKING_CATEGORIES),
        "gateways": (gateways, MAX_GATEWAYS),
        "rate_combinations": (list(tax_keys), MAX_TAX_MAPPING_ROWS),
    }
    return Choices(
        accounts=tuple(accounts[:MAX_ACCOUNTS]),
        tax_rates=tuple(tax_rates[:MAX_TAX_RATES]),
        tracking=dict(list(tracking.items())[:MAX_TRACKING_CATEGORIES]),
        gateways=tuple(gateways[:MAX_GATEWAYS]),
        tax_keys=tax_keys[:MAX_TAX_MAPPING_ROWS],
        read=frozenset(cached),
        truncated=frozenset(name for name, (rows, bound) in bounds.items() if len(rows) > bound),
    )


def _percent(rate: Any) -> str:
    return format(rate.normalize(), "f")
