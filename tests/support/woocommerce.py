"""The WooCommerce sandbox from the server's side: a store of ours connected to it, and the
sandbox's own control endpoints."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.woocommerce import StoreConfig
from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.inbound import intake as woo_intake
from server.models import ConnectionStatus, EventSource, Store, StoreState, WooConnection
from server.models.types import utcnow

WEBHOOK_SECRET = "f00d" * 16


def connect_store(url: str, config: StoreConfig | None = None) -> Store:
    """A store of ours with the sandbox's keys, as after a successful connection."""
    config = config or StoreConfig()
    store = Store(url=url, name="Sandbox Store", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.flush()
    db.session.add(
        WooConnection(
            store_id=store.id,
            consumer_key=config.consumer_key,
            consumer_secret=config.consumer_secret,
            webhook_secret=WEBHOOK_SECRET,
            status=ConnectionStatus.CONNECTED,
            connected_at=utcnow(),
        )
    )
    db.session.commit()
    return store


def sandbox_json(woo: Any, path: str, method: str = "GET", **body: Any) -> Any:
    response = requests.request(
        method, f"{woo.base_url}/_sandbox/{path}", json=body or None, timeout=30
    )
    response.raise_for_status()
    return response.json()


def hooks(woo) -> list[dict]:
    return sandbox_json(woo, "webhooks")["webhooks"]


def ours(woo, store) -> list[dict]:
    url = woo_access.delivery_url(store)
    return [hook for hook in hooks(woo) if hook["delivery_url"] == url]


def pending_delivery(store: Store, order_id: int) -> None:
    """A delivery about `order_id`, stored and waiting for its job."""
    woo_intake.record(
        store, source=EventSource.WOOCOMMERCE_WEBHOOK, topic="order.updated", resource="order",
        resource_id=str(order_id), modified_at=None, payload={"id": order_id},
    )  # fmt: skip
    db.session.commit()
