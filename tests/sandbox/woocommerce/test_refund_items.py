"""What a refund holds: copies of the refunded product, fee and shipping items with negative
amounts, taxes per rate, and tax lines, as ``GET /orders/<id>/refunds/<id>`` renders them.

Expected from WooCommerce 7.4: ``wc_create_refund`` (items copied with ``_refunded_item_id``,
``wc_format_refund_total``, quantity ``-qty``, zero taxes dropped by ``array_filter``, other
ids ignored), ``update_taxes`` (a tax line per rate: the products' and fees' taxes, then
shipping's), ``RestApiUtil`` (the amount is what the lines add up to when none is given) and
the refunds controller (``line_items, shipping_lines, tax_lines, fee_lines``; no
``refund_total``, a write-only field).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce.__main__ import config_from_args
from sandbox.woocommerce.store import seed
from sandbox.woocommerce.store.database import Store

from .conftest import control, https, https_get, product

REFUND_KEYS = [
    "id", "date_created", "date_created_gmt", "amount", "reason", "refunded_by",
    "refunded_payment", "meta_data", "line_items", "shipping_lines", "tax_lines", "fee_lines",
    "_links",
]  # fmt: skip


def _towel_order(base: str, country: str, state: str = "", **spec: Any) -> dict[str, Any]:
    """One Tea Towel (12.00) at prices excluding tax, flat-rate shipping."""
    lines = [{"product_id": product(base, "Tea Towel")["id"], **spec.pop("line", {})}]
    body = {"lines": lines, "prices_include_tax": False, "country": country, "state": state}
    placed = control(base, "orders", {**body, **spec})
    assert placed.status_code == 200, placed.text
    return placed.json()


def _post_refund(base: str, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = https(base, "POST", f"/orders/{order_id}/refunds", body)
    assert response.status_code == 201, response.text
    return response.json()


def _cents(amount: Decimal) -> Decimal:
    """PHP's ``round($amount, 2)``: half away from zero."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _whole(line: dict[str, Any], quantity: int = 0) -> dict[str, Any]:
    """A REST refund line for all of an order item and its taxes, rounded as shown."""
    return {
        "id": line["id"],
        "quantity": quantity,
        "refund_total": line["total"],
        "refund_tax": [
            {"id": t["id"], "refund_total": str(_cents(Decimal(t["total"])))} for t in line["taxes"]
        ],
    }


def _refunded_from(line: dict[str, Any]) -> str:
    return next(m["value"] for m in line["meta_data"] if m["key"] == "_refunded_item_id")


def test_a_refund_of_a_product_a_fee_and_the_shipping(base: str):
    fee = {"name": "Gift wrapping", "total": "5"}
    order = _towel_order(base, "NZ", line={"quantity": 2}, fees=[fee])
    # 2 x 12.00 + 5.00 + 8.00, 15 % on each: 3.60 + 0.75 + 1.20
    assert order["total"] == "42.55"
    towel, wrap, ship = order["line_items"][0], order["fee_lines"][0], order["shipping_lines"][0]
    body = {
        "api_refund": False,
        "refunded_by": 7,
        "line_items": [
            {"id": towel["id"], "quantity": 1, "refund_total": 12, "refund_tax": [{"id": 1, "refund_total": 1.8}]},
            {"id": wrap["id"], "refund_total": 5, "refund_tax": [{"id": 1, "refund_total": 0.75}]},
            {"id": ship["id"], "refund_total": 8, "refund_tax": [{"id": 1, "refund_total": 1.2}]},
        ],
    }  # fmt: skip
    refund = _post_refund(base, order["id"], body)
    assert list(refund) == REFUND_KEYS
    assert (refund["amount"], refund["reason"], refund["refunded_by"]) == ("28.75", "", 1)
    line = refund["line_items"][0]
    assert (line["name"], line["product_id"], line["quantity"], line["price"]) == (
        "Tea Towel",
        towel["product_id"],
        -1,
        12,
    )
    assert (line["subtotal"], line["subtotal_tax"], line["total"], line["total_tax"]) == (
        "-12.00",
        "-1.80",
        "-12.00",
        "-1.80",
    )
    assert line["taxes"] == [{"id": 1, "total": "-1.8", "subtotal": "-1.8"}]
    assert "refund_total" not in line
    assert refund["fee_lines"][0] | {"id": 0, "meta_data": []} == {
        "id": 0, "name": "Gift wrapping", "tax_class": "", "tax_status": "taxable", "amount": "5",
        "total": "-5.00", "total_tax": "-0.75", "meta_data": [],
        "taxes": [{"id": 1, "total": "-0.75", "subtotal": ""}],
    }  # fmt: skip
    shipped = refund["shipping_lines"][0]
    assert (shipped["method_id"], shipped["instance_id"], shipped["total"]) == (
        "flat_rate",
        "1",
        "-8.00",
    )
    assert shipped["taxes"] == [{"id": 1, "total": "-1.2", "subtotal": ""}]
    refunded = [_refunded_from(i) for i in (line, refund["fee_lines"][0], shipped)]
    assert refunded == [str(towel["id"]), str(wrap["id"]), str(ship["id"])]
    tax = refund["tax_lines"][0]
    assert (tax["rate_code"], tax["compound"], tax["tax_total"], tax["shipping_tax_total"]) == (
        "NZ-GST-1",
        False,
        "-2.55",
        "-1.20",
    )
    after = https_get(base, f"/orders/{order['id']}").json()
    assert after["refunds"] == [{"id": refund["id"], "reason": "", "total": "-28.75"}]
    assert after["status"] == "processing"


def test_two_rates_on_a_line_refunded_together(base: str):
    order = _towel_order(base, "CA", "BC")
    # GST 5 % and PST 7 % (priority 2) on 12.00; shipping 15.00 carries GST only
    assert order["line_items"][0]["taxes"] == [
        {"id": 5, "total": "0.6", "subtotal": "0.6"},
        {"id": 6, "total": "0.84", "subtotal": "0.84"},
    ]
    line = order["line_items"][0]
    refund = _post_refund(base, order["id"], {"api_refund": False, "line_items": [_whole(line, 1)]})
    assert refund["amount"] == "13.44"
    assert refund["line_items"][0]["taxes"] == [
        {"id": 5, "total": "-0.6", "subtotal": "-0.6"},
        {"id": 6, "total": "-0.84", "subtotal": "-0.84"},
    ]
    summed = [
        (t["rate_code"], t["tax_total"], t["shipping_tax_total"]) for t in refund["tax_lines"]
    ]
    assert summed == [("CA-BC-GST-1", "-0.60", "0.00"), ("CA-BC-PST-2", "-0.84", "0.00")]
    assert https_get(base, f"/orders/{order['id']}").json()["status"] == "processing"


def test_a_compound_rate_and_a_full_refund_with_lines(base: str):
    spec = {"payment_method": "bacs", "status": "processing", "shipping_cost": 15}
    order = _towel_order(base, "CA", "PE", **spec)
    # GST 5 % on 12.00 = 0.60; PST 10 % compounded on 12.60 = 1.26. Shipping 15.00: GST 0.75,
    # PST 10 % of 15.75 = 1.575, 1.58 on the tax line. 12 + 15 + 0.60 + 1.26 + 0.75 + 1.58
    assert order["total"] == "31.19"
    ship = order["shipping_lines"][0]
    assert ship["taxes"] == [
        {"id": 7, "total": "0.75", "subtotal": ""},
        {"id": 8, "total": "1.575", "subtotal": ""},
    ]
    rates = [
        (t["rate_code"], t["compound"], t["tax_total"], t["shipping_tax_total"])
        for t in order["tax_lines"]
    ]
    assert rates == [("CA-PE-GST-1", False, "0.60", "0.75"), ("CA-PE-PST-2", True, "1.26", "1.58")]
    everything = [_whole(order["line_items"][0], 1), _whole(ship)]
    changed = control(base, f"orders/{order['id']}", {"kind": "refund", "line_items": everything})
    after = changed.json()
    assert (after["status"], after["refunds"][0]["total"]) == ("refunded", "-31.19")
    refund = https_get(base, f"/orders/{order['id']}/refunds/{after['refunds'][0]['id']}").json()
    refunded = [
        (t["rate_code"], t["compound"], t["tax_total"], t["shipping_tax_total"])
        for t in refund["tax_lines"]
    ]
    assert refunded == [
        ("CA-PE-GST-1", False, "-0.60", "-0.75"),
        ("CA-PE-PST-2", True, "-1.26", "-1.58"),
    ]
    assert refund["shipping_lines"][0]["taxes"] == [
        {"id": 7, "total": "-0.75", "subtotal": ""},
        {"id": 8, "total": "-1.58", "subtotal": ""},
    ]


def test_the_compound_rate_is_opt_in():
    assert {r.state for r in StoreConfig().tax_rates} == {"", "BC"}
    config, _host, _port = config_from_args(["--port", "9100", "--compound-rate"])
    assert [(r.rate_id, r.state, r.compound) for r in config.tax_rates[-2:]] == [
        (7, "PE", False),
        (8, "PE", True),
    ]
    plain, pei = Store(StoreConfig(orders=9)), Store(config)
    for store in (plain, pei):
        seed.populate(store)
    assert [o.shipping["state"] for o in plain.orders.values()].count("PE") == 0
    assert [o.shipping["state"] for o in pei.orders.values()][8] == "PE"


def test_the_seed_refunds_orders_that_combine_rates_item_by_item(base: str):
    orders = https_get(base, "/orders", per_page=100, status="any").json()
    combined = [
        o
        for o in orders
        if o["refunds"] and any(len(i["taxes"]) > 1 for i in o["line_items"] + o["shipping_lines"])
    ]
    assert {o["status"] for o in combined} >= {"refunded", "completed"}
    compound = False
    for order in combined:
        items = {str(i["id"]): i for i in order["line_items"] + order["shipping_lines"]}
        (refund,) = https_get(base, f"/orders/{order['id']}/refunds").json()
        refunded = refund["line_items"] + refund["shipping_lines"]
        assert refunded, order["id"]
        for line in refunded:
            item = items[_refunded_from(line)]
            shares = [
                (t["id"], _cents(Decimal(t["total"]) * _share(line, item))) for t in item["taxes"]
            ]
            expected = [{"id": rate, "total": -tax} for rate, tax in shares if tax]  # array_filter
            got = [{"id": t["id"], "total": _cents(Decimal(t["total"]))} for t in line["taxes"]]
            assert got == expected, order["id"]
        compound = compound or any(t["compound"] for t in refund["tax_lines"])
        if order["status"] == "refunded":
            assert refund["amount"] == order["total"]
        else:
            assert refund["date_created_gmt"] >= order["date_modified_gmt"]
    assert compound


def _share(line: dict[str, Any], item: dict[str, Any]) -> Decimal:
    """The part of an item the seed refunds (``store.history``): shipping whole, one unit of a
    product, or half a unit kept by the shopper (quantity 0)."""
    if "quantity" not in item:
        return Decimal(1)
    units = Decimal(-line["quantity"]) if line["quantity"] else Decimal("0.5")
    return units / item["quantity"]


def test_zero_taxes_are_dropped_from_a_refund(base: str):
    gift = product(base, "Gift Card")
    lines = [{"product_id": gift["id"]}]
    order = control(base, "orders", {"lines": lines, "country": "NZ", "shipping": False}).json()
    line = order["line_items"][0]
    assert (line["total"], line["taxes"]) == ("50.00", [{"id": 3, "total": "0", "subtotal": "0"}])
    body = {
        "line_items": [
            {
                "id": line["id"],
                "quantity": 1,
                "refund_total": 50,
                "refund_tax": [{"id": 3, "refund_total": 0}],
            }
        ]
    }
    refund = _post_refund(base, order["id"], body)
    assert (refund["line_items"][0]["taxes"], refund["tax_lines"]) == ([], [])
    assert https_get(base, f"/orders/{order['id']}").json()["status"] == "refunded"


def test_ids_that_are_not_the_orders_items_are_ignored_but_counted(base: str):
    order = _towel_order(base, "NZ")
    body = {"api_refund": False, "line_items": [{"id": 999999, "refund_total": "5.00"}]}
    refund = _post_refund(base, order["id"], body)
    assert (refund["amount"], refund["line_items"], refund["tax_lines"]) == ("5.00", [], [])
