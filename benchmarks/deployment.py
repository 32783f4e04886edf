"""wooxero as deployed, for the benchmarks that time orders from webhook to Xero: `wooxero
web`, workers and the scheduler in processes of their own, on a temporary SQLite database
and the embedded Redis, with both sandboxes on loopback (in this process).

Stores are made as after connecting both sides: each its own sandbox WooCommerce and its own
Xero organisation (signed in through the sandbox's consent), its reference data read, every
module on.
An order is placed in the sandbox, then delivered as WooCommerce would, a signed webhook;
when its invoice was made is Xero's own `UpdatedDateUTC` (orders paid cash on delivery: their
invoices carry no payment that would touch it later).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from benchmarks.backfill import PUBLIC_URL, bench_config
from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce import serve_in_thread as serve_shop
from sandbox.xero import SandboxConfig
from sandbox.xero import serve_in_thread as serve_xero
from sandbox.xero.config import OrganisationSpec
from server import create_app
from server.connections.xero import connect as xero_connect
from server.extensions import db
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.processes import PROJECT_ROOT, free_port
from tests.support.processes import production_environment as wooxero_environment
from tests.support.stores import switch_on_everything
from tests.support.woocommerce import WEBHOOK_SECRET, connect_store

SHOP = StoreConfig(orders=0, customers=3, products=10)  # orders are placed as it runs


@dataclass(frozen=True)
class BenchStore:
    """A store of the deployment: where it is, where its webhooks go, its organisation."""

    shop_url: str
    webhook_url: str
    tenant_id: str


class Deployment:
    """The running deployment (see the module's docstring); `stores` in the order made."""

    def __init__(self, directory: Path, xero_url: str, web_url: str) -> None:
        self.directory = directory  # the database, Redis and the processes' logs
        self.xero_url = xero_url
        self.web_url = web_url
        self.stores: list[BenchStore] = []
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def place(self, store: BenchStore) -> dict[str, Any]:
        """A shopper's order in `store`, paid cash on delivery (processing, unpaid)."""
        answer = self.http.post(f"{store.shop_url}/_sandbox/orders", json={
            "payment_method": "cod", "status": "processing"}, timeout=60)  # fmt: skip
        answer.raise_for_status()
        order: dict[str, Any] = answer.json()
        return order

    def deliver(self, store: BenchStore, order: dict[str, Any]) -> float:
        """The order's `order.created` webhook, as WooCommerce signs it; when it was sent
        (seconds since the epoch)."""
        body = json.dumps(order, separators=(",", ":")).encode()
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
        sent = time.time()
        answer = self.http.post(store.webhook_url, data=body, timeout=60, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Source": store.shop_url + "/",
            "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created", "X-WC-Webhook-ID": "1",
            "X-WC-Webhook-Delivery-ID": f"{order['id']:032x}",
            "X-WC-Webhook-Signature": base64.b64encode(signature).decode(),
        })  # fmt: skip
        answer.raise_for_status()
        return sent

    def invoices(self, store: BenchStore) -> dict[str, float]:
        """The organisation's invoices: number → when made (seconds since the epoch)."""
        answer = self.http.get(f"{self.xero_url}/_sandbox/objects/{store.tenant_id}/Invoices",
                               timeout=60)  # fmt: skip
        answer.raise_for_status()
        made = {}
        for invoice in answer.json()["Invoices"]:
            stamp = re.search(r"\d+", invoice["UpdatedDateUTC"])
            assert stamp is not None, invoice["UpdatedDateUTC"]
            made[invoice["InvoiceNumber"]] = int(stamp.group(0)) / 1000
        return made

    def calls(self) -> dict[str, Any]:
        answer = self.http.get(f"{self.xero_url}/_sandbox/calls", timeout=60)
        answer.raise_for_status()
        calls: dict[str, Any] = answer.json()
        return calls


def _connect(store_id: int, xero_url: str, tenant_id: str) -> None:
    """The OAuth dance for one organisation, the browser played by requests."""
    from server.models import Store

    requests.post(f"{xero_url}/_sandbox/config", json={"auto_approve_tenants": [tenant_id]},
                  timeout=10).raise_for_status()  # fmt: skip
    store = db.session.get(Store, store_id)
    assert store is not None
    consent = requests.get(xero_connect.begin(store, "bench"), allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(consent.headers["Location"]).query)
    xero_connect.complete(xero_connect.take_pending(query["state"][0], "bench"), query["code"][0])


def _process(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 - our own command line
            command, env=environment, cwd=PROJECT_ROOT, text=True, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the worker finishes its job; the web drains
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_web(url: str, web: subprocess.Popen[Any], log: Path) -> None:
    """Until `wooxero web` answers its liveness probe at `url` (not merely something on
    that port); its log's end if it stopped instead."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"wooxero web did not start: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url.rstrip('/')}/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError("wooxero web did not answer within a minute")


@contextmanager
def deployed(stores: int, workers: int) -> Iterator[Deployment]:
    """`stores` stores, each with its organisation, served by `wooxero web` and `workers`
    workers and the scheduler; everything stopped and removed afterwards."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-deployment-"))
    organisations = tuple(OrganisationSpec(f"Bench Org {n}", "NZ", "NZD") for n in range(stores))
    xero_config = SandboxConfig(auto_approve=True, organisations=organisations)
    xero_config = xero_config.with_redirect_uris([PUBLIC_URL + "/xero/callback"])
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        redis = EmbeddedRedis(directory, directory / "redis.log")
        redis.start()
        stack.callback(redis.stop)
        xero = stack.enter_context(serve_xero(xero_config))
        config = bench_config(directory, redis.url, xero.base_url)
        app = create_app(config)
        made: list[tuple[str, str, str]] = []  # shop, store's public id, tenant
        with app.app_context():
            apply_migrations()
            for organisation in organisations:
                shop_url = stack.enter_context(serve_shop(SHOP)).base_url
                store = connect_store(shop_url)
                tenant_id = organisation.resolved_tenant_id()
                _connect(store.id, xero.base_url, tenant_id)
                switch_on_everything(store)
                made.append((shop_url, store.public_id, tenant_id))
            db.session.remove()
            db.engine.dispose()
        port = free_port()  # once the shops have theirs
        deployment = Deployment(directory, xero.base_url, f"http://127.0.0.1:{port}")
        deployment.stores = [
            BenchStore(shop_url, f"{deployment.web_url}/webhooks/woocommerce/{public_id}", tenant)
            for shop_url, public_id, tenant in made
        ]
        environment = wooxero_environment(
            config, redis.url, WOOXERO_WEB__WORKERS="2", WOOXERO_WEB__THREADS="8",
            WOOXERO_SERVER__HOST="127.0.0.1", WOOXERO_SERVER__PORT=str(port),
            WOOXERO_SERVER__PUBLIC_URL=config.public_url, WOOXERO_SERVER__DATA_DIR=str(directory),
        )  # fmt: skip
        server = [sys.executable, "-m", "server"]
        web_log = directory / "web.log"
        web = _process([*server, "web"], environment, web_log)
        stack.callback(_stop, web)
        for number in range(workers):
            worker = _process([*server, "worker"], environment, directory / f"worker{number}.log")
            stack.callback(_stop, worker)
        stack.callback(_stop, _process([*server, "scheduler"], environment,
                                       directory / "scheduler.log"))  # fmt: skip
        wait_for_web(deployment.web_url, web, web_log)
        yield deployment


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def now() -> float:
    return datetime.now(UTC).timestamp()
