"""When an order is paid: WooCommerce sets ``date_paid`` (and so ``date_paid_gmt``).

Expected from WooCommerce 7.4: ``WC_Order::maybe_set_date_paid`` (set once, on reaching the
status a payment leads to: processing when the order needs processing, else completed; or on
reaching completed when that status is processing), ``WC_Order::payment_complete``, the
gateways' ``process_payment`` (BACS and cheque: on-hold, "Awaiting BACS payment"; COD:
processing, "Payment to be made upon delivery.", with its payment complete status filtered
to completed; a card gateway: ``payment_complete`` with the charge id) and the REST orders
controller (``set_paid`` on an update only pays an order that ``needs_payment``).
"""

from __future__ import annotations

from typing import Any

from .conftest import control, https, https_get, product


def _checkout(base: str, name: str, gateway: str) -> dict[str, Any]:
    lines = [{"product_id": product(base, name)["id"]}]
    placed = control(base, "orders", {"lines": lines, "country": "NZ", "payment_method": gateway})
    assert placed.status_code == 200, placed.text
    return placed.json()


def _newest_note(base: str, order_id: int) -> str:
    return https_get(base, f"/orders/{order_id}/notes").json()[0]["note"]


def _put(base: str, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = https(base, "PUT", f"/orders/{order_id}", body)
    assert response.status_code == 200, response.text
    return response.json()


def test_bank_transfer_waits_on_hold_unpaid_until_marked_processing(base: str):
    order = _checkout(base, "Ceramic Mug", "bacs")
    assert (order["status"], order["date_paid"], order["date_paid_gmt"]) == ("on-hold", None, None)
    assert (order["payment_method_title"], order["transaction_id"]) == ("Direct bank transfer", "")
    assert order["needs_payment"] is False  # only pending and failed orders need payment
    assert _newest_note(base, order["id"]) == (
        "Awaiting BACS payment Order status changed from Pending payment to On hold."
    )
    untouched = _put(base, order["id"], {"set_paid": True})
    assert (untouched["status"], untouched["date_paid"]) == ("on-hold", None)
    paid = _put(base, order["id"], {"status": "processing"})
    assert paid["status"] == "processing"
    assert paid["date_paid_gmt"] is not None and paid["date_paid"] is not None
    assert order["date_created_gmt"] <= paid["date_paid_gmt"] <= paid["date_modified_gmt"]


def test_cash_on_delivery_is_processing_but_unpaid_until_completed(base: str):
    order = _checkout(base, "Ceramic Mug", "cod")
    assert (order["status"], order["date_paid"], order["date_paid_gmt"]) == (
        "processing",
        None,
        None,
    )
    assert _newest_note(base, order["id"]) == (
        "Payment to be made upon delivery. Order status changed from Pending payment to Processing."
    )
    done = _put(base, order["id"], {"status": "completed"})
    assert done["date_paid_gmt"] is not None
    assert done["date_paid_gmt"] == done["date_completed_gmt"]
    gift = _checkout(base, "Gift Card", "cod")  # a downloadable item: on-hold instead
    assert (gift["status"], gift["date_paid"]) == ("on-hold", None)


def test_a_card_payment_is_complete_at_checkout(base: str):
    order = _checkout(base, "Ceramic Mug", "stripe")
    assert order["status"] == "processing"
    assert order["date_paid_gmt"] is not None
    assert order["payment_method_title"] == "Credit Card (Stripe)"
    assert order["transaction_id"].startswith("ch_") and len(order["transaction_id"]) == 27
    virtual = _checkout(base, "Gift Card", "stripe")  # virtual and downloadable: completed
    assert (virtual["status"], virtual["needs_processing"]) == ("completed", False)
    assert virtual["date_paid_gmt"] is not None and virtual["date_completed_gmt"] is not None


def test_an_order_that_needs_no_processing_is_paid_only_when_completed(base: str):
    order = _checkout(base, "Gift Card", "bacs")
    processing = _put(base, order["id"], {"status": "processing"})
    assert (processing["status"], processing["date_paid"]) == ("processing", None)
    completed = _put(base, order["id"], {"status": "completed"})
    assert completed["date_paid_gmt"] == completed["date_completed_gmt"] is not None


def test_the_control_api_marks_an_order_paid(base: str):
    order = _checkout(base, "Tea Towel", "bacs")
    changed = control(base, f"orders/{order['id']}", {"kind": "pay", "transaction_id": "BNZ-42"})
    paid = changed.json()
    assert (paid["status"], paid["transaction_id"]) == ("processing", "BNZ-42")
    assert paid["date_paid_gmt"] is not None
    again = control(base, f"orders/{order['id']}", {"kind": "pay"})
    assert (again.status_code, again.json()) == (
        400,
        {"error": "a processing order cannot be paid"},
    )


def test_the_seed_has_paid_and_unpaid_orders(base: str):
    orders = https_get(base, "/orders", per_page=100, status="any").json()
    assert all((o["date_paid"] is None) == (o["date_paid_gmt"] is None) for o in orders)
    unpaid = {(o["payment_method"], o["status"]) for o in orders if o["date_paid"] is None}
    paid = {(o["payment_method"], o["status"]) for o in orders if o["date_paid"]}
    assert {("bacs", "on-hold"), ("cod", "processing")} <= unpaid
    assert {("bacs", "processing"), ("cod", "completed")} <= paid
    cards = [o for o in orders if o["payment_method"] == "stripe" and o["date_paid"]]
    assert cards and all(o["transaction_id"].startswith("ch_") for o in cards)
    assert all(o["transaction_id"] == "" for o in orders if o["payment_method"] != "stripe")
