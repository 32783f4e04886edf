"""The project's own WooCommerce documents, for the tests that also read WooCommerce's
documentation samples (which a clone of the repository does not have): orders priced by the
sandbox store's calculator as its REST API returns them — listed, read one by one, placed at
checkout, recalculated after an edit — and a webhook delivery it signed, with what a reader
should find in it. Built through the store's app over HTTP, once per run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import requests

from sandbox.woocommerce import StoreConfig, TaxRateSpec, serve_in_thread
from tests.support.waiting import HTTP_TIMEOUT, wait_until

# One rate per line, as in WooCommerce's samples, so every tax line has its own Xero tax type
# (combined rates are the mapper property tests' business).
TAX_RATES = (
    TaxRateSpec(1, "NZ", Decimal(15), "GST"),
    TaxRateSpec(2, "NZ", Decimal(5), "GST reduced", tax_class="reduced-rate", order=1),
    TaxRateSpec(3, "NZ", Decimal(0), "Zero rated", tax_class="zero-rate", order=2),
    TaxRateSpec(4, "AU", Decimal(10), "GST", order=3),
    TaxRateSpec(5, "CA", Decimal(5), "GST", state="BC", order=4),
)
CONFIG = StoreConfig(seed=11, orders=30, customers=8, products=10, tax_rates=TAX_RATES)
WEBHOOK_SECRET = "project-made-delivery-secret"
SINGLE_READS = 3


@dataclass(frozen=True)
class Delivery:
    """A signed webhook delivery as sent (headers, exact body) and what it carries."""

    headers: dict[str, str]
    body: bytes
    secret: str
    topic: str
    resource_id: str
    delivery_id: str
    modified_at: datetime


@dataclass(frozen=True)
class StoreDocuments:
    """Orders as `(where, order)`, the store's products by id, and one order delivery."""

    orders: list[tuple[str, dict[str, Any]]]
    products: dict[int, dict[str, Any]]
    delivery: Delivery


class _Store:
    """The sandbox store's REST API over "https" (behind a proxy) and its control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.http.auth = (CONFIG.consumer_key, CONFIG.consumer_secret)
        self.http.headers["X-Forwarded-Proto"] = "https"

    def rest(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.base_url}/wp-json/wc/v3{path}",
            json=body,
            params=params,
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        return response.json()

    def control(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.base_url}/_sandbox/{path}",
            json=body,
            params=params,
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        return response.json()


@cache
def store_documents() -> StoreDocuments:
    """Everything above, from a freshly seeded sandbox store."""
    with serve_in_thread(CONFIG) as running:
        store = _Store(running.base_url)
        listed = store.rest("GET", "/orders", per_page=100)
        orders = [(f"GET /orders#{o['id']}", o) for o in listed]
        orders += [
            (f"GET /orders/{o['id']}", store.rest("GET", f"/orders/{o['id']}"))
            for o in listed[:SINGLE_READS]
        ]
        products = {p["id"]: p for p in store.rest("GET", "/products", per_page=100)}
        simple = [p["id"] for p in products.values() if p["type"] == "simple"]
        lines = [{"product_id": product_id, "quantity": 2} for product_id in simple[:3]]
        placed = store.control(
            "POST", "orders", {"lines": lines, "coupons": ["welcome15"], "country": "NZ"}
        )
        orders.append(("checkout (POST /_sandbox/orders)", placed))
        delivery = _delivery(store, placed["id"])
        edited = store.rest("GET", f"/orders/{placed['id']}")
        orders.append(("recalculated after an edit", edited))
        orders.append(("order.updated delivery", json.loads(delivery.body)))
        store.http.close()
    return StoreDocuments(orders, products, delivery)


def _delivery(store: _Store, order_id: int) -> Delivery:
    """The delivery of `order.updated` after a shop manager edits the order and recalculates
    (its address answers 404, which does not matter: the store's log keeps what it sent)."""
    webhook = store.rest(
        "POST",
        "/webhooks",
        {
            "topic": "order.updated",
            "delivery_url": f"{store.base_url}/nowhere",
            "secret": WEBHOOK_SECRET,
        },
    )
    store.control("POST", f"orders/{order_id}", {"kind": "edit", "quantity": 3})

    def delivered() -> list[dict[str, Any]]:
        log = store.control("GET", "deliveries", webhook_id=webhook["id"])
        return [entry for entry in log if entry["kind"] != "ping"]

    entry = wait_until(delivered, "the order.updated delivery")[0]
    modified = store.rest("GET", f"/orders/{order_id}")["date_modified_gmt"]
    return Delivery(
        headers=entry["request_headers"],
        body=entry["body"].encode(),
        secret=WEBHOOK_SECRET,
        topic="order.updated",
        resource_id=str(order_id),
        delivery_id=entry["delivery_id"],
        modified_at=datetime.fromisoformat(modified).replace(tzinfo=UTC),
    )
