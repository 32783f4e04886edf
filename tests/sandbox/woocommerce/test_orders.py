"""Orders: listing, filters, totals worked out by hand, create/update/trash/delete."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from woocommerce import API

from tests.support.reference import woocommerce_sample

from .conftest import control, https, https_get, product


def _sum(values: list[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def test_inclusive_checkout_adds_up_to_shelf_prices(base: str):
    mug, beanie = product(base, "Ceramic Mug"), product(base, "Merino Beanie")
    assert (mug["price"], beanie["price"]) == ("17.50", "39.90")
    order = control(
        base,
        "orders",
        {"lines": [{"product_id": mug["id"]}, {"product_id": beanie["id"]}], "country": "NZ"},
    ).json()
    # 17.50 incl. 15% GST: tax 17.50*15/115 = 2.282609, ex-tax 15.217391
    # 39.90 incl. 15% GST: tax 5.204348, ex-tax 34.695652; shipping 8.00 + 15% = 1.20
    mug_line, beanie_line = order["line_items"]
    assert mug_line["taxes"] == [{"id": 1, "total": "2.282609", "subtotal": "2.282609"}]
    assert (mug_line["total"], mug_line["total_tax"], mug_line["price"]) == (
        "15.22",
        "2.28",
        15.217391,
    )
    assert (beanie_line["total"], beanie_line["total_tax"]) == ("34.70", "5.20")
    assert order["cart_tax"] == "7.48"
    assert order["shipping_tax"] == "1.20"
    assert order["total_tax"] == "8.68"
    assert order["total"] == "66.60"  # 17.50 + 39.90 + 8.00 + 1.20
    assert order["tax_lines"][0] | {"id": 0} == {
        "id": 0,
        "rate_code": "NZ-GST-1",
        "rate_id": 1,
        "label": "GST",
        "compound": False,
        "tax_total": "7.48",
        "shipping_tax_total": "1.20",
        "rate_percent": 15,
        "meta_data": [],
    }


def test_exclusive_order_with_percent_coupon(base: str):
    beanie = product(base, "Merino Beanie")
    order = control(
        base,
        "orders",
        {
            "lines": [{"product_id": beanie["id"], "quantity": 2}],
            "coupons": ["save10"],
            "prices_include_tax": False,
            "country": "NZ",
        },
    ).json()
    line = order["line_items"][0]
    # 2 x 39.90 = 79.80, 10% off = 7.98 -> 71.82; tax 15% of 71.82 = 10.773 -> 10.77
    assert (line["subtotal"], line["subtotal_tax"], line["total"], line["total_tax"]) == (
        "79.80",
        "11.97",
        "71.82",
        "10.77",
    )
    assert order["coupon_lines"][0]["discount"] == "7.98"
    assert order["coupon_lines"][0]["discount_tax"] == "1.20"  # 15% of 7.98 = 1.197
    assert (order["discount_total"], order["discount_tax"]) == ("7.98", "1.20")
    assert order["total"] == "91.79"  # 71.82 + 8.00 + 10.77 + 1.20
    assert order["prices_include_tax"] is False


def test_two_taxes_on_one_line_and_untaxed_shipping_rate(base: str):
    towel = product(base, "Tea Towel")
    order = control(
        base,
        "orders",
        {"lines": [{"product_id": towel["id"]}], "prices_include_tax": False, "country": "CA"},
    ).json()
    assert order["line_items"][0]["taxes"] == [
        {"id": 5, "total": "0.6", "subtotal": "0.6"},
        {"id": 6, "total": "0.84", "subtotal": "0.84"},
    ]
    assert order["shipping_lines"][0]["taxes"] == [{"id": 5, "total": "0.4", "subtotal": ""}]
    assert [
        (t["rate_code"], t["tax_total"], t["shipping_tax_total"]) for t in order["tax_lines"]
    ] == [
        ("CA-BC-GST-1", "0.60", "0.40"),
        ("CA-BC-PST-2", "0.84", "0.00"),
    ]
    assert order["total"] == "21.84"  # 12 + 8 + 0.60 + 0.84 + 0.40


def test_rest_create_recalculates_tax_exclusive(wc: API, base: str):
    towel = product(base, "Tea Towel")
    body = {
        "line_items": [{"product_id": towel["id"], "quantity": 2}],
        "shipping_lines": [
            {"method_id": "flat_rate", "method_title": "Flat rate", "total": "10.00"}
        ],
        "billing": {"first_name": "Rewi", "country": "NZ", "email": "rewi@example.com"},
        "set_paid": True,
    }
    response = wc.post("orders", body)
    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["Location"].endswith(f"/wp-json/wc/v3/orders/{order['id']}")
    # wc_get_price_excluding_tax: 24.00 - round(24 * 15/115 = 3.130435) = 20.87;
    # calculate_totals then taxes 20.87 at 15% = 3.1305 -> 3.13; shipping 10.00 + 1.50.
    line = order["line_items"][0]
    assert (line["total"], line["total_tax"], line["taxes"][0]["total"]) == (
        "20.87",
        "3.13",
        "3.1305",
    )
    assert order["total"] == "35.50"
    assert (order["created_via"], order["status"]) == ("rest-api", "processing")
    assert order["date_paid"] is not None
    assert order["needs_payment"] is False


LOYALTY = {"name": "Loyalty discount", "total": "-10", "tax_status": "none"}


def test_checkout_caps_a_negative_fee_at_the_basket(base: str):
    sticker = product(base, "Sticker Pack")
    body = {"lines": [{"product_id": sticker["id"]}], "fees": [LOYALTY], "shipping": False}
    order = control(base, "orders", {**body, "country": "NZ", "payment_method": "stripe"}).json()
    # WC_Cart_Totals::get_fees_from_cart: the fee takes at most the items and shipping
    # (4.50 incl. 15% GST: 3.913043 -> 3.91), so the order is left with the items' tax.
    (line,), (fee,) = order["line_items"], order["fee_lines"]
    assert (line["total"], line["total_tax"], fee["total"]) == ("3.91", "0.59", "-3.91")
    assert order["total"] == "0.59"
    refund = {"kind": "refund", "via": "rest", "amount": order["total"]}
    refunded = control(base, f"orders/{order['id']}", refund)
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"


def test_recalculating_caps_a_negative_fee_only_when_there_is_something_to_take(base: str):
    sticker = product(base, "Sticker Pack")
    address = {"billing": {"country": "NZ"}, "shipping": {"country": "NZ"}}
    with_items = {"line_items": [{"product_id": sticker["id"]}], "fee_lines": [LOYALTY]}
    order = https(base, "POST", "/orders", {**address, **with_items}).json()
    # calculate_totals: items 3.91 excl. tax (wc_get_price_excluding_tax), fee capped at
    # -3.91, tax 15% of 3.91 = 0.5865 -> 0.59
    assert (order["fee_lines"][0]["total"], order["total"]) == ("-3.91", "0.59")
    fee_only = https(base, "POST", "/orders", {**address, "fee_lines": [LOYALTY]}).json()
    # ... but only "while 0 > $max_discount": with nothing else the fee stays whole
    assert (fee_only["fee_lines"][0]["total"], fee_only["total"]) == ("-10.00", "-10.00")


def test_rest_update_and_coupon_errors(base: str):
    orders = https_get(base, "/orders", status="pending", per_page=1).json()
    target = orders[0]
    updated = https(
        base, "PUT", f"/orders/{target['id']}", {"status": "on-hold", "customer_note": "ring"}
    )
    assert updated.status_code == 200
    assert (updated.json()["status"], updated.json()["customer_note"]) == ("on-hold", "ring")
    notes = https_get(base, f"/orders/{target['id']}/notes").json()
    assert notes[0]["note"] == "Order status changed from Pending payment to On hold."
    assert notes[0]["author"] == "system"
    bad = https(base, "PUT", f"/orders/{target['id']}", {"coupon_lines": [{"code": "nope"}]})
    assert bad.json() == {
        "code": "woocommerce_rest_invalid_coupon",
        "message": 'Coupon "nope" does not exist!',
        "data": {"status": 400},
    }
    assert https(base, "PUT", "/orders/99999", {"status": "completed"}).json()["data"] == {
        "status": 400
    }


def test_missing_order(base: str):
    response = https_get(base, "/orders/99999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }


def test_trash_restore_and_force_delete(base: str):
    order = https_get(base, "/orders", status="processing", per_page=1).json()[0]
    trashed = https(base, "DELETE", f"/orders/{order['id']}")
    assert trashed.status_code == 200
    assert trashed.json()["status"] == "processing"  # the response is prepared before trashing
    assert https_get(base, f"/orders/{order['id']}").json()["status"] == "trash"
    again = https(base, "DELETE", f"/orders/{order['id']}")
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    assert order["id"] in [o["id"] for o in https_get(base, "/orders", status="trash").json()]
    assert order["id"] not in [o["id"] for o in https_get(base, "/orders", per_page=100).json()]
    restored = control(base, f"orders/{order['id']}", {"kind": "restore"}).json()
    assert restored["status"] == "processing"
    assert https(base, "DELETE", f"/orders/{order['id']}", force="true").status_code == 200
    assert https_get(base, f"/orders/{order['id']}").status_code == 404


def test_pagination_headers_and_links(base: str):
    first = https_get(base, "/orders", per_page=5, orderby="id", order="asc")
    assert first.headers["X-WP-Total"] == "23"
    assert first.headers["X-WP-TotalPages"] == "5"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    ids = [o["id"] for o in first.json()]
    assert ids == sorted(ids)
    last = https_get(base, "/orders", per_page=5, page=5, orderby="id", order="asc")
    assert len(last.json()) == 3
    assert "page=4" in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
    all_ids = [
        o["id"]
        for p in range(1, 6)
        for o in https_get(base, "/orders", per_page=5, page=p, orderby="id", order="asc").json()
    ]
    assert len(set(all_ids)) == 23
    included = https_get(base, "/orders", include=f"{ids[2]},{ids[0]}", orderby="include").json()
    assert [o["id"] for o in included] == [ids[2], ids[0]]


def test_modified_after_polling(base: str):
    everything = https_get(base, "/orders", per_page=100).json()
    newest = max(o["date_modified_gmt"] for o in everything)
    assert https_get(base, "/orders", modified_after=newest, dates_are_gmt="true").json() == []
    time.sleep(1.1)
    target = everything[-1]
    control(base, f"orders/{target['id']}", {"kind": "meta", "key": "poll", "value": "1"})
    changed = https_get(
        base,
        "/orders",
        modified_after=newest,
        dates_are_gmt="true",
        orderby="modified",
        order="asc",
    ).json()
    assert [o["id"] for o in changed] == [target["id"]]
    assert changed[0]["date_modified_gmt"] > newest
    local = https_get(base, "/orders", modified_after=changed[0]["date_modified"]).json()
    assert local == []


def test_generated_orders_add_up(base: str):
    orders = https_get(base, "/orders", per_page=100, status="any").json()
    statuses = {o["status"] for o in orders}
    assert {
        "pending",
        "processing",
        "on-hold",
        "completed",
        "cancelled",
        "refunded",
        "failed",
    } <= statuses
    assert {o["currency"] for o in orders} >= {"NZD", "USD"}
    assert {o["prices_include_tax"] for o in orders} == {True, False}
    assert any(o["customer_id"] == 0 for o in orders) and any(o["customer_id"] for o in orders)
    assert any(Decimal(f["total"]) < 0 for o in orders for f in o["fee_lines"])
    assert any(len(o["line_items"][0]["taxes"]) == 2 for o in orders if o["line_items"])
    assert any(
        line["variation_id"] and line["parent_name"] == "Hoodie"
        for o in orders
        for line in o["line_items"]
    )
    for o in orders:
        lines = _sum([i["total"] for i in o["line_items"]]) + _sum(
            [f["total"] for f in o["fee_lines"]]
        )
        assert Decimal(o["total"]) == lines + Decimal(o["shipping_total"]) + Decimal(
            o["total_tax"]
        ), o["id"]
        assert Decimal(o["cart_tax"]) == _sum([t["tax_total"] for t in o["tax_lines"]])
        assert Decimal(o["shipping_tax"]) == _sum([t["shipping_tax_total"] for t in o["tax_lines"]])
        assert Decimal(o["total_tax"]) == Decimal(o["cart_tax"]) + Decimal(o["shipping_tax"])


@pytest.mark.woocommerce_samples
def test_shapes_match_the_samples(base: str):
    sample = json.loads(woocommerce_sample("order_retrieve_v3_docs.json").read_text())
    order = next(o for o in https_get(base, "/orders", per_page=100).json() if o["customer_id"])
    added = {"payment_url", "is_editable", "needs_payment", "needs_processing", "currency_symbol"}
    assert set(order) == set(sample) | added
    assert set(order["billing"]) == set(sample["billing"])
    assert set(order["shipping"]) == set(sample["shipping"]) | {"phone"}
    assert set(order["line_items"][0]) == set(sample["line_items"][0]) | {"image", "parent_name"}
    assert set(order["_links"]) == {"self", "collection", "customer"}
    customer = https_get(base, f"/customers/{order['customer_id']}").json()
    assert set(customer) == set(
        json.loads(woocommerce_sample("customer_retrieve_v3_docs.json").read_text())
    )
    product = https_get(base, f"/products/{order['line_items'][0]['product_id']}").json()
    product_sample = json.loads(woocommerce_sample("product_retrieve_v3_docs.json").read_text())
    assert set(product) == set(product_sample) | {"low_stock_amount", "has_options"}


def test_php_style_json_and_dp(base: str):
    raw = https_get(base, "/orders", per_page=1).text
    assert '"href":"https:\\/\\/127.0.0.1:' in raw
    order = https_get(base, "/orders", per_page=1, dp=3).json()[0]
    assert len(order["total"].split(".")[1]) == 3


def test_coupon_rounding_remainder_and_fixed_cart_split(base: str):
    notebook, stickers = product(base, "Notebook"), product(base, "Sticker Pack")
    percent = control(
        base,
        "orders",
        {
            "lines": [{"product_id": stickers["id"]}, {"product_id": notebook["id"]}],
            "coupons": ["welcome15"],
            "prices_include_tax": False,
            "country": "NZ",
        },
    ).json()
    # 15% of 8.99 = 1.3485 -> floor 1.34; of 4.50 = 0.675 -> floor 0.67; whole cart
    # 15% of 13.49 = 2.0235 -> 2.02, so the missing cent goes to the dearer line: 1.35.
    totals = {line["name"]: line["total"] for line in percent["line_items"]}
    assert totals == {"Notebook": "7.64", "Sticker Pack": "3.83"}
    assert percent["coupon_lines"][0]["discount"] == "2.02"
    assert percent["coupon_lines"][0]["discount_tax"] == "0.30"  # 0.2025 -> 0.20, 0.1005 -> 0.10
    assert percent["total"] == "22.39"  # 7.64 + 3.83 + 8 + 1.15 + 0.57 + 1.20
    tote = product(base, "Canvas Tote")
    fixed = control(
        base,
        "orders",
        {
            "lines": [{"product_id": tote["id"]}, {"product_id": stickers["id"]}],
            "coupons": ["fiver"],
            "country": "NZ",
        },
    ).json()
    # 5.00 split 2.50 per unit on tax-inclusive prices: 21.50 and 2.00 remain, incl. GST.
    assert [(i["total"], i["total_tax"]) for i in fixed["line_items"]] == [
        ("18.70", "2.80"),
        ("1.74", "0.26"),
    ]
    assert (fixed["coupon_lines"][0]["discount"], fixed["coupon_lines"][0]["discount_tax"]) == (
        "4.34",
        "0.66",
    )
    assert fixed["total"] == "32.70"  # 24.00 + 4.50 - 5.00 + 8.00 + 1.20
