"""The WooCommerce side of the mapper's property tests: orders built as the sandbox store's
records (`models`), priced by its calculator (the cart's `price_at_checkout` or the admin's
`recalculate`) and rendered by `render_orders` as `/wc/v3` returns them; how the tests read
them independently of the mapper; and the organisation and settings set up for them.

The one piece the sandbox does not model is WooCommerce's "Round tax at subtotal level"
setting; `_round_at_subtotal` re-aggregates the calculator's unrounded line taxes the way
`WC_Abstract_Order::update_taxes` / `calculate_totals` do under it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sandbox.woocommerce.config import StoreConfig, TaxRateSpec
from sandbox.woocommerce.php.money import round_dp
from sandbox.woocommerce.render import orders as render_orders
from sandbox.woocommerce.render.view import View
from sandbox.woocommerce.store.database import Store
from sandbox.woocommerce.store.models import (
    Coupon,
    CouponLine,
    FeeLine,
    LineItem,
    Order,
    Product,
    ShippingLine,
)
from sandbox.woocommerce.totals.calculator import price_at_checkout, recalculate
from server.stores.settings.schema import Documents, Modules, StoreSettings, TaxMappingRow
from tests.unit.mapping.helpers import nz_tenant, set_items, set_tax_type

D = Decimal
STORE_URL = "https://shop.example"
CONTACT_ID = "5b96e86b-418e-48e8-8949-308c14aec278"
PERCENTS = tuple(D(p) for p in ("15", "10", "5", "7", "12.5", "8.875", "20", "0", "9.975", "2.5"))
REDUCED_ID, ZERO_ID = 11, 12
TENANT = nz_tenant()  # shared: each example sets the tax types and items it uses


# -- WooCommerce: orders priced by the sandbox store -----------------------------------------


@dataclass(frozen=True)
class Spec:
    """What an order is made of; `build` has the sandbox WooCommerce price and render it.

    `standard` holds the standard rates by priority as (percent, compound, on shipping);
    `items` are (unit price, quantity, tax class, tax status, SKU); `coupons` (type, amount);
    `fees` (amount, tax status, tax class); `shipping` the shipping costs.
    """

    standard: tuple[tuple[Decimal, bool, bool], ...]
    reduced: Decimal
    inclusive: bool
    items: tuple[tuple[Decimal, int, str, str, str], ...]
    coupons: tuple[tuple[str, Decimal], ...] = ()
    fees: tuple[tuple[Decimal, str, str], ...] = ()
    shipping: tuple[Decimal, ...] = ()
    checkout: bool = True  # the cart's pricing, else the admin's "Recalculate"
    subtotal_rounding: bool = False
    discounts: str = "line"  # the mapper's discount mode
    status: str = "processing"
    hours: int = 0


@dataclass(frozen=True)
class Case:
    """A priced order (as GET /wc/v3/orders/<id> returns it) and its products."""

    spec: Spec
    order: dict[str, Any]
    products: dict[int, dict[str, Any]]
    rates: tuple[TaxRateSpec, ...]
    store: Store  # the sandbox store and its record of the order, for refunds
    record: Order


def _rates(spec: Spec) -> tuple[TaxRateSpec, ...]:
    rates = [
        TaxRateSpec(
            priority,
            "NZ",
            percent,
            f"Standard {priority}",
            priority=priority,
            compound=compound,
            shipping=shipping,
            order=priority,
        )
        for priority, (percent, compound, shipping) in enumerate(spec.standard, start=1)
    ]
    rates.append(TaxRateSpec(REDUCED_ID, "NZ", spec.reduced, "Reduced", "reduced-rate", order=20))
    rates.append(TaxRateSpec(ZERO_ID, "NZ", D(0), "Zero", "zero-rate", order=21))
    return tuple(rates)


def _round_at_subtotal(order: Order, dp: int) -> None:
    """WooCommerce's "Round tax at subtotal level": a rate's tax line is its lines' unrounded
    taxes summed, and the order total adds the unrounded taxes before rounding once."""
    cart: dict[int, Decimal] = defaultdict(Decimal)
    shipping: dict[int, Decimal] = defaultdict(Decimal)
    for line in [*order.line_items, *order.fee_lines]:
        for rate_id, tax in line.taxes.items():
            cart[rate_id] += tax
    for ship in order.shipping_lines:
        for rate_id, tax in ship.taxes.items():
            shipping[rate_id] += tax
    for tax_line in order.tax_lines:
        tax_line.tax_total = cart.get(tax_line.rate_id, D(0))
        tax_line.shipping_tax_total = shipping.get(tax_line.rate_id, D(0))
    order.cart_tax = sum(cart.values(), D(0))
    order.shipping_tax = sum(shipping.values(), D(0))
    order.total_tax = round_dp(order.cart_tax + order.shipping_tax, dp)
    items = sum((round_dp(i.total, dp) for i in order.line_items), D(0))
    charges = sum((round_dp(f.total, dp) for f in order.fee_lines), D(0))
    order.total = round_dp(
        items + charges + order.shipping_total + order.cart_tax + order.shipping_tax, dp
    )


def _cap_negative_fees(order: Order) -> bool:
    """WC_Cart_Totals: a negative fee never takes the total below zero. True if one changed."""
    running = sum((round_dp(i.total, 2) for i in order.line_items), D(0))
    running += sum((round_dp(s.total, 2) for s in order.shipping_lines), D(0))
    changed = False
    for fee in order.fee_lines:
        if fee.total < 0 and fee.total < -running:
            fee.total, fee.amount, changed = -running, str(-running), True
        running += fee.total
    return changed


def build(spec: Spec) -> Case:
    """The order the sandbox WooCommerce makes of `spec`, rendered as its REST API does."""
    rates = _rates(spec)
    store = Store(StoreConfig(tax_rates=rates, decimals=2, store_country="NZ"))
    when = datetime(2026, 3, 31, 20, 30, tzinfo=UTC) + timedelta(hours=spec.hours)
    order = Order(
        store.next_post_id(),
        "wc_order_x",
        "",
        "checkout",
        "7.4.1",
        spec.status,
        "NZD",
        spec.inclusive,
        when,
        when,
    )
    order.number = str(order.id)
    order.shipping.update(country="NZ")
    order.billing.update(country="NZ", first_name="Ana", email="ana@example.com")
    unit_prices: dict[int, Decimal] = {}
    for index, (unit, quantity, tax_class, tax_status, sku) in enumerate(spec.items):
        product = Product(
            store.next_post_id(),
            f"Product {index} &amp; more",
            f"p{index}",
            "simple",
            when,
            when,
            str(unit),
            sku=sku,
        )
        store.products[product.id] = product
        item = LineItem(
            store.next_item_id(), product.name, product.id, 0, quantity, tax_class, tax_status
        )
        unit_prices[item.id] = unit
        item.subtotal = item.total = unit * quantity
        order.line_items.append(item)
    coupons = []
    for index, (kind, amount) in enumerate(spec.coupons):
        coupons.append(Coupon(store.next_post_id(), f"c{index}", kind, amount))
        order.coupon_lines.append(CouponLine(store.next_item_id(), f"c{index}"))
    for index, (amount, tax_status, tax_class) in enumerate(spec.fees):
        order.fee_lines.append(
            FeeLine(
                store.next_item_id(), f"Fee {index}", str(amount), amount, tax_class, tax_status
            )
        )
    for index, cost in enumerate(spec.shipping):
        order.shipping_lines.append(
            ShippingLine(store.next_item_id(), f"Ship {index}", "flat_rate", str(index), cost)
        )
    for _ in range(2):
        if spec.checkout:
            price_at_checkout(order, unit_prices, coupons, store.tax_context())
        else:
            recalculate(order, coupons, store.tax_context())
        if not _cap_negative_fees(order):
            break
    if spec.subtotal_rounding:
        _round_at_subtotal(order, 2)
    store.orders[order.id] = order
    rendered = render_orders.order(View(store, f"{STORE_URL}/", 2), order)
    products = {p.id: {"id": p.id, "sku": p.sku, "categories": []} for p in store.products.values()}
    return Case(spec, over_the_wire(rendered), products, rates, store, order)


def over_the_wire(rendered: dict[str, Any]) -> dict[str, Any]:
    """A rendered record as a client reads it: JSON, numbers as JSON has them."""
    return json.loads(json.dumps(rendered))


prices = st.one_of(
    st.sampled_from([D("0"), D("0.01"), D("0.05"), D("0.99"), D("19.95"), D("39.90")]),
    st.decimals(min_value=0, max_value=500, places=2),
    st.decimals(min_value=0, max_value=99999, places=2),
)
percents = st.sampled_from(PERCENTS)
items = st.tuples(
    prices,
    st.one_of(st.integers(1, 5), st.integers(1, 10_000)),
    st.sampled_from(["", "", "", "reduced-rate", "zero-rate"]),
    st.sampled_from(["taxable", "taxable", "taxable", "none"]),
    st.sampled_from(["", "SKU-1", "SKU-2", "A-VERY-LONG-SKU-THAT-XERO-CANNOT-TAKE-1"]),
)
coupons = st.one_of(
    st.tuples(
        st.just("percent"),
        st.one_of(st.just(D(100)), st.decimals(min_value=1, max_value=100, places=2)),
    ),
    st.tuples(st.just("fixed_cart"), st.decimals(min_value=D("0.01"), max_value=2000, places=2)),
)
fees = st.tuples(
    st.one_of(
        st.decimals(min_value=D("0.01"), max_value=300, places=2),
        st.decimals(min_value=-300, max_value=D("-0.01"), places=2),
    ),
    st.sampled_from(["taxable", "taxable", "none"]),
    st.sampled_from(["", "reduced-rate"]),
)
specs = st.builds(
    Spec,
    standard=st.lists(
        st.tuples(percents, st.booleans(), st.booleans()), min_size=1, max_size=3
    ).map(lambda rows: tuple((p, c and i > 0, s) for i, (p, c, s) in enumerate(rows))),
    reduced=percents,
    inclusive=st.booleans(),
    items=st.lists(items, min_size=1, max_size=8).map(tuple),
    coupons=st.lists(coupons, max_size=2).map(tuple),
    fees=st.lists(fees, max_size=2).map(tuple),
    shipping=st.lists(prices, max_size=2).map(tuple),
    checkout=st.booleans(),
    subtotal_rounding=st.booleans(),
    discounts=st.sampled_from(["line", "separate_line"]),
    status=st.sampled_from(["processing", "completed", "pending", "on-hold"]),
    hours=st.integers(0, 72),
)


# -- reading the WooCommerce order independently of the mapper -------------------------------


def key_of(taxes: list[dict[str, Any]]) -> str:
    """The tax mapping key of a line with these taxes."""
    ids = sorted({int(t["id"]) for t in taxes})
    return "+".join(map(str, ids)) if ids else "none"


def charged_lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Products, shipping and fees (of an order or a refund)."""
    return [*order["line_items"], *order["shipping_lines"], *order["fee_lines"]]


def tax_type_of(key: str) -> str:
    """The organisation's tax type for a tax mapping key (one each)."""
    return f"WC{key}"


def _percent(key: str, rates: tuple[TaxRateSpec, ...]) -> Decimal:
    by_id = {rate.rate_id: rate.rate for rate in rates}
    return D(0) if key == "none" else sum((by_id[int(i)] for i in key.split("+")), D(0))


def tax_by_rate(order: dict[str, Any]) -> dict[int, Decimal]:
    """WooCommerce's tax per rate: its tax lines, items plus shipping."""
    return {
        int(t["rate_id"]): D(t["tax_total"]) + D(t["shipping_tax_total"])
        for t in order["tax_lines"]
    }


def settings_for(spec: Spec, keys: set[str]) -> StoreSettings:
    """Every module on, invoices authorised, and these keys mapped."""
    return StoreSettings(
        modules=Modules(tax_rates=True, contacts=True, items=True, invoices=True),
        documents=Documents(discounts=spec.discounts, invoice_status="AUTHORISED"),
        tax_mapping=[TaxMappingRow(woo_rates=k, xero_tax_type=tax_type_of(k)) for k in keys],
    )


def keys_of(order: dict[str, Any]) -> set[str]:
    """The tax mapping keys of the order's lines."""
    return {key_of(line["taxes"]) for line in charged_lines(order)}


def organisation_for(case: Case, keys: set[str]) -> None:
    """The organisation has a tax type per mapped rate (or combination), and no items yet."""
    for key in keys:
        set_tax_type(TENANT, tax_type_of(key), _percent(key, case.rates))
    set_items(TENANT, [])


# The same examples every run, so CI never turns red by chance; wider random searches are
# run by hand (about 150,000 orders so far).
PROPERTY = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
