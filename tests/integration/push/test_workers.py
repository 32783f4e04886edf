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
from redis import Redis

from server.connectors.base import TransientError
from server.extensions import db
from server.inbound import backfill
from server.jobs.tasks import push
from server.models import Binding, BindingKind, OutboxEntry, Store
from server.push import books, outbox
from tests.integration.push.test_books import _check_books
from tests.integration.push.test_flush import (
    _backfill_and_flush,
    _currencies,
    _documents,
    _expected,
    _orders,
)
from tests.support.processes import PROJECT_ROOT, kill_with_descendants, production_environment
from tests.support.waiting import wait_until
from tests.support.xero import calls, configure, tenants

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
                OutboxEntry.status.in_(outbox.UNSETTLED)  # books included
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
    assert _check_books(synced_store, sandbox, tenant_id) >= 3  # payments, credit notes once
    db.session.rollback()
    progress = backfill.progress(db.session.get(type(run), run.id))
    assert progress.status == "done" and progress.done == progress.total == len(
        _orders(synced_store)
    )


def _marks() -> int:
    """Payments and credit notes on their way to Xero (bound without an id yet)."""
    db.session.rollback()
    count = db.session.scalar(
        sa.select(sa.func.count(Binding.id)).where(
            Binding.kind.in_((BindingKind.PAYMENT, BindingKind.CREDIT_NOTE)),
            Binding.xero_id.is_(None),
        )
    )
    db.session.commit()
    return int(count or 0)


def _out_of_reach(*_args: Any) -> None:
    raise TransientError("Xero is out of reach")


def _put_payments(sandbox: Any, tenant_id: str) -> int:
    return int(calls(sandbox).get(tenant_id, {}).get("calls", {}).get("PUT /Payments", 0))


def _in_flight(sandbox: Any, tenant_id: str) -> int:
    return int(calls(sandbox).get(tenant_id, {}).get("in_flight", 0))


def test_a_worker_killed_while_booking_payments_books_each_once(
    synced_store: Store, sandbox: Any, settings: Any, redis_url: str, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The invoices are in Xero and the books to do; a worker is killed (SIGKILL) once its
    batch of payments has reached Xero, before the answer. The next worker reconciles the
    marks it left: each payment and credit note exists once, and is bound."""
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    with monkeypatch.context() as patched:  # the invoices alone, in process
        patched.setattr(books, "settle", _out_of_reach)
        _backfill_and_flush(synced_store)
    assert _unsettled() > 0, "the books are to do"
    environment = production_environment(
        settings, redis_url, WOOXERO_SERVER__DATA_DIR=str(tmp_path)
    )
    configure(sandbox, latency_ms=3000)  # every answer late: the worker is caught in a call
    push.flush.enqueue(synced_store.id)
    db.session.commit()
    worker = subprocess.Popen(
        [sys.executable, "-m", "server", "worker", "--burst"], env=environment, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: _marks() and _put_payments(sandbox, tenant_id),
                   "a batch of payments on its way to Xero")  # fmt: skip
    finally:
        kill_with_descendants(worker.pid)  # its work horse too: the job dies with it
        worker.wait()
    configure(sandbox, latency_ms=0)
    assert _marks() > 0, "killed with its marks in place"
    # The killed flush's lock outlives the call it left in Xero (it is held longer than a
    # call can take) and then runs out in its own time; a test waits for the call only.
    wait_until(lambda: _in_flight(sandbox, tenant_id) == 0, "Xero to finish the killed call")
    Redis.from_url(redis_url).delete(f"wooxero:flush:{synced_store.id}")

    for _ in range(5):  # the scheduler's minute sweeps
        if not _unsettled():
            break
        push.flush_stores()
        _run_workers(environment)

    assert _unsettled() == 0 and _marks() == 0
    assert _check_books(synced_store, sandbox, tenant_id) >= 3
