"""Pacing against the Xero sandbox: a fast stream of new customers' paid orders is gathered
into batches whose calls are bounded by the batch size, each order invoiced and paid once; a
lone order goes at once; the day's budget is kept by class (backfill waits when its share is
used, payments still go). The flush job is run as each order arrives, as the worker would;
the sandbox counts Xero's requests."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.connections.xero import access as xero_access
from server.connectors.xero.ratelimit import CallPriority
from server.extensions import db
from server.inbound import records as woo_records
from server.jobs.queues import Priority, get_queue
from server.jobs.tasks import push
from server.models import OutboxEntry, OutboxPriority, OutboxStatus, Store
from server.push import pacing
from tests.integration.push.test_exactly_once import _fault, _orders_of_kind
from tests.support.jobs import run_jobs
from tests.support.xero import calls, objects, tenants

pytestmark = pytest.mark.usefixtures("quick_retries")

NZ = "Demo Company (NZ)"
BATCH = 10  # orders a batch is gathered up to here
# A batch of new customers' paid orders: one lookup (numbers and emails together), one
# call creating the contacts, one for the invoices, one for the payments.
CALLS_PER_BATCH = 4


@pytest.fixture
def gathering(monkeypatch: pytest.MonkeyPatch) -> pacing.Policy:
    """Gathering on (the suite's settings turn it off), with small batches, and no wait
    long enough to end in a test."""
    policy = pacing.Policy(batch=BATCH, max_gather=3600.0)
    monkeypatch.setattr(pacing, "policy", lambda: policy)
    return policy


@pytest.fixture
def stream_of_two_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Orders arrive at 2 a second from the second on, however long the test takes (the
    rate measured from arrival times is the unit tests')."""
    rate = pacing.arrivals_per_minute
    monkeypatch.setattr(
        pacing, "arrivals_per_minute", lambda s: 120.0 if s.arrivals >= 2 else rate(s)
    )


def _new_customers_paid_orders(store: Store, count: int) -> list[dict[str, Any]]:
    """`count` paid orders, each of a customer Xero has never seen (a shop order's copy)."""
    template = next(o for o in _orders_of_kind(store, "invoice") if o.get("date_paid_gmt"))
    orders = []
    for n in range(count):
        billing = {**template["billing"], "first_name": f"Stream{n}", "last_name": "Customer",
                   "company": "", "email": f"stream.customer{n}@example.com"}  # fmt: skip
        orders.append({**template, "id": 900000 + n, "number": str(900000 + n),
                       "customer_id": 800000 + n, "billing": billing})  # fmt: skip
    return orders


def _arrive(app: Flask, store: Store, order: dict[str, Any]) -> None:
    """An order arrives and asks for the store's flush, which a worker runs (a delayed one
    stays scheduled: no time passes here)."""
    woo_records.keep(store.id, "order", str(order["id"]), order)
    push.flush.enqueue(store.id)
    run_jobs(app)


def _invoices_and_payments(sandbox: Any, tenant_id: str) -> tuple[Counter, Counter]:
    invoices = Counter(
        i["InvoiceNumber"] for i in objects(sandbox, tenant_id, "Invoices")
        if i.get("Status") != "DELETED"
    )  # fmt: skip
    payments = Counter(
        p["Invoice"]["InvoiceNumber"] for p in objects(sandbox, tenant_id, "Payments")
        if p.get("PaymentType") == "ACCRECPAYMENT" and p.get("Status") != "DELETED"
    )  # fmt: skip
    return invoices, payments


def _operations(sandbox: Any, tenant_id: str) -> Counter[str]:
    """The organisation's Xero calls so far, by operation."""
    return Counter(calls(sandbox).get(tenant_id, {}).get("calls", {}))


def _scheduled_flushes() -> int:
    return len(get_queue(Priority.DEFAULT).scheduled_job_registry.get_job_ids())


@pytest.mark.usefixtures("stream_of_two_a_second")
def test_a_fast_stream_is_gathered_into_batches_each_order_invoiced_and_paid_once(
    synced_store: Store, sandbox: Any, gathering: pacing.Policy, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    orders = _new_customers_paid_orders(synced_store, 1 + 2 * BATCH)
    before = _operations(sandbox, tenant_id)

    for order in orders:
        _arrive(app_context, synced_store, order)

    # The first order goes alone; the stream is then seen and the rest gathered, a batch
    # going each time BATCH orders wait.
    alone = 1
    batches = math.ceil((len(orders) - alone) / BATCH)
    made = _operations(sandbox, tenant_id) - before
    assert made.total() <= alone * gathering.calls_alone + batches * CALLS_PER_BATCH, made
    invoices, payments = _invoices_and_payments(sandbox, tenant_id)
    numbers = [f"WC-{order['number']}" for order in orders]
    assert [invoices[n] for n in numbers] == [1] * len(orders)
    assert [payments[n] for n in numbers] == [1] * len(orders)


@pytest.mark.usefixtures("stream_of_two_a_second")
def test_a_gathering_flush_waits_for_its_delayed_job(
    synced_store: Store, sandbox: Any, gathering: pacing.Policy, app_context: Flask
) -> None:
    orders = _new_customers_paid_orders(synced_store, 3)
    for order in orders:
        _arrive(app_context, synced_store, order)

    pending = db.session.scalars(
        sa.select(OutboxEntry.woo_order_id).where(OutboxEntry.status == OutboxStatus.PENDING)
    ).all()
    assert sorted(pending) == sorted(str(order["id"]) for order in orders[1:])
    assert _scheduled_flushes() == 1, "one delayed flush for all of them"
    # The sweeper joins the delayed flush rather than starting one of its own.
    push.flush_stores()
    run_jobs(app_context)
    assert _scheduled_flushes() == 1
    assert len(pending) == db.session.scalar(
        sa.select(sa.func.count(OutboxEntry.id)).where(OutboxEntry.status == OutboxStatus.PENDING)
    )


def test_a_lone_order_is_flushed_without_gathering(
    synced_store: Store, sandbox: Any, gathering: pacing.Policy, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    (order,) = _new_customers_paid_orders(synced_store, 1)

    _arrive(app_context, synced_store, order)

    invoices, payments = _invoices_and_payments(sandbox, tenant_id)
    assert invoices[f"WC-{order['number']}"] == 1 and payments[f"WC-{order['number']}"] == 1
    assert _scheduled_flushes() == 0


def _use_day(store: Store, calls: int) -> None:
    """The organisation used `calls` of its day (as Xero's headers would tell)."""
    db.session.commit()
    client = xero_access.client_for(xero_access.connection_for_store(store.id))
    left = client.limiter.limits.per_day - calls
    client.limiter.correct(client.tenant_id, {"X-DayLimit-Remaining": str(left)})


def _day_share(priority: CallPriority) -> int:
    """The calls of a day `priority` may use (its room when nothing is used)."""
    limiter = xero_access.rate_limiter()
    return limiter.day_room(limiter.usage(["nobody"])["nobody"], priority)


def _as_backfill(store: Store, woo_id: str) -> None:
    db.session.execute(
        sa.update(OutboxEntry)
        .where(OutboxEntry.store_id == store.id, OutboxEntry.woo_order_id == woo_id)
        .values(priority=int(OutboxPriority.BACKFILL))
    )
    db.session.commit()


def _status(store: Store, woo_id: str) -> OutboxStatus:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(OutboxEntry.status).where(
            OutboxEntry.store_id == store.id, OutboxEntry.woo_order_id == woo_id
        )
    ).one()


def test_backfill_waits_once_its_share_of_the_day_is_used_and_new_orders_still_go(
    synced_store: Store, sandbox: Any, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    old, new = _new_customers_paid_orders(synced_store, 2)
    woo_records.keep(synced_store.id, "order", str(old["id"]), old)
    _as_backfill(synced_store, str(old["id"]))
    _use_day(synced_store, _day_share(CallPriority.LOW))

    _arrive(app_context, synced_store, new)

    invoices, payments = _invoices_and_payments(sandbox, tenant_id)
    assert invoices[f"WC-{new['number']}"] == 1 and payments[f"WC-{new['number']}"] == 1
    assert f"WC-{old['number']}" not in invoices
    assert _status(synced_store, str(old["id"])) is OutboxStatus.PENDING


def test_payments_go_when_new_documents_have_used_their_share_of_the_day(
    synced_store: Store, sandbox: Any, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    paid, waiting = _new_customers_paid_orders(synced_store, 2)
    _fault(sandbox, "/Payments", "PUT", status=503, count=3)  # every try of the payment fails
    _arrive(app_context, synced_store, paid)
    assert _status(synced_store, str(paid["id"])) is OutboxStatus.BOOKS
    _use_day(synced_store, _day_share(CallPriority.NORMAL))

    _arrive(app_context, synced_store, waiting)

    invoices, payments = _invoices_and_payments(sandbox, tenant_id)
    assert payments[f"WC-{paid['number']}"] == 1
    assert f"WC-{waiting['number']}" not in invoices
    assert _status(synced_store, str(waiting["id"])) is OutboxStatus.PENDING
