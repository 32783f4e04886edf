"""End to end with real `wooxero worker` processes: a backfill enqueued as a job, read and
flushed by two workers while Xero loses a fifth of its answers after applying the writes;
the sweeper's flushes (as the scheduler would start them) finish the work. Every order ends
as exactly one document with WooCommerce's total."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.inbound import backfill
from server.jobs.tasks import push
from server.models import OutboxEntry, OutboxStatus, Store
from tests.integration.push.test_flush import _currencies, _documents, _expected, _orders
from tests.support.processes import PROJECT_ROOT, production_environment
from tests.support.xero import configure, tenants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("quick_retries")]
WORKERS = 2


def _run_workers(environment: dict[str, str]) -> None:
    db.session.commit()  # on SQLite even a read holds the write lock the workers need
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "server", "worker", "--burst"], env=environment,
            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(WORKERS)
    ]  # fmt: skip
    errors = [worker.communicate(timeout=300)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, "\n".join(errors)


def _unsettled() -> int:
    db.session.rollback()
    return int(
        db.session.scalar(
            sa.select(sa.func.count(OutboxEntry.id)).where(
                OutboxEntry.status.in_(
                    (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.UNCERTAIN)
                )
            )
        )
    )


def test_workers_backfill_through_lost_answers_to_one_document_per_order(
    synced_store: Store, sandbox: Any, settings: Any, redis_url: str, tmp_path: Any
) -> None:
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    run = backfill.start(synced_store.id, datetime(2000, 1, 1, tzinfo=UTC))
    db.session.commit()
    push.run_backfill.enqueue(run.id)
    configure(sandbox, drop_response_rate=0.2)
    environment = production_environment(
        settings, redis_url, WOOXERO_SERVER__DATA_DIR=str(tmp_path)
    )

    _run_workers(environment)
    for _ in range(10):  # the scheduler's minute sweeps
        if not _unsettled():
            break
        push.flush_stores()
        _run_workers(environment)
    configure(sandbox, drop_response_rate=0.0)

    assert _unsettled() == 0
    expected = _expected(synced_store, _orders(synced_store), _currencies(sandbox))
    documents = _documents(sandbox, tenant_id)
    assert set(documents) == set(expected)
    for number, order in expected.items():
        (document,) = documents[number]
        assert Decimal(str(document["Total"])) == Decimal(order["total"]), number
    db.session.rollback()
    progress = backfill.progress(db.session.get(type(run), run.id))
    assert progress.status == "done" and progress.done == progress.total == len(
        _orders(synced_store)
    )
