"""The tax mapping's keys as WooCommerce combines its rates: which rates tax one line
together, what they come to, and how to name them. Pure: rows in, keys and numbers out.

WooCommerce applies to a line one matching rate per priority (the most specific one for
the customer's location and the line's tax class), so two rates of one place with different
priorities tax a line together ("5+6"), and a compound rate is charged on the price plus
the other rates' taxes. Their effective rate is therefore a + b for rates side by side and
(1 + a)(1 + b) - 1 when b is compound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from server.mapping.lines import listed, tax_mapping_keys, to_int
from server.stores.settings.schema import rates_key

NO_TAX = "none"
HUNDRED = Decimal(100)
RATE_PLACES = Decimal("0.0001")  # Xero's EffectiveRate has four places


@dataclass(frozen=True)
class WooRate:
    """One row of WooCommerce > Settings > Tax, as its REST API reads it."""

    id: int
    name: str
    rate: Decimal | None  # percent; None if the row's rate is not a number
    priority: int
    compound: bool
    country: str
    state: str
    postcodes: frozenset[str]
    cities: frozenset[str]
    tax_class: str
    order: int

    @property
    def label(self) -> str:
        """ "VAT 20%", or the name or the percentage alone when the other is missing."""
        return " ".join(part for part in (self.name, _percent_text(self.rate)) if part)

    def applies_where(self, other: WooRate) -> bool:
        """Whether this rate also taxes the lines `other` taxes: same tax class, and a
        location that is `other`'s or wider (postcodes and cities compared as written)."""
        return (
            self.tax_class == other.tax_class
            and self.country in ("", other.country)
            and self.state in ("", other.state)
            and (not self.postcodes or bool(self.postcodes & other.postcodes))
            and (not self.cities or bool(self.cities & other.cities))
        )

    def specificity(self) -> tuple[bool, bool, bool, bool, int, int]:
        """WooCommerce's order among rates of one priority: the most specific first."""
        return (
            not self.country,
            not self.state,
            not self.postcodes,
            not self.cities,
            self.order,
            self.id,
        )


def _percent(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _percent_text(percent: Decimal | None) -> str:
    return f"{format(percent.normalize(), 'f')}%" if percent is not None else ""


def _names(row: Mapping[str, Any], many: str, one: str) -> frozenset[str]:
    values = [*listed(row.get(many)), row.get(one)]
    return frozenset(str(value).strip().upper() for value in values if str(value or "").strip())


def woo_rates(rows: Iterable[Mapping[str, Any]]) -> dict[int, WooRate]:
    """The store's WooCommerce rates by id, from the REST API's rows as cached (rows
    without an id are left out; missing fields take WooCommerce's defaults)."""
    rates = {}
    for row in rows:
        rate_id = to_int(row.get("id"))
        if rate_id <= 0:
            continue
        tax_class = str(row.get("class") or "").strip().lower()
        rates[rate_id] = WooRate(
            id=rate_id,
            name=str(row.get("name") or "").strip(),
            rate=_percent(row.get("rate", "")),
            priority=to_int(row.get("priority", 1)),
            compound=row.get("compound") is True,
            country=str(row.get("country") or "").strip().upper(),
            state=str(row.get("state") or "").strip().upper(),
            postcodes=_names(row, "postcodes", "postcode"),
            cities=_names(row, "cities", "city"),
            tax_class="" if tax_class == "standard" else tax_class,
            order=to_int(row.get("order")),
        )
    return rates


def combinations(rates: Mapping[int, WooRate]) -> set[str]:
    """The keys of the lines several of the store's rates tax at once: for the place and
    class of each rate, the rate WooCommerce picks at each priority, when more than one."""
    keys = set()
    for anchor in rates.values():
        chosen: dict[int, WooRate] = {}
        matching = (rate for rate in rates.values() if rate.applies_where(anchor))
        for rate in sorted(matching, key=WooRate.specificity):
            chosen.setdefault(rate.priority, rate)
        if len(chosen) > 1:
            keys.add(rates_key(rate.id for rate in chosen.values()))
    return keys


def members(key: str) -> list[int]:
    """The rate ids a key names ([] for "none")."""
    return [] if key == NO_TAX else [int(part) for part in key.split("+")]


def effective_rate(key: str, rates: Mapping[int, WooRate]) -> Decimal | None:
    """The percentage of the price a line keyed `key` is taxed, to four places: the rates
    side by side added, and each compound one charged on the price plus those (not on
    another compound rate's tax, as `WC_Tax::calc_exclusive_tax` does). None when a rate
    of the key is unknown or not a number."""
    chosen = [rates.get(rate_id) for rate_id in members(key)]
    known = [(rate, rate.rate) for rate in chosen if rate is not None and rate.rate is not None]
    if len(known) < len(chosen):
        return None
    simple = sum((percent for rate, percent in known if not rate.compound), Decimal(0))
    compound = sum((percent for rate, percent in known if rate.compound), Decimal(0))
    total = simple + compound * (HUNDRED + simple) / HUNDRED
    return total.quantize(RATE_PLACES)


def key_label(key: str, rates: Mapping[int, WooRate], fallback: str = "") -> str:
    """A key in words: "no tax", "VAT 20%", "GST 5% + PST 10% compound"; `fallback` (as the
    orders named it) when one of its rates is no longer among the store's."""
    if key == NO_TAX:
        return "no tax"
    ids = members(key)
    if fallback and any(rate_id not in rates for rate_id in ids):
        return fallback
    several = len(ids) > 1
    return " + ".join(_rate_name(rates.get(rate_id), rate_id, several) for rate_id in ids)


def _rate_name(rate: WooRate | None, rate_id: int, several: bool) -> str:
    if rate is None or not rate.label:
        return f"rate {rate_id}"
    return rate.label + (" compound" if several and rate.compound else "")


def order_keys(
    order: Mapping[str, Any], refunds: Sequence[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """The keys an order and its refunds carry, each with a label from the order's own tax
    lines ("GST 5% + PST 7%"), for keys whose rates the store has since deleted."""
    names: dict[int, str] = {}
    for tax_line in listed(order.get("tax_lines")):
        if not isinstance(tax_line, Mapping):
            continue
        parts = (
            str(tax_line.get("label") or "").strip(),
            _percent_text(_percent(tax_line.get("rate_percent", ""))),
        )
        names[to_int(tax_line.get("rate_id"))] = " ".join(part for part in parts if part)
    return {
        key: "no tax"
        if key == NO_TAX
        else " + ".join(names.get(rate_id) or f"rate {rate_id}" for rate_id in members(key))
        for key in tax_mapping_keys(order, refunds)
    }
