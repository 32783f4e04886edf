"""Refunds (partial with lines, amount-only, full) and order notes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.support.reference import woocommerce_sample

from .conftest import control, https, https_get


def _fresh_order(base: str) -> dict:
    mug = next(p for p in https_get(base, "/products", search="Ceramic Mug").json())
    return control(
        base,
        "orders",
        {
            "lines": [{"product_id": mug["id"], "quantity": 2}],
            "country": "NZ",
            "payment_method": "bacs",
        },
    ).json()


def _refund_one_of_two(base: str) -> tuple[dict[str, Any], dict[str, Any], requests.Response]:
    """A fresh order of two mugs, its line, and the answer to refunding one mug ("Chipped")."""
    order = _fresh_order(base)
    line = order["line_items"][0]
    body = {
        "api_refund": False,
        "reason": "Chipped",
        "line_items": [
            {
                "id": line["id"],
                "quantity": 1,
                "refund_total": 15.22,
                "refund_tax": [{"id": 1, "refund_total": 2.28}],
            }
        ],
    }
    return order, line, https(base, "POST", f"/orders/{order['id']}/refunds", body)


def test_partial_refund_with_a_line(base: str):
    order, line, response = _refund_one_of_two(base)
    # 2 x 17.50 incl. GST = 35.00: ex-tax 30.43, tax 4.565217 -> 4.57; shipping 8.00 + 1.20
    assert (line["total"], line["total_tax"], order["total"]) == ("30.43", "4.57", "44.20")
    assert response.status_code == 201, response.text
    refund = response.json()
    assert (refund["amount"], refund["reason"], refund["refunded_payment"]) == (
        "17.50",
        "Chipped",
        False,
    )
    refunded = refund["line_items"][0]
    assert (refunded["quantity"], refunded["total"], refunded["total_tax"]) == (
        -1,
        "-15.22",
        "-2.28",
    )
    assert refunded["taxes"] == [{"id": 1, "total": "-2.28", "subtotal": "-2.28"}]
    assert refunded["meta_data"][0]["key"] == "_refunded_item_id"
    assert refunded["meta_data"][0]["value"] == str(line["id"])
    assert refunded["price"] == 15.22  # total / quantity = -15.22 / -1
    assert refund["tax_lines"][0]["tax_total"] == "-2.28"
    after = https_get(base, f"/orders/{order['id']}").json()
    assert after["refunds"] == [{"id": refund["id"], "reason": "Chipped", "total": "-17.50"}]
    assert after["status"] == "on-hold"  # paid by bank transfer: still waiting
    assert after["date_modified_gmt"] == order["date_modified_gmt"]  # a partial refund
    listed = https_get(base, f"/orders/{order['id']}/refunds").json()
    assert [r["id"] for r in listed] == [refund["id"]]


@pytest.mark.woocommerce_samples
def test_a_refund_has_the_fields_of_woocommerces_sample(base: str):
    response = _refund_one_of_two(base)[2]
    sample = json.loads(woocommerce_sample("order_refunds_list_v3_docs.json").read_text())[1]
    refund = response.json()
    # the 3.x docs' sample predates PR #28241 (shipping, tax and fee lines on refunds)
    assert set(refund) == set(sample) | {"shipping_lines", "tax_lines", "fee_lines"}
    line, sampled = refund["line_items"][0], sample["line_items"][0]
    assert set(line) == set(sampled) | {"image", "parent_name"}
    assert set(line["taxes"][0]) == {"id", "total", "subtotal"}
    assert (type(line["quantity"]), type(line["meta_data"][0]["value"])) == (
        type(sampled["quantity"]),
        type(sampled["meta_data"][0]["value"]),
    )


def test_refund_errors_and_full_refund(base: str):
    order = _fresh_order(base)
    path = f"/orders/{order['id']}/refunds"
    gateway = https(base, "POST", path, {"amount": "5.00"})
    assert gateway.status_code == 500
    assert gateway.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "The payment gateway for this order does not support automatic refunds.",
        "data": {"status": 500},
    }
    too_much = https(base, "POST", path, {"amount": "44.21", "api_refund": False})
    assert too_much.json()["message"] == "Invalid refund amount."
    negative = https(base, "POST", path, {"amount": "-1", "api_refund": False})
    assert negative.json()["code"] == "woocommerce_rest_invalid_order_refund"
    assert https(base, "POST", path, {"amount": "4.20", "api_refund": False}).status_code == 201
    assert https(base, "POST", path, {"amount": "40.00", "api_refund": False}).status_code == 201
    after = https_get(base, f"/orders/{order['id']}").json()
    assert after["status"] == "refunded"
    assert [r["total"] for r in after["refunds"]] == ["-40.00", "-4.20"]  # newest first
    assert (
        https_get(base, f"{path}/1").json()["code"]
        == "woocommerce_rest_shop_order_refund_invalid_id"
    )
    unknown = https_get(base, "/orders/99999/refunds")  # queried by parent, no order checked
    assert (unknown.json(), unknown.headers["X-WP-Total"]) == ([], "0")


def test_a_refund_is_found_by_its_id_then_checked_against_the_order(base: str):
    order, _line, response = _refund_one_of_two(base)
    refund, other = response.json(), _fresh_order(base)
    errors = {
        f"/orders/{other['id']}/refunds/{refund['id']}": "woocommerce_rest_invalid_order_refund_id",
        f"/orders/99999/refunds/{refund['id']}": "woocommerce_rest_invalid_order_id",
        f"/orders/99999/refunds/{order['id']}": "woocommerce_rest_invalid_order_id",
        f"/orders/{other['id']}/refunds/{order['id']}": "woocommerce_rest_invalid_order_refund_id",
        "/orders/99999/refunds/99998": "woocommerce_rest_shop_order_refund_invalid_id",
    }
    assert {path: https_get(base, path).json()["code"] for path in errors} == errors
    wrong = https(base, "DELETE", f"/orders/{other['id']}/refunds/{refund['id']}")
    assert (wrong.status_code, wrong.json()["message"]) == (404, "Invalid order refund ID.")
    assert https_get(base, f"/orders/{order['id']}").json()["refunds"] == []  # deleted anyway
    second, _line, again = _refund_one_of_two(base)
    path = f"/orders/{second['id']}/refunds/{again.json()['id']}"
    assert https(base, "DELETE", path, force="false").status_code == 501
    assert https(base, "DELETE", path).json()["id"] == again.json()["id"]  # force: true by default
    assert https_get(base, path).json()["code"] == "woocommerce_rest_shop_order_refund_invalid_id"


def test_stripe_orders_refund_through_the_gateway(base: str):
    order = control(base, "orders", {"payment_method": "stripe"}).json()
    refund = https(base, "POST", f"/orders/{order['id']}/refunds", {"amount": "1.00"}).json()
    assert refund["refunded_payment"] is True


def test_notes(base: str):
    order = https_get(base, "/orders", per_page=1).json()[0]
    created = https(
        base,
        "POST",
        f"/orders/{order['id']}/notes",
        {"note": "Packed", "customer_note": True, "added_by_user": True},
    )
    assert created.status_code == 201
    note = created.json()
    assert set(note) == {
        "id",
        "author",
        "date_created",
        "date_created_gmt",
        "note",
        "customer_note",
        "_links",
    }
    assert (note["author"], note["customer_note"]) == ("admin", True)
    listed = https_get(base, f"/orders/{order['id']}/notes").json()
    assert listed[0]["id"] == note["id"]
    assert [
        n["id"] for n in https_get(base, f"/orders/{order['id']}/notes", type="customer").json()
    ] == [note["id"]]
    missing = https(base, "POST", f"/orders/{order['id']}/notes", {})
    assert missing.json()["code"] == "rest_missing_callback_param"
