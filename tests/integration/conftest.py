"""Fixtures of the integration tests: the WooCommerce and Xero sandboxes, stores of ours
connected to them (Xero through the real OAuth dance), clients whose requests are checked
against Xero's spec, and our app served over HTTP where a sandbox must reach it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from flask import Flask
from openapi_core import Config, OpenAPI
from werkzeug.serving import make_server

from sandbox.woocommerce import StoreConfig, serve_in_thread
from server import create_app
from server.connections.xero import access as xero_access
from server.connectors.woocommerce import client as woo_client
from server.connectors.xero.client import XeroClient
from server.extensions import db
from server.models import Store
from tests.support.processes import free_port
from tests.support.reference import xero_spec_path
from tests.support.stores import switch_on_everything
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.woocommerce import connect_store
from tests.support.xero import (
    RecordingSession,
    connect,
    make_store,
    signed_in_operator,
    spec_problems,
    tenants,
)

XERO_API_ORIGIN = "https://api.xero.com"


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The WooCommerce client's backoff between retries, in milliseconds rather than seconds."""
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
        timeout=HTTP_TIMEOUT,
    )
    requests.post(f"{base}/_sandbox/reset", timeout=30).raise_for_status()


@pytest.fixture
def woo_store(app_context: Flask, woo: Any) -> Store:
    return connect_store(woo.base_url)


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


@pytest.fixture(scope="session")
def shop_sandbox() -> Iterator[Any]:
    """A WooCommerce store of 60 orders from 15 customers, NZD mostly."""
    with serve_in_thread(StoreConfig(orders=60, customers=15, products=12)) as running:
        yield running


@pytest.fixture
def shop(shop_sandbox: Any) -> Iterator[Any]:
    yield shop_sandbox
    requests.post(f"{shop_sandbox.base_url}/_sandbox/reset", timeout=30).raise_for_status()


@pytest.fixture
def synced_store(client: Any, sandbox: Any, shop: Any) -> Store:
    """Connected to both sandboxes, reference data read, the whole chain switched on."""
    signed_in_operator(client)
    store = connect_store(shop.base_url)
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    switch_on_everything(store)
    return store


@pytest.fixture(scope="session")
def xero_spec() -> OpenAPI | None:
    """Xero's OpenAPI spec, or None without it (the run then says once that it was skipped)."""
    path = xero_spec_path()
    if path is None:
        return None
    with Path(path).open() as stream:
        spec = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@pytest.fixture
def connected_store(client: Any, sandbox: Any) -> Store:
    """A store connected to the sandbox's NZ organisation through the real OAuth dance."""
    signed_in_operator(client)
    store = make_store()
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    return store


@pytest.fixture
def recorded() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
def xero(
    connected_store: Store, recorded: RecordingSession, xero_spec: OpenAPI | None
) -> Iterator[XeroClient]:
    """The store's real client; afterwards every request it sent is checked against the spec
    when it is available."""
    client = xero_access.client_for(xero_access.connection_for_store(connected_store.id))
    client.http = recorded
    yield client
    if xero_spec is not None:
        problems = spec_problems(xero_spec, recorded.sent)
        assert problems == [], "\n".join(problems)
