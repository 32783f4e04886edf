"""Webhooks as class-wc-webhook.php: ping, signed deliveries, dedup, failure counting."""

from __future__ import annotations

import json
import time

import requests
from woocommerce import API

from tests.support.waiting import HTTP_TIMEOUT

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


def _state(base: str, webhook_id: int) -> dict:
    hooks = requests.get(f"{base}/_sandbox/webhooks", timeout=HTTP_TIMEOUT).json()["webhooks"]
    return next(h for h in hooks if h["id"] == webhook_id)


def test_creation_pings_unsigned_and_defaults_the_secret(base: str, receiver: Receiver):
    response = https(
        base, "POST", "/webhooks", {"topic": "order.updated", "delivery_url": receiver.url}
    )
    assert response.status_code == 201
    hook = response.json()
    assert set(hook) == {
        "id", "name", "status", "topic", "resource", "event", "hooks", "delivery_url",
        "date_created", "date_created_gmt", "date_modified", "date_modified_gmt", "_links",
    }  # fmt: skip
    assert (hook["status"], hook["resource"], hook["event"]) == ("active", "order", "updated")
    assert hook["hooks"] == ["woocommerce_update_order", "woocommerce_order_refunded"]
    assert hook["name"].startswith("Webhook created on ")
    ping = receiver.wait(1, signed=False)[0]
    assert ping["body"] == f"webhook_id={hook['id']}".encode()
    assert not any(h.lower().startswith("x-wc-") for h in ping["headers"])
    assert ping["headers"]["User-Agent"] == "WooCommerce/7.4.1 Hookshot (WordPress/6.1.9)"
    assert len(_state(base, hook["id"])["secret"]) == 50


def test_delivery_headers_signature_and_body(base: str, wc: API, receiver: Receiver):
    hook = create_webhook(base, "order.updated", receiver.url, secret="top&secret")
    order = https_get(base, "/orders", status="processing", per_page=1).json()[0]
    https(base, "PUT", f"/orders/{order['id']}", {"customer_note": "please/knock"})
    delivery = receiver.wait(1)[0]
    headers, body = delivery["headers"], delivery["body"]
    assert headers["X-Wc-Webhook-Signature"] == sign(body, "top&secret")
    assert headers["X-Wc-Webhook-Source"] == base + "/"
    assert headers["X-Wc-Webhook-Topic"] == "order.updated"
    assert (headers["X-Wc-Webhook-Resource"], headers["X-Wc-Webhook-Event"]) == ("order", "updated")
    assert headers["X-Wc-Webhook-Id"] == str(hook["id"])
    assert len(headers["X-Wc-Webhook-Delivery-Id"]) == 32
    assert headers["Content-Type"] == "application/json"
    assert b'"customer_note":"please\\/knock"' in body
    payload = json.loads(body)
    assert payload == wc.get(f"orders/{order['id']}").json()
    assert payload["id"] == order["id"] and payload["customer_note"] == "please/knock"
    assert payload["_links"]["self"][0]["href"] == f"{base}/wp-json/wc/v3/orders/{order['id']}"
    entry = delivery_log(base, kind="action")[0]
    assert (entry["status"], entry["success"], entry["failure_count"]) == (200, True, 0)


def test_pending_action_deduplicates_and_payload_is_built_late(base: str, receiver: Receiver):
    control(base, "config", {"delivery_delay_seconds": 0.6})
    create_webhook(base, "order.updated", receiver.url)
    order = https_get(base, "/orders", status="processing", per_page=1).json()[0]
    https(base, "PUT", f"/orders/{order['id']}", {"customer_note": "first"})
    https(base, "PUT", f"/orders/{order['id']}", {"customer_note": "second", "status": "completed"})
    pending = requests.get(f"{base}/_sandbox/webhooks", timeout=HTTP_TIMEOUT).json()["pending"]
    assert [p["arg"] for p in pending] == [order["id"]]
    deliveries = receiver.wait(1)
    time.sleep(0.8)
    assert len(receiver.deliveries()) == 1
    payload = json.loads(deliveries[0]["body"])
    assert (payload["customer_note"], payload["status"]) == ("second", "completed")


def test_trash_sends_id_only_and_restore_fires(base: str, receiver: Receiver):
    deleted = create_webhook(base, "order.deleted", receiver.url)
    restored = create_webhook(base, "order.restored", receiver.url)
    order = https_get(base, "/orders", status="completed", per_page=1).json()[0]
    https(base, "DELETE", f"/orders/{order['id']}")
    control(base, f"orders/{order['id']}", {"kind": "restore"})
    got = receiver.wait(2)
    by_topic = {d["headers"]["X-Wc-Webhook-Topic"]: d for d in got}
    assert by_topic["order.deleted"]["body"] == f'{{"id":{order["id"]}}}'.encode()
    assert json.loads(by_topic["order.restored"]["body"])["status"] == "completed"
    assert {int(d["headers"]["X-Wc-Webhook-Id"]) for d in got} == {deleted["id"], restored["id"]}


def test_disabled_after_more_than_five_consecutive_failures(base: str, receiver: Receiver):
    hook = create_webhook(base, "order.updated", receiver.url)
    receiver.status = 500
    orders = https_get(base, "/orders", per_page=8, orderby="id").json()
    counts = []
    for index, order in enumerate(orders[:7]):
        control(base, f"orders/{order['id']}", {"kind": "meta", "key": "n", "value": index})
        logged_deliveries(base, index + 1)
        state = _state(base, hook["id"])
        counts.append((state["failure_count"], state["status"]))
    assert counts == [(1, "active"), (2, "active"), (3, "active"), (4, "active"), (5, "active"),
                      (6, "active"), (6, "disabled")]  # fmt: skip
    control(base, f"orders/{orders[7]['id']}", {"kind": "meta", "key": "n", "value": 8})
    time.sleep(0.3)
    assert len(receiver.deliveries()) == 7  # disabled webhooks queue nothing
    listed = https_get(base, "/webhooks", status="disabled").json()
    assert [h["id"] for h in listed] == [hook["id"]]


def test_redirect_counts_as_success_and_status_change_keeps_failures(base: str, receiver: Receiver):
    hook = create_webhook(base, "order.updated", receiver.url)
    order = https_get(base, "/orders", per_page=1).json()[0]
    receiver.status = 404
    control(base, f"orders/{order['id']}", {"kind": "meta", "value": 1})
    logged_deliveries(base, 1)
    assert _state(base, hook["id"])["failure_count"] == 1
    receiver.status = 302
    control(base, f"orders/{order['id']}", {"kind": "meta", "value": 2})
    logged_deliveries(base, 2)
    assert _state(base, hook["id"])["failure_count"] == 0


def test_fail_all_switch_disables(base: str, receiver: Receiver):
    hook = create_webhook(base, "order.updated", receiver.url)
    control(base, "config", {"fail_all_deliveries": True, "max_delivery_failures": 1})
    for value in range(3):
        order = https_get(base, "/orders", per_page=3).json()[value]
        control(base, f"orders/{order['id']}", {"kind": "meta", "value": value})
        logged_deliveries(base, value + 1)
    assert _state(base, hook["id"])["status"] == "disabled"
    assert receiver.deliveries() == []
    assert all(e["status"] is None and e["error"] for e in delivery_log(base, kind="action"))
    reenabled = https(base, "PUT", f"/webhooks/{hook['id']}", {"status": "active"}).json()
    assert reenabled["status"] == "active"
    assert _state(base, hook["id"])["failure_count"] == 2


def test_customer_and_product_topics(base: str, receiver: Receiver):
    create_webhook(base, "customer.created", receiver.url)
    create_webhook(base, "product.updated", receiver.url)
    created = https(base, "POST", "/customers", {"email": "tui@example.com", "first_name": "Tui"})
    assert created.status_code == 201
    product = https_get(base, "/products", per_page=1).json()[0]
    https(base, "PUT", f"/products/{product['id']}", {"regular_price": "99.00"})
    got = {d["headers"]["X-Wc-Webhook-Topic"]: json.loads(d["body"]) for d in receiver.wait(2)}
    assert got["customer.created"]["email"] == "tui@example.com"
    assert got["product.updated"]["regular_price"] == "99.00"


def test_webhook_rest_errors(base: str):
    invalid = https(
        base,
        "POST",
        "/webhooks",
        {"topic": "order.shipped", "delivery_url": "http://127.0.0.1:9/hook"},
    )
    assert invalid.json() == {
        "code": "woocommerce_rest_shop_webhook_invalid_topic",
        "message": "Webhook topic is required and must be valid.",
        "data": {"status": 400},
    }
    bad_url = https(
        base, "POST", "/webhooks", {"topic": "order.created", "delivery_url": "ftp://x"}
    )
    assert bad_url.json()["code"] == "woocommerce_rest_shop_webhook_invalid_delivery_url"
    unknown = https_get(base, "/webhooks/999")
    assert (unknown.status_code, unknown.json()["message"]) == (400, "ID is invalid.")
    hook = https(
        base,
        "POST",
        "/webhooks",
        {"topic": "action.woocommerce_foo", "delivery_url": "http://127.0.0.1:9/hook"},
    ).json()
    no_force = https(base, "DELETE", f"/webhooks/{hook['id']}")
    assert (no_force.status_code, no_force.json()["message"]) == (
        501,
        "Webhooks do not support trashing.",
    )
    assert https(base, "DELETE", f"/webhooks/{hook['id']}", force="true").status_code == 200
    assert https_get(base, "/webhooks").json() == []
