"""Xero's arithmetic for sales documents, predicted exactly (pure, Decimal only).

Xero keeps Quantity to 4 dp and UnitAmount to 2 dp (4 with `unitdp=4`), computes
`LineAmount = round2(Quantity * UnitAmount - DiscountAmount)`, rounds tax per line to the cent
(an explicit `TaxAmount` wins) and sums the rounded lines: Exclusive totals are lines + tax,
Inclusive totals are the lines alone. Midpoints round half away from zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_to(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round2(value: Decimal) -> Decimal:
    return round_to(value, 2)


def away_from_zero(value: Decimal, places: int) -> Decimal:
    """`value` rounded to `places` away from zero (up for positives)."""
    rounding = ROUND_CEILING if value >= 0 else ROUND_FLOOR
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def toward_zero(value: Decimal, places: int) -> Decimal:
    rounding = ROUND_FLOOR if value >= 0 else ROUND_CEILING
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


@dataclass(frozen=True)
class PricedLine:
    """The numbers of one line as sent to Xero."""

    quantity: Decimal
    unit_amount: Decimal
    discount_amount: Decimal  # 2 dp; 0 when none
    tax_amount: Decimal  # 2 dp, explicit

    @property
    def gross(self) -> Decimal:
        return self.quantity * self.unit_amount

    @property
    def line_amount(self) -> Decimal:
        return round2(self.gross - self.discount_amount)


def price_line(
    quantity: Decimal, amount: Decimal, unitdp: int, tax: Decimal, *, discounts: bool = True
) -> PricedLine:
    """Quantity and unit amount for a line that must come to `amount` (2 dp) before any
    discount. When `amount / quantity` needs more places than Xero keeps, the unit amount is
    rounded away from zero and the difference becomes a discount of at most a cent a unit;
    on documents without discounts (credit notes) the line becomes one unit of `amount`."""
    quantity = round_to(quantity, 4)
    if quantity == 0:
        quantity = Decimal("1.0000")
    unit = round_to(amount / quantity, unitdp)
    if round2(quantity * unit) == amount:
        return PricedLine(quantity, unit, ZERO, tax)
    if not discounts:
        return PricedLine(Decimal("1.0000"), round_to(amount, unitdp), ZERO, tax)
    unit = away_from_zero(amount / quantity, unitdp)
    return with_discount(PricedLine(quantity, unit, ZERO, tax), target=amount)


def with_discount(line: PricedLine, target: Decimal) -> PricedLine:
    """`line` discounted so that its LineAmount comes to `target` where Xero allows it: a
    discount is never negative, never above the gross amount, and kept to 2 dp."""
    discount = round2(line.gross) - target
    if line.gross >= 0 and discount > line.gross and line.quantity:
        # Nothing may be left (a 100 % discount) but the gross ends in half a cent or more,
        # so the whole of it is a discount above the gross: whole-cent unit amounts avoid it.
        line = PricedLine(line.quantity, away_from_zero(line.unit_amount, 2), ZERO, line.tax_amount)
        discount = round2(line.gross) - target
    if line.gross >= 0:
        discount = min(discount, toward_zero(line.gross, 2))
        discount = max(discount, ZERO)
    else:  # Xero refuses any discount on a negative line
        discount = ZERO
    return PricedLine(line.quantity, line.unit_amount, discount, line.tax_amount)


def document_total(lines: Iterable[PricedLine], inclusive: bool) -> Decimal:
    lines = list(lines)
    amounts = sum((line.line_amount for line in lines), ZERO)
    if inclusive:
        return amounts
    return amounts + sum((line.tax_amount for line in lines), ZERO)


def allocate(target: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `target` (2 dp) into cents in proportion to `weights` (largest remainder), so
    the parts sum to `target` exactly. Equal weights split evenly, earlier ones first."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    if total == 0:
        shares = [target / len(weights)] * len(weights)
    else:
        shares = [target * weight / total for weight in weights]
    parts = [toward_zero(share, 2) for share in shares]
    left = int(((target - sum(parts, ZERO)) / CENT).to_integral_value(ROUND_HALF_UP))
    step = CENT if left > 0 else -CENT
    order = sorted(
        range(len(shares)), key=lambda index: (-abs(shares[index] - parts[index]), index)
    )
    for index in order[: abs(left)]:
        parts[index] += step
    return parts
