"""A sandbox store served on loopback for the whole session, reset before every test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response
from woocommerce import API

from sandbox.woocommerce import (
    PRINCE_EDWARD_ISLAND_RATES,
    RunningStore,
    StoreConfig,
    serve_in_thread,
)
from tests.support.waiting import HTTP_TIMEOUT, wait_until

CONFIG = StoreConfig(
    seed=7,
    orders=24,
    customers=8,
    products=10,
    tax_rates=(*StoreConfig().tax_rates, *PRINCE_EDWARD_ISLAND_RATES),
)
KEY, SECRET = CONFIG.consumer_key, CONFIG.consumer_secret
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="session")
def running() -> Iterator[RunningStore]:
    with serve_in_thread(CONFIG) as served:
        yield served


@pytest.fixture
def base(running: RunningStore) -> str:
    """The base URL of a freshly reset store with default runtime settings."""
    url = running.base_url
    requests.post(f"{url}/_sandbox/reset", timeout=HTTP_TIMEOUT).raise_for_status()
    knobs = {
        "auto_approve": False,
        "allow_http_callback": False,
        "delivery_delay_seconds": 0.0,
        "max_delivery_failures": 5,
        "fail_all_deliveries": False,
        "enforce_safe_urls": False,
        "error_rate": 0.0,
        "latency_ms": 0,
        "strip_authorization_header": False,
        "redirect_rest_to": "",
        "omit_total_headers": False,
    }
    requests.post(f"{url}/_sandbox/config", json=knobs, timeout=HTTP_TIMEOUT).raise_for_status()
    return url


@pytest.fixture
def wc(base: str) -> API:
    """The ``woocommerce`` package pointed at the store over plain http (OAuth 1.0a)."""
    return API(
        url=base, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=HTTP_TIMEOUT
    )


def https_get(base: str, path: str, **params: Any) -> requests.Response:
    """GET over "https" (behind a proxy) with HTTP Basic auth."""
    return requests.get(
        f"{base}/wp-json/wc/v3{path}",
        params=params,
        auth=(KEY, SECRET),
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    )


def https(base: str, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
    """Any method over "https" with HTTP Basic auth and a JSON body."""
    return requests.request(
        method,
        f"{base}/wp-json/wc/v3{path}",
        params=params,
        json=body,
        auth=(KEY, SECRET),
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    )


def control(base: str, path: str, body: Any = None) -> requests.Response:
    """POST to ``/_sandbox``."""
    return requests.post(f"{base}/_sandbox/{path}", json=body or {}, timeout=30)


def product(base: str, name: str) -> dict[str, Any]:
    """The seeded product called ``name``."""
    return next(p for p in https_get(base, "/products", search=name).json() if p["name"] == name)


def delivery_log(base: str, **params: str) -> list[dict[str, Any]]:
    """The store's log of what it sent (``/_sandbox/deliveries``), oldest first."""
    return requests.get(f"{base}/_sandbox/deliveries", params=params, timeout=HTTP_TIMEOUT).json()


def logged_deliveries(base: str, count: int) -> int:
    """Wait until the store has logged ``count`` deliveries (it logs each one after the
    receiver has answered it), then how many it logged."""
    wait_until(
        lambda: len(delivery_log(base, kind="action")) >= count, f"{count} deliveries logged"
    )
    return len(delivery_log(base, kind="action"))


def sign(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(body, secret)), computed independently of the sandbox."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Receiver:
    """A webhook endpoint recording every request; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/woo"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(
                {
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                    "path": request.path,
                    "received_at": time.time(),
                }
            )
            status = self.status
        return Response(b"ok", status=status)(environ, start_response)

    def wait(self, count: int, signed: bool = True) -> list[dict[str, Any]]:
        """Every request so far, once there are ``count`` (only signed deliveries when
        ``signed``)."""

        def enough() -> list[dict[str, Any]]:
            got = self.deliveries() if signed else list(self.requests)
            return got if len(got) >= count else []

        return wait_until(enough, f"{count} requests at the receiver", interval=0.02)

    def deliveries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if "X-Wc-Webhook-Signature" in r["headers"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.close()


def create_webhook(base: str, topic: str, url: str, secret: str = "s3cret") -> dict[str, Any]:
    """Create a webhook over the REST API and return its JSON."""
    response = https(
        base, "POST", "/webhooks", {"topic": topic, "delivery_url": url, "secret": secret}
    )
    assert response.status_code == 201, response.text
    return response.json()
