"""Order totals as WooCommerce computes them, with tax rounded per line (the default).

Two paths, as in WooCommerce:

* ``price_at_checkout`` follows ``WC_Cart_Totals``: entered prices may include tax, taxes are
  taken out of them unrounded, so lines of an inclusive order add up to the shelf price.
* ``recalculate`` follows ``WC_Abstract_Order::calculate_totals`` (REST create/update, admin
  "Recalculate"): item totals are treated as tax-exclusive and taxes are computed on them.

Shared: ``tax_total`` of a tax line is the sum of each line's tax for that rate rounded to the
store's decimals; ``total = Σ round(item totals) + Σ round(fees) + shipping + taxes``; a
negative fee is capped so that it takes no more than the items, the fees before it and the
shipping (``_cap_negative_fees``), so a checked-out order's total is never below zero.
Assumed: fees and shipping are entered excluding tax; negative fees carry no tax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from ..config import TaxRateSpec
from ..php.money import ZERO, raw, round_dp
from ..store.models import Coupon, LineItem, Order, TaxLine
from .discounts import Priced, apply_coupons
from .taxes import calc_tax, find_rates, find_shipping_rates, rate_code


class Taxed(Protocol):
    """An item with taxes per rate id (a product, fee or shipping line)."""

    taxes: dict[int, Decimal]


@dataclass
class TaxContext:
    """What the calculator needs from the store."""

    rates: tuple[TaxRateSpec, ...]
    dp: int
    store_country: str
    next_item_id: Callable[[], int]

    def rounded(self, taxes: dict[int, Decimal]) -> Decimal:
        """A line's tax total: each rate's tax rounded, then summed."""
        return sum((round_dp(t, self.dp) for t in taxes.values()), ZERO)


def location(order: Order, store_country: str) -> tuple[str, str]:
    """Country and state taxes are based on: shipping, else billing, else the store."""
    for address in (order.shipping, order.billing):
        if address.get("country"):
            return address["country"], address.get("state", "")
    return store_country, ""


def _item_rates(ctx: TaxContext, order: Order, item: LineItem) -> list[TaxRateSpec]:
    if item.tax_status != "taxable":
        return []
    country, state = location(order, ctx.store_country)
    return find_rates(ctx.rates, item.tax_class, country, state)


def price_at_checkout(
    order: Order, unit_prices: dict[int, Decimal], coupons: list[Coupon], ctx: TaxContext
) -> None:
    """Price a new order the way the cart does; ``unit_prices`` are shelf prices per item id."""
    inclusive = order.prices_include_tax
    scale = Decimal(10) ** ctx.dp
    gross: dict[int, Decimal] = {}
    for item in order.line_items:
        gross[item.id] = unit_prices[item.id] * item.quantity
        rates = _item_rates(ctx, order, item)
        item.subtotal_taxes = calc_tax(gross[item.id], rates, inclusive) if rates else {}
        item.subtotal = _net(gross[item.id], item.subtotal_taxes, inclusive)
    priced = [Priced(i.id, i.quantity, gross[i.id] * scale) for i in order.line_items]
    discounts = apply_coupons(priced, coupons, ctx.dp)
    for item in order.line_items:
        off = sum((Decimal(d[item.id]) for d in discounts.values()), ZERO) / scale
        rates = _item_rates(ctx, order, item)
        item.taxes = calc_tax(gross[item.id] - off, rates, inclusive) if rates else {}
        item.total = _net(gross[item.id] - off, item.taxes, inclusive)
    _coupon_lines(order, discounts, ctx)
    _cap_negative_fees(order, ctx.dp, at_checkout=True)
    _tax_extras(order, ctx)
    finalize(order, ctx, discounts_from_coupons=True)


def recalculate(order: Order, coupons: list[Coupon], ctx: TaxContext) -> None:
    """``calculate_totals(true)``, re-applying coupons first when the order has any."""
    for item in order.line_items:
        rates = _item_rates(ctx, order, item)
        item.subtotal_taxes = calc_tax(item.subtotal, rates, False) if rates else {}
    if coupons:
        scale = Decimal(10) ** ctx.dp
        priced = []
        for item in order.line_items:
            price = item.subtotal
            if order.prices_include_tax:
                price += ctx.rounded(item.subtotal_taxes)
            priced.append(Priced(item.id, item.quantity, price * scale))
        discounts = apply_coupons(priced, coupons, ctx.dp)
        for item in order.line_items:
            off = sum((Decimal(d[item.id]) for d in discounts.values()), ZERO) / scale
            rates = _item_rates(ctx, order, item)
            if order.prices_include_tax and rates:
                off -= sum(calc_tax(off, rates, True).values(), ZERO)
            item.total = raw(max(ZERO, item.subtotal - off))
        _coupon_lines(order, discounts, ctx)
    for item in order.line_items:
        rates = _item_rates(ctx, order, item)
        item.taxes = calc_tax(item.total, rates, False) if rates else {}
    _cap_negative_fees(order, ctx.dp, at_checkout=False)
    _tax_extras(order, ctx)
    finalize(order, ctx, discounts_from_coupons=False)


def _net(gross: Decimal, taxes: dict[int, Decimal], inclusive: bool) -> Decimal:
    return raw(gross - sum(taxes.values(), ZERO)) if inclusive else gross


def _coupon_lines(order: Order, discounts: dict[str, dict[int, int]], ctx: TaxContext) -> None:
    scale = Decimal(10) ** ctx.dp
    items = {i.id: i for i in order.line_items}
    for line in order.coupon_lines:
        per_item = discounts.get(line.code, {})
        amount = sum((Decimal(c) for c in per_item.values()), ZERO) / scale
        tax = ZERO
        for item_id, cents in per_item.items():
            rates = _item_rates(ctx, order, items[item_id])
            if rates and cents:
                share = calc_tax(Decimal(cents) / scale, rates, order.prices_include_tax)
                tax += round_dp(sum(share.values(), ZERO), ctx.dp)
        line.discount_tax = tax
        line.discount = amount - tax if order.prices_include_tax else amount


def _cap_negative_fees(order: Order, dp: int, at_checkout: bool) -> None:
    """WooCommerce's "Negative fees should not make the order total go negative": a negative
    fee is raised to minus what the items, the fees before it and the shipping add up to
    (excluding tax).
    Checkout (``WC_Cart_Totals::get_fees_from_cart``) always caps; recalculating
    (``WC_Abstract_Order::calculate_totals``) caps only while that sum is above zero. Without
    the cap a small basket with a discount fee would total below zero, which no refund can
    fit (``wc_create_refund`` refuses a negative amount)."""
    running = sum((round_dp(i.total, dp) for i in order.line_items), ZERO)
    running += sum((round_dp(s.total, dp) for s in order.shipping_lines), ZERO)
    for fee in order.fee_lines:
        if fee.total < 0:
            floor = round_dp(ZERO - running, dp)
            if fee.total < floor and (at_checkout or floor < 0):
                fee.total = floor
        running += fee.total


def _tax_extras(order: Order, ctx: TaxContext) -> None:
    country, state = location(order, ctx.store_country)
    for fee in order.fee_lines:
        taxable = fee.tax_status == "taxable" and fee.total > 0
        rates = find_rates(ctx.rates, fee.tax_class, country, state) if taxable else []
        fee.taxes = calc_tax(fee.total, rates, False) if rates else {}
    shipping_rates = find_shipping_rates(ctx.rates, country, state)
    for line in order.shipping_lines:
        line.taxes = calc_tax(line.total, shipping_rates, False) if shipping_rates else {}


def finalize(order: Order, ctx: TaxContext, discounts_from_coupons: bool) -> None:
    """Rebuild tax lines and every order-level total from the lines."""
    dp = ctx.dp
    cart = rate_totals([*order.line_items, *order.fee_lines], dp)
    shipping = rate_totals(order.shipping_lines, dp)
    order.tax_lines = tax_lines(order.tax_lines, ctx, cart, shipping)
    order.cart_tax = sum(cart.values(), ZERO)
    order.shipping_tax = sum(shipping.values(), ZERO)
    order.total_tax = round_dp(order.cart_tax + order.shipping_tax, dp)
    order.shipping_total = sum((round_dp(s.total, dp) for s in order.shipping_lines), ZERO)
    items_total = sum((round_dp(i.total, dp) for i in order.line_items), ZERO)
    if discounts_from_coupons:
        order.discount_total = sum((c.discount for c in order.coupon_lines), ZERO)
        order.discount_tax = sum((c.discount_tax for c in order.coupon_lines), ZERO)
    else:
        subtotal = sum((round_dp(i.subtotal, dp) for i in order.line_items), ZERO)
        order.discount_total = round_dp(subtotal - items_total, dp)
        order.discount_tax = round_dp(
            sum(
                (ctx.rounded(i.subtotal_taxes) - ctx.rounded(i.taxes) for i in order.line_items),
                ZERO,
            ),
            dp,
        )
    fees = sum((round_dp(f.total, dp) for f in order.fee_lines), ZERO)
    order.total = round_dp(
        items_total + fees + order.shipping_total + order.cart_tax + order.shipping_tax, dp
    )


def rate_totals(lines: Iterable[Taxed], dp: int) -> dict[int, Decimal]:
    """Each rate's tax over ``lines``, every line's tax rounded first (rounding per line, the
    default: ``WC_Abstract_Order::update_taxes`` / ``round_line_tax``)."""
    totals: dict[int, Decimal] = {}
    for line in lines:
        for rate_id, tax in line.taxes.items():
            totals[rate_id] = totals.get(rate_id, ZERO) + round_dp(tax, dp)
    return totals


def tax_lines(
    existing: list[TaxLine],
    ctx: TaxContext,
    cart: dict[int, Decimal],
    shipping: dict[int, Decimal],
) -> list[TaxLine]:
    """``update_taxes``: one line per rate, cart rates first, then rates only shipping has;
    an existing line keeps its id. A rate the store no longer has gets WooCommerce's empty
    code and the label "Tax" (``WC_Tax::get_rate_label``)."""
    kept = {t.rate_id: t for t in existing}
    by_id = {r.rate_id: r for r in ctx.rates}
    lines = []
    for rate_id in dict.fromkeys([*cart, *shipping]):
        line = kept.get(rate_id) or _new_tax_line(ctx, rate_id, by_id.get(rate_id))
        line.tax_total = cart.get(rate_id, ZERO)
        line.shipping_tax_total = shipping.get(rate_id, ZERO)
        lines.append(line)
    return lines


def _new_tax_line(ctx: TaxContext, rate_id: int, rate: TaxRateSpec | None) -> TaxLine:
    if rate is None:
        return TaxLine(ctx.next_item_id(), rate_id, "", "Tax", False, ZERO)
    code = rate_code(rate)
    return TaxLine(ctx.next_item_id(), rate_id, code, rate.name, rate.compound, rate.rate)
