"""The tax mapping a store needs, and whether its rows can be used.

Needed: every key the store's orders carry (kept as each order is kept, so a status costs a
few rows however many orders there are), every one of its WooCommerce rates, every
combination those rates make on one line (`server.mapping.tax_keys`), and "none". A row is
refused when its Xero tax type is unknown, not active, or cannot be used on sales; it is
accepted with a warning when Xero's rate differs from what WooCommerce charges for its key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from server.database import dialect_insert
from server.extensions import db
from server.mapping import tax_keys
from server.mapping.tax_keys import NO_TAX, RATE_PLACES, WooRate
from server.models import ReferenceKind, SeenTaxKey, XeroReference
from server.models.types import utcnow
from server.stores.settings.schema import RATES_KEY, StoreSettings

Rows = Sequence[Mapping[str, Any]]
FROM_ORDERS = "orders"  # seen on an order or its refunds
FROM_RATES = "rates"  # one of the store's rates, or rates of one place taxing a line together
ALWAYS = "always"  # "none": a line without tax can always come


@dataclass(frozen=True)
class SeenKey:
    label: str  # the rates as the order named them
    woo_order_id: str  # the first order seen with the key


@dataclass(frozen=True)
class XeroTaxRate:
    tax_type: str
    name: str
    status: str
    rate: Decimal | None  # EffectiveRate, percent
    on_sales: bool  # CanApplyToRevenue

    @property
    def named(self) -> str:
        return f"{self.name} ({self.tax_type})" if self.name else self.tax_type


def xero_tax_rates(rows: Rows) -> dict[str, XeroTaxRate]:
    """Xero's tax rates as cached, by TaxType (every status: a refusal names it)."""
    rates = {}
    for row in rows:
        if not row.get("TaxType"):
            continue
        try:
            rate: Decimal | None = Decimal(str(row.get("EffectiveRate", row.get("DisplayTaxRate"))))
        except InvalidOperation:
            rate = None
        rates[str(row["TaxType"])] = XeroTaxRate(
            tax_type=str(row["TaxType"]),
            name=str(row.get("Name") or ""),
            status=str(row.get("Status") or "ACTIVE"),
            rate=rate if rate is not None and rate.is_finite() else None,
            on_sales=row.get("CanApplyToRevenue") is not False,  # absent: not known to refuse
        )
    return rates


@dataclass(frozen=True)
class NeededKey:
    """One key the mapping must hold: named, where it came from, what it maps to."""

    key: str
    label: str
    sources: tuple[str, ...]
    xero_tax_type: str | None
    woo_rate: Decimal | None  # what WooCommerce charges, percent; None if not known
    seen_on_order: str | None = None
    warning: str = ""

    @property
    def percent(self) -> str | None:
        """What WooCommerce charges, as people write it ("10", "12.5"; never "1E+1")."""
        return None if self.woo_rate is None else format(self.woo_rate.normalize(), "f")

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "sources": list(self.sources),
            "mapped": self.xero_tax_type is not None,
            "xero_tax_type": self.xero_tax_type,
            "woo_rate": self.percent,
            "seen_on_order": self.seen_on_order,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class TaxMappingStatus:
    """Every key the store needs mapped; `rates_read` is False if its WooCommerce rates
    were never read (then only the keys its orders carry, and "none", are known)."""

    rates_read: bool
    needed: tuple[NeededKey, ...]

    @property
    def unmapped(self) -> dict[str, str]:
        """Key → label of the needed keys without a row."""
        return {need.key: need.label for need in self.needed if need.xero_tax_type is None}

    @property
    def complete(self) -> bool:
        return not self.unmapped

    def describe(self) -> str:
        """What is missing, in words."""
        return describe_unmapped(self.unmapped, self.rates_read)

    def as_json(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "rates_read": self.rates_read,
            "needed": [need.as_json() for need in self.needed],
            "unmapped": [{"key": key, "label": label} for key, label in self.unmapped.items()],
        }


def describe_unmapped(unmapped: Mapping[str, str], rates_read: bool = True) -> str:
    """Unmapped keys in words: "WooCommerce rates 3 (VAT 20%), 5+6 (GST 5% + PST 7%) are
    not mapped, nor 'no tax'"."""
    rates = [
        f"{key} ({label})" if label else key for key, label in unmapped.items() if key != NO_TAX
    ]
    parts = []
    if len(rates) == 1:
        what = "rate combination" if "+" in rates[0].split(" ")[0] else "rate"
        parts.append(f"WooCommerce {what} {rates[0]} is not mapped")
    elif rates:
        parts.append(f"WooCommerce rates {', '.join(rates)} are not mapped")
    if NO_TAX in unmapped:
        parts.append("nor 'no tax'" if parts else "'no tax' is not mapped")
    text = ", ".join(parts)
    if not rates_read:
        text += "; the store's WooCommerce tax rates were never read: refresh tax rates first"
    return text


@dataclass(frozen=True)
class TaxNeeds:
    """What a store's tax mapping is judged against: its WooCommerce rates (None: never
    read), the keys seen on its orders, and Xero's tax rates (None: never read)."""

    woo_rates: Mapping[int, WooRate] | None
    seen: Mapping[str, SeenKey] = field(default_factory=dict)
    xero: Mapping[str, XeroTaxRate] | None = None

    def keys(self) -> dict[str, tuple[str, ...]]:
        """Every needed key → where it came from."""
        sources: dict[str, list[str]] = {key: [FROM_ORDERS] for key in self.seen}
        rates = self.woo_rates or {}
        for key in {str(rate_id) for rate_id in rates} | tax_keys.combinations(rates):
            sources.setdefault(key, []).append(FROM_RATES)
        sources.setdefault(NO_TAX, []).append(ALWAYS)
        return {key: tuple(sources[key]) for key in sorted(sources, key=_order)}

    def status(self, settings: StoreSettings) -> TaxMappingStatus:
        mapped = settings.tax_types()
        needed = []
        for key, sources in self.keys().items():
            seen = self.seen.get(key)
            tax_type = mapped.get(key)
            needed.append(
                NeededKey(
                    key=key,
                    label=self.label(key),
                    sources=sources,
                    xero_tax_type=tax_type,
                    woo_rate=self.woo_rate(key),
                    seen_on_order=seen.woo_order_id if seen else None,
                    warning=" ".join(filter(None, self.check(key, tax_type))) if tax_type else "",
                )
            )
        return TaxMappingStatus(rates_read=self.woo_rates is not None, needed=tuple(needed))

    def label(self, key: str) -> str:
        seen = self.seen.get(key)
        return tax_keys.key_label(key, self.woo_rates or {}, seen.label if seen else "")

    def woo_rate(self, key: str) -> Decimal | None:
        return tax_keys.effective_rate(key, self.woo_rates or {})

    def check(self, key: str, tax_type: str) -> tuple[str, str]:
        """(why a row mapping `key` to `tax_type` is refused, what it should be warned of);
        each "" when nothing. Nothing is checked against Xero's rates never read."""
        if self.xero is None:
            return "", ""
        rate = self.xero.get(tax_type)
        if rate is None:
            return f"no Xero tax rate of type {tax_type}", ""
        if rate.status != "ACTIVE":
            return f"the Xero tax rate {rate.named} is {rate.status.lower()}, not active", ""
        if not rate.on_sales:
            return f"the Xero tax rate {rate.named} cannot be used on sales", ""
        woo = self.woo_rate(key)
        if woo is None or rate.rate is None or rate.rate.quantize(RATE_PLACES) == woo:
            return "", ""
        return "", (
            f"{rate.named} is {_percent(rate.rate)} in Xero, but WooCommerce charges "
            f"{_percent(woo)} for {self.label(key)}: Xero's tax reports will not match the "
            "store's; check the mapping"
        )

    def check_rows(self, settings: StoreSettings) -> tuple[dict[str, str], dict[str, str]]:
        """Per-row errors and warnings of the mapping, by dotted path."""
        errors, warnings = {}, {}
        for index, row in enumerate(settings.tax_mapping):
            error, warning = self.check(row.woo_rates, row.xero_tax_type)
            path = f"tax_mapping.{index}.xero_tax_type"
            if error:
                errors[path] = error
            if warning:
                warnings[path] = warning
        return errors, warnings


def _order(key: str) -> tuple[bool, list[int]]:
    return key == NO_TAX, tax_keys.members(key)


def _percent(rate: Decimal) -> str:
    return f"{format(rate.normalize(), 'f')}%"


def needs_of(store_id: int) -> TaxNeeds:
    """The store's needs as cached: a few rows, whatever the number of its orders."""
    rows = db.session.execute(
        sa.select(XeroReference.kind, XeroReference.rows).where(
            XeroReference.store_id == store_id,
            XeroReference.kind.in_((ReferenceKind.WOO_TAX_RATES, ReferenceKind.TAX_RATES)),
        )
    )
    cached = {kind: data or [] for kind, data in rows}
    woo = cached.get(ReferenceKind.WOO_TAX_RATES)
    xero = cached.get(ReferenceKind.TAX_RATES)
    return TaxNeeds(
        woo_rates=None if woo is None else tax_keys.woo_rates(woo),
        seen=seen_keys(store_id),
        xero=None if xero is None else xero_tax_rates(xero),
    )


def seen_keys(store_id: int) -> dict[str, SeenKey]:
    rows = db.session.execute(
        sa.select(SeenTaxKey.woo_rates, SeenTaxKey.label, SeenTaxKey.woo_order_id).where(
            SeenTaxKey.store_id == store_id
        )
    )
    return {key: SeenKey(label, order) for key, label, order in rows}


def record_seen(
    store_id: int, woo_order_id: str, order: Mapping[str, Any], refunds: Rows = ()
) -> None:
    """Keep the keys an order (and its refunds) carries that the store had not seen yet.
    Never commits; two workers keeping orders at once both succeed."""
    known = set(seen_keys(store_id))
    fresh = {
        key: label
        for key, label in tax_keys.order_keys(order, refunds).items()
        if key not in known and RATES_KEY.fullmatch(key)  # longer ones the engine holds
    }
    if not fresh:
        return
    insert = dialect_insert()(SeenTaxKey.__table__).values(
        [
            {"store_id": store_id, "woo_rates": key, "label": label[:200],
             "woo_order_id": woo_order_id, "seen_at": utcnow()}
            for key, label in fresh.items()
        ]
    )  # fmt: skip
    db.session.execute(insert.on_conflict_do_nothing(index_elements=["store_id", "woo_rates"]))
