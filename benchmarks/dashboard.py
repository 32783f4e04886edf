"""The dashboard's pages for a store with years of history: server time per page, as the
store admin opens it. Prints figures and returns the slowest page's; asserts nothing.
Target: under 200 ms each.

* 100,000 sync records over a year (writes, holds, errors, pulls), 20,000 orders in the
  outbox (some held and failed), the organisation's reference data.

    python -m benchmarks.dashboard      (embedded Redis and a temporary SQLite database)
    WOOXERO_BENCH_DATABASE=postgresql+psycopg://…/postgres python -m benchmarks.dashboard
        (a database of its own on that server, dropped afterwards)
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks.backfill import bench_config
from benchmarks.report import Figure, at_most
from server import create_app
from server.extensions import db
from server.models import (
    Direction,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    ReferenceKind,
    Store,
    StoreState,
    SyncRecord,
    XeroReference,
)
from server.models.types import utcnow
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from server.web.dashboard.pages import PAGES
from server.web.dashboard.sessions import open_dashboard_session
from tests.support.databases import create_postgres_database

RECORDS, ORDERS, REQUESTS = 100_000, 20_000, 15
TARGET_MS = 200


def _seed(store: Store) -> None:
    """A year of history, inserted in bulk (as years of syncing would have left it)."""
    rng = random.Random(7)  # noqa: S311 - the same history each run, not a secret
    now = utcnow()
    db.session.add(XeroReference(store_id=store.id, kind=ReferenceKind.ORGANISATION,
                                 rows=[{"Name": "Kiwi Ltd", "ShortCode": "!kiwi",
                                        "Timezone": "NEWZEALANDSTANDARDTIME"}]))  # fmt: skip
    statuses = [OutboxStatus.DONE] * 95 + [OutboxStatus.HELD] * 3 + [OutboxStatus.FAILED] * 2
    db.session.execute(sa.insert(OutboxEntry), [
        {"store_id": store.id, "woo_order_id": str(order), "kind": "invoice",
         "action": OutboxAction.UPSERT, "status": rng.choice(statuses),
         "number": f"WC-{order}", "currency": "NZD", "created_at": now, "updated_at": now}
        for order in range(1, ORDERS + 1)
    ])  # fmt: skip
    outcomes = [Outcome.OK] * 90 + [Outcome.WARNING] * 4 + [Outcome.HELD] * 3 + [Outcome.ERROR] * 3
    rows = []
    for number in range(RECORDS):
        at = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        rows.append({
            "store_id": store.id,
            "direction": rng.choice((Direction.PUSH,) * 9 + (Direction.PULL,)),
            "kind": rng.choice(("invoice", "invoice", "quote", "order", "contact")),
            "woo_id": str(rng.randint(1, ORDERS)), "action": "create",
            "outcome": rng.choice(outcomes), "message": f"record {number}", "details": {},
            "currency": "NZD", "started_at": at, "finished_at": at,
        })  # fmt: skip
        if len(rows) == 10_000:
            db.session.execute(sa.insert(SyncRecord), rows)
            rows = []
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum would after such an insert
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def main() -> list[Figure]:
    logging.disable(logging.WARNING)
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-dashboard-"))
    redis = EmbeddedRedis(directory, directory / "redis.log")
    redis.start()
    drop: Callable[[], None] | None = None
    try:
        config = bench_config(directory, redis.url, "http://127.0.0.1:9")
        server_url = os.environ.get("WOOXERO_BENCH_DATABASE")
        if server_url:  # a database of its own on that server, dropped afterwards
            url, drop = create_postgres_database(server_url, "wooxero_bench")
            config = config.model_copy(update={
                "database": config.database.model_copy(update={"url": url})})  # fmt: skip
        app = create_app(config)
        with app.app_context():
            apply_migrations()
            store = Store(url="https://kiwi.example", name="Kiwi", state=StoreState.ACTIVE)
            db.session.add(store)
            db.session.commit()
            started = time.monotonic()
            _seed(store)
            seeded = time.monotonic() - started
            print(f"dashboard, {RECORDS:,} sync records and {ORDERS:,} orders "
                  f"({db.engine.dialect.name}; seeded in {seeded:.0f} s):")  # fmt: skip
            token = open_dashboard_session(store)
            client = app.test_client()
            views = [(page.title, f"/dashboard/{page.key}?s={token}") for page in PAGES]
            views += [
                ("Activity: errors", f"/dashboard/activity?s={token}&show=error"),
                ("Activity: stuck", f"/dashboard/activity?s={token}&show=stuck"),
                ("Activity: rare kind", f"/dashboard/activity?s={token}&kind=credit_note"),
                ("Activity: kind, ok", f"/dashboard/activity?s={token}&kind=quote&show=ok"),
                ("Activity: a day", f"/dashboard/activity?s={token}&since=2026-06-01"
                                    "&until=2026-06-01"),
                ("Activity: order", f"/dashboard/activity?s={token}&order={ORDERS // 2}"),
            ]  # fmt: skip
            medians: dict[str, float] = {}
            for title, url in views:
                times = []
                for _ in range(REQUESTS):
                    began = time.perf_counter()
                    answer = client.get(url)
                    times.append((time.perf_counter() - began) * 1000)
                    assert answer.status_code == 200, (url, answer.status_code)
                medians[title] = statistics.median(times)
                print(f"  {title:<18} median {medians[title]:6.1f} ms, "
                      f"slowest {max(times):6.1f} ms — target under {TARGET_MS} ms")  # fmt: skip
            database = db.engine.dialect.name
    finally:
        redis.stop()
        if drop is not None:
            drop()
    slowest = max(medians, key=medians.__getitem__)
    return [
        at_most(
            "dashboard",
            f"slowest of {len(medians)} pages, median ({slowest}; {database}, {RECORDS:,} records)",
            medians[slowest],
            TARGET_MS,
            "ms",
        )
    ]


if __name__ == "__main__":
    main()
