"""A storm of 2,000 webhook deliveries into a real `wooxero web` with four `wooxero worker`
processes, while the orders change in the store: a fifth of the deliveries are repeats, and
stale states arrive after newer ones. Every delivery is answered 200 and stored; no version of
an order is processed twice, none is processed after a newer one, and every order ends
processed at its final state."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry

from sandbox.woocommerce import StoreConfig, serve_in_thread
from server import create_app
from server.extensions import db
from server.inbound import webhooks as woo_webhooks
from server.models import EventSource, EventStatus, InboundEvent, SyncRecord, WooRecord
from tests.support.processes import PROJECT_ROOT, free_port, production_environment
from tests.support.waiting import PATIENCE, answers, wait_until
from tests.support.woocommerce import connect_store

ORDERS = 300
DELIVERIES = 2000
WORKERS = 4
WORK = 600  # at most: seconds for the storm, and for the workers to settle it (about 200 idle)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("quick_retries"),
    pytest.mark.timeout(2 * WORK + 120),  # the suite's five minutes are not enough here
]


def spawn(command: str, environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server", command], env=environment, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def counts() -> dict[EventStatus, int]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(InboundEvent.status, sa.func.count()).group_by(InboundEvent.status)
    ).all()
    db.session.commit()
    return dict(rows)


def test_every_order_is_processed_exactly_once_through_a_storm(
    app_context, settings, redis_url, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = production_environment(
        settings, redis_url, WOOXERO_SERVER__PORT=str(port), WOOXERO_SERVER__PUBLIC_URL=url,
        WOOXERO_SERVER__DATA_DIR=str(tmp_path), WOOXERO_WEB__THREADS="8",
    )  # fmt: skip
    with serve_in_thread(StoreConfig(orders=ORDERS, seed=7)) as woo:
        processes = [spawn("web", environment)] + [
            spawn("worker", environment) for _ in range(WORKERS)
        ]
        try:
            wait_until(lambda: answers(f"{url}/readyz"), "the web server", interval=0.25)
            store_id = connect_store(woo.base_url).id
            db.session.commit()
            served = create_app(settings.with_overrides({"server": {"public_url": url}}))
            with served.app_context():
                woo_webhooks.ensure(store_id)
                db.engine.dispose()
            started = requests.post(f"{woo.base_url}/_sandbox/storm", timeout=30, json={
                "deliveries": DELIVERIES, "duplicate_rate": 0.2, "shuffle": True, "concurrency": 8,
                "live": True,
            })  # fmt: skip
            started.raise_for_status()
            wait_until(
                lambda: _storm(woo)["state"] == "done", "the storm", timeout=WORK, interval=0.25
            )
            report = _storm(woo, details=True)
            redis = Redis.from_url(redis_url)
            queue = Queue("default", connection=redis)
            wait_until(
                lambda: counts().get(EventStatus.PENDING, 0) == 0
                and queue.count == 0 and StartedJobRegistry(queue=queue).count == 0,
                "the workers", timeout=WORK, interval=0.25,
            )  # fmt: skip
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            outputs = [process.communicate(timeout=PATIENCE)[1] for process in processes]

    assert [process.returncode for process in processes] == [0] * len(processes), outputs
    assert report["by_status"] == {"200": report["planned"]}, "every delivery answered 200"
    assert report["duplicates"] > 0 and report["out_of_order"] > 0, (
        "the storm had repeats and stale states"
    )
    statuses = counts()
    assert sum(statuses.values()) == report["planned"], "every delivery stored"
    assert set(statuses) <= {EventStatus.DONE, EventStatus.DUPLICATE}, statuses
    final = {state["order_id"]: state["date_modified_gmt"] for state in report["final_states"]}
    records = {int(r.woo_id): r for r in db.session.scalars(sa.select(WooRecord))}
    assert set(records) == set(report["orders"]) == set(final)
    assert all(records[o].data["date_modified_gmt"] == final[o] for o in records), (
        "each order ends at its final state"
    )
    versions: dict[int, list[str]] = {}
    for audit in db.session.scalars(
        sa.select(SyncRecord).where(SyncRecord.action == "receive").order_by(SyncRecord.id)
    ):
        versions.setdefault(int(audit.woo_id), []).append(audit.details["modified"])
    for order_id, seen in versions.items():
        assert seen == sorted(set(seen)), f"order {order_id}: a version twice or out of order"
        assert len(seen) == records[order_id].versions_processed
    assert sum(len(seen) for seen in versions.values()) > len(records), "the store moved on"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(InboundEvent.source != EventSource.WOOCOMMERCE_WEBHOOK)
        )
        == 0
    )


def _storm(woo, details: bool = False) -> dict:
    return requests.get(
        f"{woo.base_url}/_sandbox/storm", params={"details": "1"} if details else None, timeout=30
    ).json()
