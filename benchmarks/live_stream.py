"""A live stream of new customers' paid orders into one Xero organisation, through signed
webhooks to a running `wooxero web`, two `wooxero worker`s and the scheduler, against the
Xero sandbox at Xero's real limits (60 calls a minute, 5 at once):

* a slow stream, one order every 5 s for 2 minutes: webhook → invoice, p50 and p95 (target
  p95 ≤ 2 s: no pressure, each order goes at once);
* then, a minute later, a fast stream, 2 orders a second for 5 minutes (600 orders): Xero
  calls per order in all (target ≤ 0.10), 429s (target 0), and the longest wait from the
  webhook to the order's invoice and payment both in Xero (target ≤ 90 s).

Each order is placed in the WooCommerce sandbox by a customer registered just before (so
every contact is new to Xero), then its `order.created` webhook is delivered, signed as
WooCommerce signs it. Times are the server's: the bindings' times against the moment each
webhook was sent. Prints as it goes; returns the figures.

    python -m benchmarks.live_stream      (a temporary SQLite database and the embedded Redis)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
import sqlalchemy as sa

from benchmarks.backfill import PUBLIC_URL, bench_config, connect_xero
from benchmarks.deployment import wait_for_web
from benchmarks.intake import _stop
from benchmarks.report import Figure
from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce import serve_in_thread as serve_store
from sandbox.xero import SandboxConfig
from sandbox.xero import serve_in_thread as serve_xero
from server import create_app
from server.extensions import db
from server.models import Binding, BindingKind, Store
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.processes import PROJECT_ROOT, free_port, production_environment
from tests.support.stores import switch_on_everything
from tests.support.woocommerce import WEBHOOK_SECRET, connect_store

NAME = "live stream"
FAST_EVERY, FAST_SECONDS = 0.5, 300  # 2 orders a second for 5 minutes: 600 orders
SLOW_EVERY, SLOW_SECONDS = 5.0, 120  # 1 order every 5 s for 2 minutes
PAUSE_SECONDS = 65  # between the streams: the slow one's calls leave the minute window
DRAIN_SECONDS = 240  # after a stream, how long its last orders may take at most
WORKERS = 2
TARGET_CALLS, TARGET_WAIT, TARGET_P95 = 0.10, 90.0, 2.0


@dataclass(frozen=True)
class Sent:
    woo_id: str
    at: datetime


def _deliver(session: requests.Session, url: str, shop_url: str, order: dict) -> None:
    body = json.dumps(order, separators=(",", ":")).encode()
    signature = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest())
    headers = {
        "Content-Type": "application/json", "X-WC-Webhook-Source": f"{shop_url}/",
        "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created", "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": f"{order['id']:032x}",
        "X-WC-Webhook-Signature": signature.decode(),
    }  # fmt: skip
    session.post(url, data=body, headers=headers, timeout=30).raise_for_status()


def _stream(shop_url: str, webhook_url: str, every: float, seconds: float, tag: str) -> list[Sent]:
    """Orders of new customers at a steady pace, each announced by its webhook."""
    count = int(seconds / every)
    sent: list[Sent] = []
    with requests.Session() as session:
        customers = [
            session.post(f"{shop_url}/_sandbox/customers", timeout=30, json={
                "email": f"{tag}.{n}@example.com", "first_name": f"{tag.title()}{n}",
                "last_name": "Streamer",
            }).json()["id"]
            for n in range(count)
        ]  # fmt: skip
        started = time.monotonic()
        for n, customer_id in enumerate(customers):
            time.sleep(max(0.0, started + n * every - time.monotonic()))
            order = session.post(f"{shop_url}/_sandbox/orders", timeout=30, json={
                "payment_method": "stripe", "customer_id": customer_id}).json()  # fmt: skip
            sent.append(Sent(str(order["id"]), datetime.now(UTC)))
            _deliver(session, webhook_url, shop_url, order)
            if n % 50 == 49:
                print(f"  {tag}: {n + 1} orders sent in {time.monotonic() - started:.0f} s")
    return sent


def _bound(store_id: int, kind: BindingKind) -> dict[str, datetime]:
    """Order → when its document (or payment) was bound to what Xero made. The read's
    transaction ends at once: on SQLite it would hold the lock the workers need."""
    try:
        rows = db.session.execute(
            sa.select(Binding.woo_id, Binding.updated_at).where(
                Binding.store_id == store_id, Binding.kind == kind,
                Binding.xero_id.is_not(None), Binding.xero_id != "",
            )
        ).all()  # fmt: skip
    finally:
        db.session.rollback()
    return dict(rows)  # type: ignore[arg-type]


def _wait_for(store_id: int, sent: list[Sent], kinds: tuple[BindingKind, ...]) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    wanted = {s.woo_id for s in sent}
    while time.monotonic() < deadline:
        if all(wanted <= _bound(store_id, kind).keys() for kind in kinds):
            return
        time.sleep(1)


def _waits(store_id: int, sent: list[Sent], kinds: tuple[BindingKind, ...]) -> list[float]:
    """Seconds from each webhook to the last of `kinds` bound (inf: never)."""
    bound = [_bound(store_id, kind) for kind in kinds]
    waits = []
    for s in sent:
        times = [b.get(s.woo_id) for b in bound]
        done = max(times) if all(times) else None  # type: ignore[type-var]
        waits.append((done - s.at).total_seconds() if done else float("inf"))
    return waits


def _tenant_calls(xero_url: str) -> tuple[int, int]:
    """Calls in all, and 429s, over every organisation."""
    stats = requests.get(f"{xero_url}/_sandbox/calls", timeout=10).json().values()
    return (sum(t["total"] for t in stats),
            sum(sum(t["rejected_429"].values()) for t in stats))  # fmt: skip


def _start(command: str, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "server", command], env=environment, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True,
    )  # fmt: skip


def main(fast_seconds: float = FAST_SECONDS, slow_seconds: float = SLOW_SECONDS) -> list[Figure]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-live-"))
    redis = EmbeddedRedis(directory, directory / "redis.log")
    redis.start()
    xero_config = SandboxConfig(auto_approve=True).with_redirect_uris(
        [PUBLIC_URL + "/xero/callback"]
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        shop_config = StoreConfig(orders=0, customers=0, products=5)
        with serve_xero(xero_config) as xero, serve_store(shop_config) as shop:
            config = bench_config(directory, redis.url, xero.base_url)
            app = create_app(config)
            with app.app_context():
                apply_migrations()
                store = connect_store(shop.base_url)
                connect_xero(store, xero.base_url)
                switch_on_everything(store)
                store_id, public_id = store.id, db.session.get(Store, store.id).public_id
                db.session.commit()
                port = free_port()
                environment = production_environment(
                    config, redis.url, WOOXERO_SERVER__HOST="127.0.0.1",
                    WOOXERO_SERVER__PORT=str(port), WOOXERO_SERVER__DATA_DIR=str(directory),
                    WOOXERO_SERVER__PUBLIC_URL=PUBLIC_URL, WOOXERO_WEB__WORKERS="2",
                )  # fmt: skip
                log = directory / "wooxero.log"
                web = _start("web", environment, log)
                processes.append(web)
                processes += [_start("worker", environment, log) for _ in range(WORKERS)]
                processes.append(_start("scheduler", environment, log))
                wait_for_web(f"http://127.0.0.1:{port}/", web, log)
                webhook_url = f"http://127.0.0.1:{port}/webhooks/woocommerce/{public_id}"
                figures = _slow(store_id, shop.base_url, webhook_url, slow_seconds)
                print(f"  pause of {PAUSE_SECONDS} s: the minute window empties")
                time.sleep(PAUSE_SECONDS)
                figures += _fast(store_id, shop.base_url, webhook_url, xero.base_url,
                                 fast_seconds)  # fmt: skip
                print(f"  (wooxero's log: {log})")
                return figures
    finally:
        for process in processes:
            _stop(process)
        redis.stop()


def _slow(store_id: int, shop_url: str, webhook_url: str, seconds: float) -> list[Figure]:
    print(f"{NAME}: 1 order every {SLOW_EVERY:.0f} s for {seconds:.0f} s")
    sent = _stream(shop_url, webhook_url, SLOW_EVERY, seconds, "slow")
    _wait_for(store_id, sent, (BindingKind.INVOICE,))
    waits = sorted(_waits(store_id, sent, (BindingKind.INVOICE,)))
    p50 = statistics.median(waits)
    p95 = waits[max(0, round(0.95 * len(waits)) - 1)]
    print(f"  webhook → invoice: p50 {p50:.2f} s, p95 {p95:.2f} s, most {waits[-1]:.2f} s "
          f"({len(waits)} orders; target p95 ≤ {TARGET_P95:.0f} s)")  # fmt: skip
    measure = f"1 order / {SLOW_EVERY:.0f} s, webhook → invoice"
    return [
        Figure(NAME, f"{measure}, p50", f"{p50:.2f} s"),
        Figure(NAME, f"{measure}, p95", f"{p95:.2f} s", f"≤ {TARGET_P95:.0f} s", p95 <= TARGET_P95),
    ]


def _fast(
    store_id: int, shop_url: str, webhook_url: str, xero_url: str, seconds: float
) -> list[Figure]:
    count = int(seconds / FAST_EVERY)
    print(f"{NAME}: {count} orders, {1 / FAST_EVERY:.0f} a second for {seconds:.0f} s")
    calls_before, rejected_before = _tenant_calls(xero_url)
    sent = _stream(shop_url, webhook_url, FAST_EVERY, seconds, "fast")
    both = (BindingKind.INVOICE, BindingKind.PAYMENT)
    _wait_for(store_id, sent, both)
    calls_after, rejected_after = _tenant_calls(xero_url)
    calls, rejected = calls_after - calls_before, rejected_after - rejected_before
    waits = _waits(store_id, sent, both)
    done = sum(1 for w in waits if w != float("inf"))
    per_order = calls / len(sent)
    longest = max(waits)
    print("  wait by order (every 25th): "
          + ", ".join(f"#{n}: {w:.0f} s" for n, w in enumerate(waits) if n % 25 == 0))  # fmt: skip
    print(f"  wait p50 {statistics.median(waits):.1f} s")
    print(f"  {done}/{len(sent)} invoiced and paid; Xero calls {calls} ({per_order:.3f} per "
          f"order, target ≤ {TARGET_CALLS}); 429s {rejected}; longest wait {longest:.1f} s "
          f"(target ≤ {TARGET_WAIT:.0f} s)")  # fmt: skip
    rate = f"{len(sent)} orders at {1 / FAST_EVERY:.0f}/s"
    return [
        Figure(NAME, f"{rate}: Xero calls per order", f"{per_order:.3f}",
               f"≤ {TARGET_CALLS}", per_order <= TARGET_CALLS and done == len(sent)),
        Figure(NAME, f"{rate}: 429 answers", str(rejected), "0", rejected == 0),
        Figure(NAME, f"{rate}: longest webhook → invoice and payment", f"{longest:.1f} s",
               f"≤ {TARGET_WAIT:.0f} s", longest <= TARGET_WAIT),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
