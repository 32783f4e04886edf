"""Tax rate lookup and ``WC_Tax::calc_tax`` (exclusive and inclusive, with compound rates)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..config import TaxRateSpec
from ..php.money import ZERO, raw

HUNDRED = Decimal(100)
TAX_CLASSES = (
    ("standard", "Standard"),
    ("reduced-rate", "Reduced rate"),
    ("zero-rate", "Zero rate"),
)


def rate_code(rate: TaxRateSpec) -> str:
    """``WC_Tax::get_rate_code``: COUNTRY-STATE-NAME-PRIORITY, upper case."""
    parts = (rate.country, rate.state, rate.name or "TAX", str(rate.priority))
    return "-".join(p for p in parts if p).upper()


def find_rates(
    rates: Iterable[TaxRateSpec], tax_class: str, country: str, state: str
) -> list[TaxRateSpec]:
    """``WC_Tax::find_rates``: the first matching rate of each priority, in priority order."""
    wanted = "" if tax_class in ("", "standard") else tax_class
    chosen: dict[int, TaxRateSpec] = {}
    for rate in sorted(rates, key=lambda r: (r.priority, r.order)):
        if rate.tax_class != wanted or rate.priority in chosen:
            continue
        if rate.country not in ("", country.upper()) or rate.state not in ("", state.upper()):
            continue
        chosen[rate.priority] = rate
    return list(chosen.values())


def find_shipping_rates(
    rates: Iterable[TaxRateSpec], country: str, state: str
) -> list[TaxRateSpec]:
    """Rates applied to shipping: standard-class rates flagged ``shipping``.

    Assumed: the store's "Shipping tax class" is the standard class (WooCommerce's default
    "based on cart items" picks the standard class whenever a cart holds a standard item).
    """
    return [r for r in find_rates(rates, "", country, state) if r.shipping]


def calc_tax(price: Decimal, rates: list[TaxRateSpec], inclusive: bool) -> dict[int, Decimal]:
    """``WC_Tax::calc_tax``: unrounded (6 dp) tax per rate id, in rate order."""
    taxes = dict.fromkeys((r.rate_id for r in rates), ZERO)
    regular = [r for r in rates if not r.compound]
    compound = [r for r in rates if r.compound]
    if inclusive:
        non_compound = price
        for rate in reversed(compound):
            amount = non_compound - non_compound / (1 + rate.rate / HUNDRED)
            taxes[rate.rate_id] += amount
            non_compound -= amount
        regular_total = 1 + sum((r.rate for r in regular), ZERO) / HUNDRED
        for rate in regular:
            taxes[rate.rate_id] += (rate.rate / HUNDRED) / regular_total * non_compound
    else:
        for rate in regular:
            taxes[rate.rate_id] = price * rate.rate / HUNDRED
        pre_compound = sum(taxes.values(), ZERO)
        for rate in compound:
            taxes[rate.rate_id] = (price + pre_compound) * rate.rate / HUNDRED
    return {rate_id: raw(amount) for rate_id, amount in taxes.items()}
