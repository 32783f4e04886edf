"""The engine against both sandboxes, in process: a backfill turns every order into one
Xero document whose total is WooCommerce's to the cent; the same orders again cost no call;
responses dropped after Xero applied the write still leave one document per order."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from server import locks
from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.inbound import backfill
from server.mapping.orders import document_kind
from server.models import Binding, BindingKind, OutboxEntry, OutboxStatus, Store, SyncRecord
from server.push import flush as engine
from server.redis_client import get_redis
from server.stores.settings import storage as settings_store
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import calls, drop_answers, objects, tenants

pytestmark = pytest.mark.usefixtures("quick_retries")

SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _backfill_and_flush(store: Store) -> None:
    row = backfill.start(store.id, SINCE)
    db.session.commit()
    while backfill.read_page(row.id):
        pass
    for _ in range(20):
        if not engine.flush(store.id).more:
            break
    db.session.commit()


def _orders(store: Store) -> list[dict[str, Any]]:
    return list(woo_access.client_for(store).iterate("orders"))


def _xero_calls(sandbox: Any, tenant_id: str) -> int:
    return int(calls(sandbox).get(tenant_id, {}).get("total", 0))


def _documents(sandbox: Any, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for collection, number in (("Invoices", "InvoiceNumber"), ("Quotes", "QuoteNumber")):
        for document in objects(sandbox, tenant_id, collection):
            if document.get("Status") != "DELETED":
                found.setdefault(document[number], []).append(document)
    return found


def _currencies(sandbox: Any) -> set[str]:
    """The currencies the NZ organisation is subscribed to."""
    rows = requests.get(f"{sandbox.base_url}/_sandbox/tenants", timeout=HTTP_TIMEOUT).json()
    return {c for row in rows if row["name"] == "Demo Company (NZ)" for c in row["currencies"]}


def _makes_document(store: Store, order: dict[str, Any]) -> bool:
    settings = settings_store.load(store.id)
    return document_kind(order, settings) != "none" and order["status"] != "cancelled"


def _expected(
    store: Store, orders: list[dict[str, Any]], currencies: set[str]
) -> dict[str, dict[str, Any]]:
    """Number → order, for the orders that make a document in a currency Xero takes."""
    settings = settings_store.load(store.id)
    expected = {}
    for order in orders:
        kind = document_kind(order, settings)
        if not _makes_document(store, order) or order["currency"] not in currencies:
            continue
        prefix = "WC-" if kind == "invoice" else "WCQ-"
        expected[f"{prefix}{order['number']}"] = order
    return expected


def test_a_backfill_makes_one_document_per_order_with_woocommerces_total(
    synced_store: Store, sandbox: Any
) -> None:
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    _backfill_and_flush(synced_store)

    orders = _orders(synced_store)
    currencies = _currencies(sandbox)
    expected = _expected(synced_store, orders, currencies)
    documents = _documents(sandbox, tenant_id)
    assert len(expected) > 20
    assert set(documents) == set(expected)
    for number, order in expected.items():
        (document,) = documents[number]
        assert Decimal(str(document["Total"])) == Decimal(order["total"]), number
        assert document["Reference"] == str(order["number"])
    foreign = [
        o for o in orders if o["currency"] not in currencies and _makes_document(synced_store, o)
    ]
    failed = db.session.scalars(
        sa.select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.FAILED)
    ).all()
    assert {e.woo_order_id for e in failed} == {str(o["id"]) for o in foreign}
    assert all("not subscribed to currency" in e.error for e in failed)


def test_the_same_orders_again_cost_no_xero_call(synced_store: Store, sandbox: Any) -> None:
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    _backfill_and_flush(synced_store)
    before = _xero_calls(sandbox, tenant_id)
    documents_before = _documents(sandbox, tenant_id)

    _backfill_and_flush(synced_store)

    assert _xero_calls(sandbox, tenant_id) == before
    assert _documents(sandbox, tenant_id).keys() == documents_before.keys()


def test_dropped_responses_after_applied_writes_still_give_one_document_per_order(
    synced_store: Store, sandbox: Any
) -> None:
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    # Every attempt of the first invoice batch is applied by Xero, its answer lost: the
    # client's retries are answered from the idempotency cache or lost too, and the batch
    # ends uncertain; contacts suffer the same once.
    drop_answers(sandbox, {"/Invoices": 3, "/Contacts": 1})
    _backfill_and_flush(synced_store)
    for _ in range(3):  # the sweeper's later flushes
        engine.flush(synced_store.id)

    expected = _expected(synced_store, _orders(synced_store), _currencies(sandbox))
    documents = _documents(sandbox, tenant_id)
    assert set(documents) == set(expected)
    assert all(len(found) == 1 for found in documents.values())
    bound = db.session.scalars(
        sa.select(Binding.xero_number).where(
            Binding.kind.in_((BindingKind.INVOICE, BindingKind.QUOTE))
        )
    ).all()
    assert sorted(bound) == sorted(expected)
    reconciled = db.session.scalars(
        sa.select(SyncRecord.woo_id).where(SyncRecord.action == "reconcile")
    ).all()
    assert len(reconciled) >= 1  # the lost batch was found by its numbers, not made twice
    contacts = objects(sandbox, tenant_id, "Contacts")
    emails = [c.get("EmailAddress", "").lower() for c in contacts if c.get("EmailAddress")]
    assert len(emails) == len(set(emails))


def test_a_flush_out_of_time_stops_between_rounds_and_the_next_one_goes_on(
    synced_store: Store, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rounds of twenty; the clock jumps past the deadline after the first round: that flush
    says there is more, and the flushes after it write the rest, each order once."""
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    row = backfill.start(synced_store.id, SINCE)
    db.session.commit()
    while backfill.read_page(row.id):
        pass
    monkeypatch.setattr(engine, "ROUND_SIZE", 20)
    rounds: list[int] = []
    real_round = engine._round

    def counted_round(*args: Any) -> int:
        rounds.append(1)
        return real_round(*args)

    monkeypatch.setattr(engine, "_round", counted_round)
    late = SimpleNamespace(monotonic=lambda: time.monotonic() + (10**6 if rounds else 0))
    monkeypatch.setattr(engine, "time", late)

    first = engine.flush(synced_store.id)

    assert len(rounds) == 1 and first.more and 0 < first.written <= engine.ROUND_SIZE
    flushes = 1
    while engine.flush(synced_store.id).more:
        flushes += 1
        assert flushes < 100
    expected = _expected(synced_store, _orders(synced_store), _currencies(sandbox))
    documents = _documents(sandbox, tenant_id)
    assert set(documents) == set(expected)
    assert all(len(found) == 1 for found in documents.values())


def test_a_flush_whose_lock_redis_lost_sends_nothing_more(
    synced_store: Store, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis restarts without its data during a flush (its contacts made, its documents not
    yet sent) and another flush takes the store's lock: this one makes no further call to
    Xero (two writers of one organisation make the same contact twice, or pay the same
    refund back twice), and the holder goes on."""
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    row = backfill.start(synced_store.id, SINCE)
    db.session.commit()
    while backfill.read_page(row.id):
        pass
    monkeypatch.setattr(engine, "ROUND_SIZE", 20)
    name = f"wooxero:flush:{synced_store.id}"
    calls_when_lost: list[int] = []
    others: list[Any] = []
    real_contacts = engine._with_contacts

    def contacts_then_redis_loses_the_lock(*args: Any) -> Any:
        plans = real_contacts(*args)
        if not others:  # in the first round, before its documents leave
            get_redis().delete(name)  # Redis started again with nothing
            others.append(locks.take(get_redis(), name, hold=600))  # another flush's
            calls_when_lost.append(_xero_calls(sandbox, tenant_id))
        return plans

    monkeypatch.setattr(engine, "_with_contacts", contacts_then_redis_loses_the_lock)

    first = engine.flush(synced_store.id)
    while_held = engine.flush(synced_store.id)

    assert _xero_calls(sandbox, tenant_id) == calls_when_lost[0]
    assert first.written == 0 and while_held.written == 0
    locks.release(others[0])
    flushes = 0
    while engine.flush(synced_store.id).more:
        flushes += 1
        assert flushes < 100
    expected = _expected(synced_store, _orders(synced_store), _currencies(sandbox))
    documents = _documents(sandbox, tenant_id)
    assert set(documents) == set(expected)
    assert all(len(found) == 1 for found in documents.values())
