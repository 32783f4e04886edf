"""``WC_Discounts``: how coupons split into per-item discounts, in whole cents.

Sourced behaviour: items are discounted in descending line-price order; percent coupons floor
each item's share and hand out the rounding remainder one cent per unit; fixed-cart coupons
split the amount evenly per unit (floored) and hand out what is left one cent per unit.
Assumed: "Calculate coupon discounts sequentially" is off (each coupon works on the
undiscounted price, capped by what is left of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ..store.models import Coupon

HUNDRED = Decimal(100)


@dataclass
class Priced:
    """An item to discount: its key, quantity and line price in cents (may be fractional)."""

    key: int
    quantity: int
    price: Decimal


def _cents(value: Decimal, rounding: str) -> int:
    return int(value.quantize(Decimal(1), rounding=rounding))


def apply_coupons(items: list[Priced], coupons: list[Coupon], dp: int) -> dict[str, dict[int, int]]:
    """Discount in cents per coupon code and item key."""
    ordered = sorted(items, key=lambda i: i.price, reverse=True)
    taken = {i.key: 0 for i in items}
    result: dict[str, dict[int, int]] = {}
    unit = Decimal(10) ** dp
    for coupon in coupons:
        given = {i.key: 0 for i in items}
        if coupon.discount_type == "percent":
            _percent(ordered, coupon.amount, taken, given)
        else:
            _fixed_cart(ordered, _cents(coupon.amount * unit, ROUND_HALF_UP), taken, given)
        result[coupon.code] = given
    return result


def _left(item: Priced, taken: dict[int, int]) -> int:
    return max(0, _cents(item.price, ROUND_HALF_UP) - taken[item.key])


def _give(item: Priced, amount: int, taken: dict[int, int], given: dict[int, int]) -> None:
    taken[item.key] += amount
    given[item.key] += amount


def _percent(
    items: list[Priced], percent: Decimal, taken: dict[int, int], given: dict[int, int]
) -> None:
    total = 0
    basis = Decimal(0)
    for item in items:
        price = Decimal(_cents(item.price, ROUND_HALF_UP))
        discount = min(_left(item, taken), _cents(price * percent / HUNDRED, ROUND_FLOOR))
        _give(item, discount, taken, given)
        total += discount
        basis += price
    whole = _cents(basis * percent / HUNDRED, ROUND_HALF_UP)
    if total < whole:
        _remainder(items, whole - total, taken, given)


def _fixed_cart(
    items: list[Priced], amount: int, taken: dict[int, int], given: dict[int, int]
) -> None:
    count = sum(i.quantity for i in items)
    while amount > 0 and count:
        per_unit = amount // count
        if per_unit == 0:
            _remainder(items, amount, taken, given)
            return
        applied = 0
        for item in items:
            discount = min(_left(item, taken), per_unit * item.quantity)
            _give(item, discount, taken, given)
            applied += discount
        if applied == 0:
            return
        amount -= applied


def _remainder(
    items: list[Priced], amount: int, taken: dict[int, int], given: dict[int, int]
) -> None:
    for item in items:
        for _ in range(item.quantity):
            if amount <= 0:
                return
            if _left(item, taken) > 0:
                _give(item, 1, taken, given)
                amount -= 1
