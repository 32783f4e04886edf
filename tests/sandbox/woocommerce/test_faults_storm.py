"""One-shot faults, random errors, the delivery storm, determinism and the command line."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sandbox.woocommerce import StoreConfig, create_app, serve_in_thread
from sandbox.woocommerce.__main__ import config_from_args

from .conftest import KEY, Receiver, control, create_webhook, https_get, sign


def test_one_shot_faults(base: str):
    faults = [
        {"path": "/wc/v3/orders", "method": "GET", "status": 503},
        {"path": "/wc/v3/orders", "html": True},
        {"path": "/wc/v3/orders", "retry_after": 7},
        {"path": "/wc/v3/orders", "drop_connection": True},
    ]
    assert control(base, "faults", faults).status_code == 200
    first = https_get(base, "/orders")
    assert (first.status_code, first.json()["code"]) == (503, "internal_server_error")
    page = https_get(base, "/orders")
    assert page.status_code == 500 and "There has been a critical error" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    limited = https_get(base, "/orders")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    with pytest.raises(requests.ConnectionError):
        https_get(base, "/orders")
    assert https_get(base, "/orders").status_code == 200


def test_error_rate_and_call_counts(base: str):
    control(base, "config", {"error_rate": 1.0})
    assert https_get(base, "/customers").status_code == 500
    control(base, "config", {"error_rate": 0.0})
    https_get(base, "/customers")
    https_get(base, "/orders/1")
    calls = requests.get(f"{base}/_sandbox/calls", timeout=5).json()
    assert calls["by_endpoint"]["GET /wc/v3/customers"] == 1
    assert calls["by_endpoint"]["GET /wc/v3/orders/(?P<id>[\\d]+)"] == 1


def test_storm_sends_signed_duplicated_out_of_order_deliveries(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url, secret="storm")
    started = control(
        base, "storm", {"deliveries": 40, "duplicate_rate": 0.25, "shuffle": True, "concurrency": 4}
    )
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 20
    report = {}
    while time.monotonic() < deadline:
        report = requests.get(f"{base}/_sandbox/storm", timeout=5).json()
        if report["state"] == "done":
            break
        time.sleep(0.1)
    assert report["state"] == "done"
    assert (report["planned"], report["sent"], report["duplicates"]) == (40, 40, 10)
    assert report["out_of_order"] > 0
    assert report["by_status"] == {"200": 40}
    got = receiver.wait(40)
    assert len(got) == 40
    assert all(d["headers"]["X-Wc-Webhook-Signature"] == sign(d["body"], "storm") for d in got)
    newest: dict[int, dict] = {}
    for delivery in got:
        payload = json.loads(delivery["body"])
        seen = newest.get(payload["id"])
        if seen is None or payload["date_modified_gmt"] > seen["date_modified_gmt"]:
            newest[payload["id"]] = payload
    for order_id, payload in newest.items():
        current = https_get(base, f"/orders/{order_id}").json()
        assert current["date_modified_gmt"] == payload["date_modified_gmt"]
        assert current["meta_data"] == payload["meta_data"]


def test_same_seed_same_data():
    def snapshot(store: object) -> list[tuple]:
        return [
            (o.id, o.status, str(o.total), [(i.name, i.quantity) for i in o.line_items])
            for o in store.orders.values()  # type: ignore[attr-defined]
        ]

    config = StoreConfig(seed=3, orders=12)
    with serve_in_thread(config) as one, serve_in_thread(StoreConfig(seed=3, orders=12)) as two:
        assert snapshot(one.store) == snapshot(two.store)
    with serve_in_thread(StoreConfig(seed=4, orders=12)) as other:
        assert snapshot(other.store) != snapshot(one.store)


def test_command_line_and_indexes():
    config, host, port = config_from_args(
        ["--port", "8123", "--seed", "9", "--orders", "5", "--consumer-key", "ck_x",
         "--consumer-secret", "cs_y", "--auto-approve", "--delivery-delay", "30"]
    )  # fmt: skip
    assert (host, port, config.seed, config.orders) == ("127.0.0.1", 8123, 9, 5)
    assert (config.consumer_key, config.auto_approve, config.delivery_delay_seconds) == (
        "ck_x",
        True,
        30.0,
    )
    assert config.allow_http_callback is False
    client = create_app(config, "http://127.0.0.1:8123").test_client()
    root = client.get("/wp-json/").get_json()
    assert root["home"] == "http://127.0.0.1:8123" and "wc/v3" in root["namespaces"]
    index = client.get("/wp-json/wc/v3").get_json()
    assert index["routes"]["/wc/v3/orders"]["methods"] == ["GET", "POST"]
    assert (
        client.get("/wp-json/wc/v3/orders", query_string={"consumer_key": KEY}).status_code == 401
    )
    assert client.get("/_sandbox/keys").get_json()[0]["consumer_key"] == "ck_x"
