"""Seeding: any seed fills a store with any number of orders, and every refund it makes is one
WooCommerce would accept.

Expected from WooCommerce 7.4: checkout never totals an order below zero (a negative fee is
capped, ``WC_Cart_Totals::get_fees_from_cart``); ``wc_create_refund`` refuses an amount below
zero or above the order's total less its refunds ("Invalid refund amount."); a refund's amount
is what its lines add up to when it has lines, and its tax lines sum its items' taxes per rate.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce.php.money import round_dp
from sandbox.woocommerce.store import seed
from sandbox.woocommerce.store.database import Store
from sandbox.woocommerce.store.models import FeeLine, LineItem, Order, Refund, ShippingLine

ZERO = Decimal(0)


def _seeded(seed_number: int, orders: int) -> Store:
    store = Store(StoreConfig(seed=seed_number, orders=orders))
    seed.populate(store)
    return store


def _items(record: Order | Refund) -> list[LineItem | FeeLine | ShippingLine]:
    return [*record.line_items, *record.fee_lines, *record.shipping_lines]


def _with_tax(item: LineItem | FeeLine | ShippingLine) -> Decimal:
    """An item's amount and taxes, each rounded to the cent as a refund takes them."""
    return sum((round_dp(v, 2) for v in (item.total, *item.taxes.values())), ZERO)


def _check_order(store: Store, order: Order) -> None:
    """The order's total, each refund's amount (what its lines add up to when it has lines) and
    tax lines, and no item refunded beyond itself."""
    assert order.total >= 0, order.id
    refunds = [store.refunds[r] for r in order.refund_ids]
    assert sum((r.amount for r in refunds), ZERO) <= order.total, order.id
    originals = {i.id: i for i in _items(order)}
    refunded: defaultdict[int, Decimal] = defaultdict(Decimal)
    for refund in refunds:
        assert refund.amount >= 0, refund.id
        lines = ZERO
        per_rate: defaultdict[int, Decimal] = defaultdict(Decimal)
        for item in _items(refund):
            (item_id,) = [int(m.value) for m in item.meta if m.key == "_refunded_item_id"]
            # wc_format_refund_total negates what was asked unless it is already negative
            asked = _with_tax(item) if originals[item_id].total < 0 else -_with_tax(item)
            lines += asked
            refunded[item_id] += asked
            for rate, tax in item.taxes.items():
                per_rate[rate] += tax
        if _items(refund):
            assert refund.amount == lines, refund.id
        taxes = {t.rate_id: t.tax_total + t.shipping_tax_total for t in refund.tax_lines}
        assert taxes == dict(per_rate), refund.id
    for item_id, amount in refunded.items():
        assert abs(amount) <= abs(_with_tax(originals[item_id])), order.id


@pytest.mark.parametrize("seed_number", range(40))
def test_every_seed_only_makes_refunds_woocommerce_accepts(seed_number: int):
    store = _seeded(seed_number, 300)
    assert len(store.orders) == 300
    assert store.refunds
    for order in store.orders.values():
        _check_order(store, order)


@pytest.mark.parametrize("seed_number", [StoreConfig().seed, 7])
def test_twenty_thousand_orders_seed(seed_number: int):
    store = _seeded(seed_number, 20_000)
    assert len(store.orders) == 20_000
    for order in store.orders.values():
        _check_order(store, order)
