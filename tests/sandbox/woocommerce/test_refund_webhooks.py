"""What a refund does to the order's ``date_modified``, to ``modified_after`` and to webhooks.

Expected from WooCommerce 7.4's ``wc_create_refund`` (the order is saved only when it moves to
refunded; ``woocommerce_order_refunded`` fires last, with the order and the refund ids),
``WC_Webhook`` (``order.updated`` listens to that hook; an ``action.<hook>`` topic sends
``{"action", "arg"}`` with the hook's first argument; one delivery per order and request) and
``wc_webhook_execute_queue`` (nothing is queued while an action for the same order is pending).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.waiting import HTTP_TIMEOUT, wait_until

from .conftest import (
    Receiver,
    control,
    create_webhook,
    delivery_log,
    https,
    https_get,
    logged_deliveries,
    sign,
)

HOOKS = (
    "woocommerce_order_refunded",
    "woocommerce_refund_created",
    "woocommerce_order_partially_refunded",
    "woocommerce_order_fully_refunded",
)


def _card_order(base: str) -> dict[str, Any]:
    """Two mugs paid by card: 2 x 17.50 incl. GST + 8.00 shipping + 1.20 GST = 44.20."""
    mug = next(p for p in https_get(base, "/products", search="Ceramic Mug").json())
    lines = [{"product_id": mug["id"], "quantity": 2}]
    order = control(base, "orders", {"lines": lines, "country": "NZ"}).json()
    assert (order["status"], order["payment_method"], order["total"]) == (
        "processing",
        "stripe",
        "44.20",
    )
    return order


def _one_mug(order: dict[str, Any]) -> list[dict[str, Any]]:
    """One of the two mugs: 15.22 and 2.28 of GST (its line is 30.43 + 4.565217)."""
    line = order["line_items"][0]
    return [
        {
            "id": line["id"],
            "quantity": 1,
            "refund_total": "15.22",
            "refund_tax": [{"id": 1, "refund_total": "2.28"}],
        }
    ]


def _after_the_second_of(gmt: str) -> None:
    """Let the store's clock pass the second ``gmt`` names (its dates have whole seconds), so
    anything that stamped ``date_modified`` now would show a later one."""
    later = datetime.fromisoformat(gmt).replace(tzinfo=UTC) + timedelta(seconds=1)
    wait_until(lambda: datetime.now(UTC) >= later, f"the clock to pass {later}")


def _refund(base: str, order_id: int, via: str, body: dict[str, Any]) -> dict[str, Any]:
    """Refund through the REST API (``rest``) or the control API's other paths."""
    if via == "rest":
        response = https(base, "POST", f"/orders/{order_id}/refunds", body)
        assert response.status_code == 201, response.text
        return response.json()
    changed = control(base, f"orders/{order_id}", {"kind": "refund", "via": via, **body})
    assert changed.status_code == 200, changed.text
    newest = changed.json()["refunds"][0]["id"]
    return https_get(base, f"/orders/{order_id}/refunds/{newest}").json()


def _pending(base: str) -> list[dict[str, Any]]:
    return requests.get(f"{base}/_sandbox/webhooks", timeout=HTTP_TIMEOUT).json()["pending"]


@pytest.mark.parametrize(
    ("via", "extra"),
    [
        pytest.param("rest", {}, id="REST, through the gateway"),
        pytest.param("admin", {"api_refund": False}, id="admin, manually"),
        pytest.param("admin", {"api_refund": True}, id="admin, through the gateway"),
        pytest.param("function", {"amount": "17.50"}, id="wc_create_refund"),
    ],
)
def test_a_partial_refund_is_delivered_with_the_previous_date_modified(
    base: str, receiver: Receiver, via: str, extra: dict[str, Any]
):
    create_webhook(base, "order.updated", receiver.url)
    order = _card_order(base)
    first = json.loads(receiver.wait(1)[0]["body"])  # the payment's save at checkout
    _after_the_second_of(first["date_modified_gmt"])
    body = {"line_items": _one_mug(order), "reason": "Chipped", **extra}
    refund = _refund(base, order["id"], via, body)
    second = json.loads(receiver.wait(2)[1]["body"])
    assert refund["date_created_gmt"] > first["date_modified_gmt"]
    assert second["date_modified_gmt"] == first["date_modified_gmt"]
    assert (second["status"], second["total"]) == ("processing", "44.20")
    assert first["refunds"] == []
    assert second["refunds"] == [{"id": refund["id"], "reason": "Chipped", "total": "-17.50"}]
    assert refund["refunded_payment"] is (via == "rest" or extra.get("api_refund") is True)
    assert (logged_deliveries(base, 2), _pending(base)) == (2, [])


def test_modified_after_never_lists_a_partially_refunded_order(base: str):
    order = _card_order(base)
    cursor = order["date_modified_gmt"]
    _after_the_second_of(cursor)
    _refund(base, order["id"], "rest", {"amount": "5.00", "api_refund": False})

    def modified_after(moment: str) -> list[int]:
        listed = https_get(base, "/orders", modified_after=moment, dates_are_gmt="true").json()
        return [o["id"] for o in listed]

    assert order["id"] not in modified_after(cursor)
    earlier = (datetime.fromisoformat(cursor) - timedelta(seconds=1)).isoformat()
    assert order["id"] in modified_after(earlier)  # the filter itself would list it
    after = https_get(base, f"/orders/{order['id']}").json()
    assert (after["date_modified_gmt"], after["refunds"][0]["total"]) == (cursor, "-5.00")


def test_a_full_refund_moves_the_order_and_its_date_modified(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url)
    order = _card_order(base)
    receiver.wait(1)  # the payment's save at checkout
    _after_the_second_of(order["date_modified_gmt"])
    refund = _refund(base, order["id"], "rest", {"amount": "44.20", "reason": "Gone"})
    delivered = json.loads(receiver.wait(2)[1]["body"])
    assert delivered["status"] == "refunded"
    assert delivered["date_modified_gmt"] > order["date_modified_gmt"]
    assert delivered["date_modified_gmt"] >= refund["date_created_gmt"]
    listed = https_get(
        base, "/orders", modified_after=order["date_modified_gmt"], dates_are_gmt="true"
    ).json()
    assert [o["id"] for o in listed] == [order["id"]]
    notes = [n["note"] for n in https_get(base, f"/orders/{order['id']}/notes").json()]
    assert "Order status changed from Processing to Refunded." in notes
    assert (logged_deliveries(base, 2), _pending(base)) == (2, [])


def test_refund_action_webhooks_send_the_hooks_first_argument(base: str, receiver: Receiver):
    hooks = {name: create_webhook(base, f"action.{name}", receiver.url) for name in HOOKS}
    made = hooks["woocommerce_order_refunded"]
    assert (made["resource"], made["event"], made["hooks"]) == (
        "action",
        "woocommerce_order_refunded",
        ["woocommerce_order_refunded"],
    )
    order = _card_order(base)
    partial = _refund(base, order["id"], "rest", {"amount": "10.00", "api_refund": False})
    got = {d["headers"]["X-Wc-Webhook-Topic"]: d for d in receiver.wait(3)}
    assert set(got) == {
        "action.woocommerce_order_refunded",
        "action.woocommerce_refund_created",
        "action.woocommerce_order_partially_refunded",
    }
    refunded = got["action.woocommerce_order_refunded"]
    expected = f'{{"action":"woocommerce_order_refunded","arg":{order["id"]}}}'.encode()
    assert refunded["body"] == expected
    headers = refunded["headers"]
    assert (headers["X-Wc-Webhook-Resource"], headers["X-Wc-Webhook-Event"]) == (
        "action",
        "woocommerce_order_refunded",
    )
    assert headers["X-Wc-Webhook-Id"] == str(made["id"])
    assert headers["X-Wc-Webhook-Signature"] == sign(refunded["body"], "s3cret")
    created = json.loads(got["action.woocommerce_refund_created"]["body"])
    assert created == {"action": "woocommerce_refund_created", "arg": partial["id"]}
    partly = json.loads(got["action.woocommerce_order_partially_refunded"]["body"])
    assert partly["arg"] == order["id"]
    rest = _refund(base, order["id"], "rest", {"amount": "34.20", "api_refund": False})
    later = {d["headers"]["X-Wc-Webhook-Topic"]: d for d in receiver.wait(6)[3:]}
    assert set(later) == {
        "action.woocommerce_order_refunded",
        "action.woocommerce_refund_created",
        "action.woocommerce_order_fully_refunded",
    }
    assert json.loads(later["action.woocommerce_refund_created"]["body"])["arg"] == rest["id"]
    fully = json.loads(later["action.woocommerce_order_fully_refunded"]["body"])
    assert fully == {"action": "woocommerce_order_fully_refunded", "arg": order["id"]}


def test_a_refund_while_a_delivery_is_pending_queues_nothing_more(base: str, receiver: Receiver):
    control(base, "config", {"delivery_delay_seconds": 600})
    hook = create_webhook(base, "order.updated", receiver.url)
    order = _card_order(base)  # its payment saved it: one order.updated is waiting
    waiting = [(p["webhook_id"], p["arg"]) for p in _pending(base)]
    assert waiting == [(hook["id"], order["id"])]
    _refund(base, order["id"], "rest", {"amount": "5.00", "api_refund": False})
    assert [(p["webhook_id"], p["arg"]) for p in _pending(base)] == waiting


def test_a_refund_the_gateway_refuses_fires_nothing_but_spends_an_id(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url)
    mug = next(p for p in https_get(base, "/products", search="Ceramic Mug").json())
    spec = {"lines": [{"product_id": mug["id"]}], "payment_method": "bacs", "status": "processing"}
    order = control(base, "orders", spec).json()
    receiver.wait(1)
    refused = https(base, "POST", f"/orders/{order['id']}/refunds", {"amount": "5.00"})
    assert (refused.status_code, refused.json()["message"]) == (
        500,
        "The payment gateway for this order does not support automatic refunds.",
    )
    assert (logged_deliveries(base, 1), _pending(base)) == (1, [])
    assert https_get(base, f"/orders/{order['id']}").json()["refunds"] == []
    refund = _refund(base, order["id"], "rest", {"amount": "5.00", "api_refund": False})
    assert refund["id"] == order["id"] + 2  # the refused refund was saved, then deleted


def test_deleting_a_refund_fires_nothing_and_leaves_the_order(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url)
    order = _card_order(base)
    receiver.wait(1)
    refund = _refund(base, order["id"], "rest", {"amount": "5.00", "api_refund": False})
    receiver.wait(2)
    wait_until(lambda: _pending(base) == [], "the deliveries before the deletion")
    delivered = logged_deliveries(base, 2)
    path = f"/orders/{order['id']}/refunds/{refund['id']}"
    assert https(base, "DELETE", path, force="true").status_code == 200
    after = https_get(base, f"/orders/{order['id']}").json()
    assert (after["refunds"], after["date_modified_gmt"]) == ([], order["date_modified_gmt"])
    assert (len(delivery_log(base, kind="action")), _pending(base)) == (delivered, [])
