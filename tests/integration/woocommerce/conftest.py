"""The WooCommerce sandbox, a store of ours connected to it, and our app served over HTTP
for the tests in which the sandbox must reach us (deliveries, wc-auth)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from sandbox.woocommerce import StoreConfig, serve_in_thread
from server import create_app
from server.connectors.woocommerce import client as woo_client
from server.extensions import db
from server.models import ConnectionStatus, Store, StoreState, WooConnection
from server.models.types import utcnow
from tests.process_helpers import free_port

WEBHOOK_SECRET = "f00d" * 16


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's backoff between retries, in milliseconds rather than seconds."""
    monkeypatch.setattr(woo_client, "RETRY_DELAYS", (0.01, 0.02, 0.04))


@pytest.fixture(scope="session")
def woo_sandbox() -> Iterator[Any]:
    with serve_in_thread(StoreConfig(allow_http_callback=True)) as running:
        yield running


@pytest.fixture
def woo(woo_sandbox: Any) -> Iterator[Any]:
    """The WooCommerce sandbox, reset (data, webhooks, knobs) after the test."""
    yield woo_sandbox
    base = woo_sandbox.base_url
    requests.post(
        f"{base}/_sandbox/config",
        json={"fail_all_deliveries": False, "auto_approve": False},
        timeout=10,
    )
    requests.post(f"{base}/_sandbox/reset", timeout=30).raise_for_status()


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


@pytest.fixture
def woo_store(app_context: Flask, woo: Any) -> Store:
    return connect_store(woo.base_url)


def sandbox_json(woo: Any, path: str, method: str = "GET", **body: Any) -> Any:
    response = requests.request(
        method, f"{woo.base_url}/_sandbox/{path}", json=body or None, timeout=30
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture
def live_app(app_context: Flask, settings: Any) -> Iterator[Callable[[], tuple[Flask, str]]]:
    """Serves an app on the suite's database whose public URL is its own address."""
    servers: list[Any] = []

    def start() -> tuple[Flask, str]:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        app = create_app(settings.with_overrides({"server": {"public_url": url}}))
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, app))
        return app, url

    yield start
    for server, app in servers:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
