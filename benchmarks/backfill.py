"""Backfills into a sandbox Xero organisation: Xero calls in all (reference data included),
calls per order, wall time. Prints figures and returns calls per order; asserts nothing.

* 1,000 seeded orders from 200 customers and 50 products, every status: the documents with
  their payments and credit notes.
* 1,000 orders, every one paid by card and one in ten refunded in part: the invoices, their
  payments, the credit notes and the money paid back; target at most 0.10 calls per order.

    python -m benchmarks.backfill        (embedded Redis and a temporary SQLite database)
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.fernet import Fernet

from benchmarks.report import Figure
from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce import serve_in_thread as serve_store
from sandbox.xero import SandboxConfig
from sandbox.xero import serve_in_thread as serve_xero
from server import create_app
from server.config import build_config
from server.connections.woocommerce import access as woo_access
from server.connections.xero import connect as xero_connect
from server.extensions import db
from server.inbound import backfill
from server.models import (
    Backfill,
    OutboxEntry,
    OutboxStatus,
    Store,
)
from server.push import flush as engine
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.stores import switch_on_everything
from tests.support.woocommerce import connect_store

ORDERS, CUSTOMERS, PRODUCTS = 1000, 200, 50
PUBLIC_URL = "http://wooxero.bench"


def bench_config(directory: Path, redis_url: str, xero_url: str):  # type: ignore[no-untyped-def]
    return build_config(
        {
            "server": {"data_dir": str(directory), "public_url": PUBLIC_URL},
            "database": {"url": f"sqlite:///{directory / 'bench.db'}"},
            "redis": {"url": redis_url},
            "security": {
                "secret_key": secrets.token_urlsafe(32),
                "encryption_keys": [Fernet.generate_key().decode()],
            },
            "xero": {
                "client_id": "wooxero-sandbox",
                "client_secret": "sandbox-secret",
                "authorize_url": f"{xero_url}/identity/connect/authorize",
                "token_url": f"{xero_url}/identity/connect/token",
                "revocation_url": f"{xero_url}/identity/connect/revocation",
                "connections_url": f"{xero_url}/connections",
                "api_url": f"{xero_url}/api.xro/2.0",
            },
            "woocommerce": {"allow_insecure_http": True, "allow_private_addresses": True},
        }
    )


def connect_xero(store: Store, xero_url: str) -> str:
    """The OAuth dance, the browser played by requests (the sandbox approves at once) for
    its NZ organisation; that organisation's tenant id."""
    tenants = requests.get(f"{xero_url}/_sandbox/tenants", timeout=10).json()
    nz = next(t["tenantId"] for t in tenants if t["name"] == "Demo Company (NZ)")
    requests.post(
        f"{xero_url}/_sandbox/config", json={"auto_approve_tenants": [nz]}, timeout=10
    ).raise_for_status()
    consent = requests.get(xero_connect.begin(store, "bench"), allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(consent.headers["Location"]).query)
    pending = xero_connect.take_pending(query["state"][0], "bench")
    xero_connect.complete(pending, query["code"][0])
    return nz


def _set_up(shop_url: str, xero_url: str) -> Store:
    store = connect_store(shop_url)
    connect_xero(store, xero_url)
    switch_on_everything(store)
    return store


def _calls(xero_url: str) -> dict[str, int]:
    stats = requests.get(f"{xero_url}/_sandbox/calls", timeout=10).json()
    merged: dict[str, int] = {}
    for tenant in stats.values():
        for operation, count in tenant["calls"].items():
            merged[operation] = merged.get(operation, 0) + count
    return merged


def main() -> list[Figure]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    seeded = StoreConfig(orders=ORDERS, customers=CUSTOMERS, products=PRODUCTS)
    empty = StoreConfig(orders=0, customers=CUSTOMERS, products=PRODUCTS)
    return [
        _run(f"backfill of {ORDERS} orders ({CUSTOMERS} customers, {PRODUCTS} products)",
             seeded, None, Decimal("0.10")),
        _run(f"backfill of {ORDERS} paid orders, one in ten refunded", empty,
             _paid_and_refunded, Decimal("0.10")),
    ]  # fmt: skip


def _paid_and_refunded(shop_url: str, store: Store) -> None:
    """Every order paid by card at checkout; every tenth refunded in part, as the admin's
    refund button does (one unit of its first line with its taxes)."""
    customers = [c["id"] for c in woo_access.client_for(store).iterate("customers")]
    db.session.commit()
    with requests.Session() as session:
        for number in range(ORDERS):
            order = session.post(f"{shop_url}/_sandbox/orders", timeout=30, json={
                "payment_method": "stripe", "customer_id": customers[number % len(customers)],
            }).json()  # fmt: skip
            if number % 10 == 9:
                refund = {"kind": "refund", "via": "admin"}
                url = f"{shop_url}/_sandbox/orders/{order['id']}"
                session.post(url, json=refund, timeout=30).raise_for_status()


def _run(
    title: str,
    shop_config: StoreConfig,
    prepare: Callable[[str, Store], None] | None,
    target: Decimal,
) -> Figure:
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-backfill-"))
    redis = EmbeddedRedis(directory, directory / "redis.log")
    redis.start()
    xero_config = SandboxConfig(auto_approve=True).with_redirect_uris(
        [PUBLIC_URL + "/xero/callback"]
    )
    try:
        with serve_xero(xero_config) as xero, serve_store(shop_config) as shop:
            app = create_app(bench_config(directory, redis.url, xero.base_url))
            with app.app_context():
                apply_migrations()
                store = _set_up(shop.base_url, xero.base_url)
                if prepare is not None:
                    prepare(shop.base_url, store)
                setup_calls = sum(_calls(xero.base_url).values())
                started = time.monotonic()
                run = backfill.start(store.id, datetime(2000, 1, 1, tzinfo=UTC))
                db.session.commit()
                while backfill.read_page(run.id):
                    pass
                while engine.flush(store.id).more:
                    pass
                elapsed = time.monotonic() - started
                return _report(title, store, run.id, xero.base_url, setup_calls, elapsed, target)
    finally:
        redis.stop()


def _report(
    title: str,
    store: Store,
    run_id: int,
    xero_url: str,
    setup_calls: int,
    elapsed: float,
    target: Decimal,
) -> Figure:
    calls = _calls(xero_url)
    total = sum(calls.values())
    statuses: dict[str, int] = {}
    for entry in db.session.query(OutboxEntry).filter_by(store_id=store.id):
        statuses[entry.status.value] = statuses.get(entry.status.value, 0) + 1
    run = db.session.get(Backfill, run_id)
    assert run is not None
    progress = backfill.progress(run)
    print(f"{title}:")
    print(f"  outbox: {statuses}; progress {progress.done}/{progress.total}")
    print(f"  Xero calls: {total} in all ({setup_calls} reading reference data), "
          f"{total / ORDERS:.3f} per order — target at most {target} per order")  # fmt: skip
    print(f"  by operation: {dict(sorted(calls.items()))}")
    print(f"  wall time: {elapsed:.1f} s ({ORDERS / elapsed:.0f} orders/s)")
    failed = [e.error for e in db.session.query(OutboxEntry).filter_by(status=OutboxStatus.FAILED)]
    if failed:
        print(f"  failed (Xero's reasons): {sorted(set(failed))[:3]}")
    per_order = Decimal(total) / ORDERS
    return Figure("backfill", f"Xero calls per order, {title}", f"{per_order:.3f}",
                  f"≤ {target}", per_order <= target)  # fmt: skip


if __name__ == "__main__":
    main()
