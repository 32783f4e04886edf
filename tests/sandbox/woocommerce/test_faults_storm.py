"""One-shot faults, random errors, the delivery storm, determinism and the command line."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import requests

from sandbox.woocommerce import StoreConfig, create_app, serve_in_thread
from sandbox.woocommerce.__main__ import config_from_args
from tests.support.waiting import HTTP_TIMEOUT, wait_until

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
    calls = requests.get(f"{base}/_sandbox/calls", timeout=HTTP_TIMEOUT).json()
    assert calls["by_endpoint"]["GET /wc/v3/customers"] == 1
    assert calls["by_endpoint"]["GET /wc/v3/orders/(?P<id>[\\d]+)"] == 1


def test_storm_sends_signed_duplicated_out_of_order_deliveries(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url, secret="storm")
    started = control(
        base, "storm", {"deliveries": 40, "duplicate_rate": 0.25, "shuffle": True, "concurrency": 4}
    )
    assert started.status_code == 200, started.text
    report = _finished_storm(base)
    assert (report["planned"], report["sent"], report["duplicates"]) == (40, 40, 10)
    assert report["out_of_order"] > 0
    assert report["by_status"] == {"200": 40}
    finals = {f["order_id"]: f for f in report["final_states"]}
    assert sorted(finals) == report["orders"]
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
        assert finals[order_id]["date_modified_gmt"] == payload["date_modified_gmt"]
        assert finals[order_id]["revision"] == finals[order_id]["revisions"]


def _finished_storm(base: str, **params: str) -> dict:
    """The storm's report once it is done."""

    def done() -> dict | None:
        url = f"{base}/_sandbox/storm"
        report = requests.get(url, params=params, timeout=HTTP_TIMEOUT).json()
        return report if report["state"] == "done" else None

    return wait_until(done, "the storm to end", interval=0.1)


def _gmt(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def test_live_storm_applies_each_revision_as_it_is_first_sent(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url, secret="live")
    started = control(
        base,
        "storm",
        {"deliveries": 20, "duplicate_rate": 0.25, "shuffle": True, "concurrency": 4, "live": True},
    )
    assert started.status_code == 200, started.text
    report = _finished_storm(base, details="1")
    assert report["live"] is True
    assert (report["planned"], report["sent"], report["duplicates"]) == (20, 20, 5)
    assert report["out_of_order"] > 0
    assert report["by_status"] == {"200": 20}
    got = receiver.wait(20)
    assert all(d["headers"]["X-Wc-Webhook-Signature"] == sign(d["body"], "live") for d in got)

    bodies: dict[tuple[int, int], bytes] = {}
    first_received: dict[tuple[int, int], float] = {}
    for delivery in got:
        payload = json.loads(delivery["body"])
        revision = int(
            next(m["value"] for m in payload["meta_data"] if m["key"] == "_storm_revision")
        )
        key = (payload["id"], revision)
        # Every delivery of one revision repeats the snapshot taken when it was applied.
        assert bodies.setdefault(key, delivery["body"]) == delivery["body"]
        first_received[key] = min(
            first_received.get(key, delivery["received_at"]), delivery["received_at"]
        )
    by_order: dict[int, dict[int, str]] = {}
    for entry in report["deliveries"]:
        dates = by_order.setdefault(entry["order_id"], {})
        assert (
            dates.setdefault(entry["revision"], entry["date_modified_gmt"])
            == entry["date_modified_gmt"]
        )
        body = json.loads(bodies[(entry["order_id"], entry["revision"])])
        assert body["date_modified_gmt"] == entry["date_modified_gmt"]
    assert sorted(by_order) == report["orders"]
    finals = {f["order_id"]: f for f in report["final_states"]}
    assert sorted(finals) == report["orders"]
    for order_id, dates in by_order.items():
        revisions = sorted(dates)
        assert revisions == list(range(1, len(revisions) + 1))
        stamps = [_gmt(dates[r]) for r in revisions]
        # Real WooCommerce dates have one-second resolution: each revision a second later at least.
        assert all(later - earlier >= timedelta(seconds=1) for earlier, later in pairwise(stamps))
        final = finals[order_id]
        assert (final["revisions"], final["revision"]) == (len(revisions), len(revisions))
        assert final["date_modified_gmt"] == dates[revisions[-1]]
        current = https_get(base, f"/orders/{order_id}").json()
        assert current["date_modified_gmt"] == final["date_modified_gmt"]
        assert current["meta_data"] == json.loads(bodies[(order_id, revisions[-1])])["meta_data"]
        if len(revisions) >= 3:
            # Live: revision 1 was out before the store reached its final state.
            assert first_received[(order_id, 1)] < stamps[-1].timestamp()
    # Applying the revisions fired no webhook of its own: only the ping and the storm went out.
    time.sleep(0.3)
    log = requests.get(f"{base}/_sandbox/deliveries", timeout=HTTP_TIMEOUT).json()
    assert sorted({entry["kind"] for entry in log}) == ["ping", "storm"]
    assert requests.get(f"{base}/_sandbox/webhooks", timeout=HTTP_TIMEOUT).json()["pending"] == []


def test_live_must_be_a_boolean(base: str, receiver: Receiver):
    create_webhook(base, "order.updated", receiver.url)
    refused = control(base, "storm", {"deliveries": 4, "live": "yes"})
    assert refused.status_code == 400


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
