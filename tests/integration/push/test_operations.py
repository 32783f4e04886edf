"""What a person does with the engine through the API: a backfill with its progress, a
replay of failed orders that makes nothing twice, the Contacts and Items scopes on their own,
cancellations, and edits of documents Xero can or cannot change."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.extensions import db
from server.inbound import records as woo_records
from server.jobs.tasks import inbound, push
from server.models import Binding, BindingKind, OutboxEntry, OutboxStatus, Store, SyncRecord
from server.pull import changes
from server.push import flush as engine
from server.stores.settings import storage as settings_store
from tests.integration.push.test_flush import (
    _backfill_and_flush,
    _documents,
    _orders,
    _xero_calls,
)
from tests.support.jobs import run_jobs
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.web import admin_action
from tests.support.woocommerce import pending_delivery
from tests.support.xero import objects, tenants

pytestmark = pytest.mark.usefixtures("quick_retries")


class Api:
    def __init__(self, client: Any, store: Store) -> None:
        self.client = client
        self.base = f"/api/v1/stores/{store.public_id}"
        self.token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(self.base + path, json=body, headers={"X-CSRFToken": self.token})

    def get(self, path: str) -> Any:
        return self.client.get(self.base + path)


def _an_authorised_invoice() -> Binding:
    binding = db.session.scalars(
        sa.select(Binding).where(
            Binding.kind == BindingKind.INVOICE, Binding.xero_status == "AUTHORISED"
        )
    ).first()
    assert binding is not None
    return binding


def _refuse_next(sandbox: Any, path: str) -> None:
    """Xero answers the next PUT of `path` with a 400 for the whole batch."""
    requests.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"path": path, "method": "PUT", "status": 400, "count": 1},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()


def _run_queued_backfill(store: Store, backfill_id: int) -> None:
    push.run_backfill(backfill_id)
    while engine.flush(store.id).more:
        pass
    db.session.commit()


def test_a_backfill_through_the_api_reports_its_progress(client, synced_store, sandbox):
    api = Api(client, synced_store)
    assert api.post("/backfill", {"since": "yesterday"}).status_code == 422
    started = api.post("/backfill", {"since": "2000-01-01"})
    assert started.status_code == 202, started.get_json()
    assert api.post("/backfill", {"since": "2000-01-01"}).status_code == 409  # one at a time
    before = api.get("/backfill").get_json()
    assert before["status"] == "running" and before["done"] == 0

    _run_queued_backfill(synced_store, started.get_json()["id"])

    progress = api.get("/backfill").get_json()
    orders = _orders(synced_store)
    assert progress["status"] == "done"
    assert progress["read"] == progress["total"] == progress["done"] == len(orders)
    assert progress["seconds_left"] == 0


def test_a_replay_sends_the_failed_orders_once(client, synced_store, sandbox):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    _refuse_next(sandbox, "/Invoices")
    _backfill_and_flush(synced_store)
    failed = db.session.scalars(
        sa.select(OutboxEntry.woo_order_id).where(OutboxEntry.status == OutboxStatus.FAILED)
    ).all()
    assert failed  # the refused batch
    documents_before = _documents(sandbox, tenant_id)

    answer = Api(client, synced_store).post("/replay", {})
    assert answer.status_code == 200 and answer.get_json()["replayed"] == len(failed)
    engine.flush(synced_store.id)

    documents = _documents(sandbox, tenant_id)
    assert set(documents) > set(documents_before)
    assert all(len(found) == 1 for found in documents.values())
    still_failed = db.session.scalars(
        sa.select(OutboxEntry.error).where(OutboxEntry.status == OutboxStatus.FAILED)
    ).all()
    assert all("not subscribed" in error for error in still_failed)


def test_the_contacts_scope_makes_only_contacts(synced_store, sandbox):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    orders = _orders(synced_store)
    for order in orders:
        woo_records.keep(synced_store.id, "order", str(order["id"]), order)
    db.session.commit()
    # the default rules, and refunded orders, which keep their invoices
    documented = ("pending", "on-hold", "processing", "completed", "refunded")
    customers = {
        order["customer_id"] or order["billing"]["email"].lower()
        for order in orders
        if order["status"] in documented
    }

    message = engine.sync_contacts(synced_store.id)

    assert message == f"{len(customers)} contact(s) in Xero, 0 refused"
    assert not [
        i for i in objects(sandbox, tenant_id, "Invoices") if i["InvoiceNumber"].startswith("WC-")
    ]
    bound = db.session.scalar(
        sa.select(sa.func.count(Binding.id)).where(Binding.kind == BindingKind.CONTACT)
    )
    assert bound == len(customers)


def test_a_cancelled_order_voids_its_authorised_invoice(synced_store, sandbox, shop):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    _backfill_and_flush(synced_store)
    binding = _an_authorised_invoice()
    order = next(o for o in _orders(synced_store) if str(o["id"]) == binding.woo_id)
    woo_records.keep(synced_store.id, "order", binding.woo_id, {**order, "status": "cancelled"})
    db.session.commit()

    engine.flush(synced_store.id)

    invoice = next(
        i for i in objects(sandbox, tenant_id, "Invoices") if i["InvoiceID"] == binding.xero_id
    )
    assert invoice["Status"] == "VOIDED"
    record = db.session.scalars(
        sa.select(SyncRecord).where(
            SyncRecord.action == "cancel", SyncRecord.woo_id == binding.woo_id
        )
    ).one()
    assert "VOIDED" in record.message


def test_an_edit_of_a_paid_invoice_is_a_visible_warning_not_a_silent_divergence(
    synced_store, sandbox
):
    _backfill_and_flush(synced_store)
    binding = db.session.scalars(
        sa.select(Binding).where(Binding.kind == BindingKind.INVOICE)
    ).first()
    assert binding is not None
    order = next(o for o in _orders(synced_store) if str(o["id"]) == binding.woo_id)
    binding.xero_status = "PAID"  # as the pull would have learnt it
    first, *rest = order["line_items"]
    changed = {**order, "line_items": [{**first, "name": "Renamed product"}, *rest]}
    woo_records.keep(synced_store.id, "order", binding.woo_id, changed)
    db.session.commit()

    engine.flush(synced_store.id)

    entry = db.session.scalars(
        sa.select(OutboxEntry).where(OutboxEntry.woo_order_id == binding.woo_id)
    ).one()
    assert entry.status is OutboxStatus.HELD
    assert "PAID" in entry.error and "can no longer be edited" in entry.error


def test_the_admin_outbox_replays_the_selected_orders_through_a_worker(
    client, app_context, synced_store, sandbox
):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    _refuse_next(sandbox, "/Quotes")
    _backfill_and_flush(synced_store)
    refused = db.session.scalars(
        sa.select(OutboxEntry).where(
            OutboxEntry.status == OutboxStatus.FAILED, OutboxEntry.kind == "quote"
        )
    ).all()
    assert refused
    numbers = {entry.number for entry in refused}
    assert not numbers & set(_documents(sandbox, tenant_id))

    answer = admin_action(client, "outboxentry", "replay", [entry.id for entry in refused])
    assert answer.status_code == 302
    run_jobs(app_context)

    documents = _documents(sandbox, tenant_id)
    assert numbers <= set(documents)
    assert all(len(documents[number]) == 1 for number in numbers)


def test_orders_wait_while_a_prerequisite_is_missing_and_go_once_it_is_there(synced_store, sandbox):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    settings = settings_store.load(synced_store.id)
    off = settings.model_copy(
        update={"modules": settings.modules.model_copy(update={"invoices": False})}
    )
    settings_store.save(synced_store.id, off)
    db.session.commit()
    orders = _orders(synced_store)
    for order in orders:
        woo_records.keep(synced_store.id, "order", str(order["id"]), order)
    db.session.commit()

    assert engine.flush(synced_store.id).written == 0
    waiting = db.session.execute(sa.select(OutboxEntry.status, OutboxEntry.error)).all()
    assert len(waiting) == len(orders)
    assert {status for status, _ in waiting} == {OutboxStatus.WAITING}
    assert all("the Invoices module is off" in error for _, error in waiting)
    (why,) = db.session.scalars(sa.select(SyncRecord.message).where(SyncRecord.action == "hold"))
    assert why.startswith(f"{len(orders)} order(s) wait") and "Invoices module is off" in why
    assert push.flush_stores() == 0  # still blocked: nothing to start

    settings_store.save(synced_store.id, settings)
    db.session.commit()
    assert push.flush_stores() == 1
    while engine.flush(synced_store.id).more:
        pass

    assert _documents(sandbox, tenant_id)
    assert not db.session.scalars(
        sa.select(OutboxEntry).where(
            sa.or_(
                OutboxEntry.status == OutboxStatus.WAITING,
                OutboxEntry.error.like("not sent yet%"),
            )
        )
    ).all()


def test_the_admin_sync_settings_page_works_through_the_api(client, synced_store):
    page = client.get(f"/admin/sync_settings/?store={synced_store.public_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/api/v1/stores/{synced_store.public_id}" in html  # the buttons' API
    assert re.search(r'<input type="checkbox"[^>]*name="modules.invoices"[^>]* checked', html)
    assert "sync_settings.js" in html
    assert client.get("/static/sync_settings.js").status_code == 200
    assert client.get("/admin/sync_settings/?store=nope").status_code == 404
    listing = client.get("/admin/store/").get_data(as_text=True)
    assert f"/admin/sync_settings/?store={synced_store.public_id}" in listing


def test_an_edited_order_updates_its_draft_invoice_in_place(synced_store, sandbox):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    settings = settings_store.load(synced_store.id)
    drafts = settings.documents.model_copy(update={"invoice_status": "DRAFT"})
    settings_store.save(synced_store.id, settings.model_copy(update={"documents": drafts}))
    db.session.commit()
    _backfill_and_flush(synced_store)
    binding = db.session.scalars(  # an unpaid order's: a paid one's is approved for its payment
        sa.select(Binding).where(
            Binding.kind == BindingKind.INVOICE, Binding.xero_status == "DRAFT"
        )
    ).first()
    assert binding is not None
    order = next(o for o in _orders(synced_store) if str(o["id"]) == binding.woo_id)
    first, *rest = order["line_items"]
    woo_records.keep(
        synced_store.id, "order", binding.woo_id,
        {**order, "line_items": [{**first, "name": "Renamed product"}, *rest]},
    )  # fmt: skip
    db.session.commit()
    calls_before = _xero_calls(sandbox, tenant_id)

    engine.flush(synced_store.id)

    invoices = [
        i
        for i in objects(sandbox, tenant_id, "Invoices")
        if i["InvoiceNumber"] == binding.xero_number
    ]
    assert len(invoices) == 1 and invoices[0]["InvoiceID"] == binding.xero_id
    assert invoices[0]["LineItems"][0]["Description"] == "Renamed product"
    assert Decimal(str(invoices[0]["Total"])) == Decimal(order["total"])
    assert _xero_calls(sandbox, tenant_id) - calls_before == 1  # one POST, nothing else
    update = db.session.scalars(
        sa.select(SyncRecord).where(
            SyncRecord.action == "update", SyncRecord.woo_id == binding.woo_id
        )
    ).one()
    assert update.outcome.value == "ok"


def test_a_webhook_delivery_becomes_an_invoice_through_the_queue(
    app_context, synced_store, sandbox
):
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    order = next(
        o for o in _orders(synced_store) if o["status"] == "processing" and o["currency"] == "NZD"
    )
    pending_delivery(synced_store, order["id"])
    inbound.process_woo_record.enqueue(synced_store.id, "order", str(order["id"]))

    run_jobs(app_context)  # reads the order, then the flush it enqueued writes the invoice

    (invoice,) = [
        i
        for i in objects(sandbox, tenant_id, "Invoices")
        if i["InvoiceNumber"] == f"WC-{order['number']}"
    ]
    assert Decimal(str(invoice["Total"])) == Decimal(order["total"])
    assert invoice["Status"] == "AUTHORISED"


def test_the_pull_learns_that_xero_marked_an_invoice_paid(synced_store, sandbox):
    _backfill_and_flush(synced_store)
    binding = _an_authorised_invoice()
    client = xero_access.client_for(xero_access.connection_for_store(synced_store.id))
    invoice = client.get_one(resources.INVOICES, binding.xero_id)
    db.session.commit()
    next(write_batches(client, resources.PAYMENTS, [{
        "Invoice": {"InvoiceID": binding.xero_id}, "Account": {"Code": "090"},
        "Amount": invoice["AmountDue"], "Date": invoice["DateString"][:10],
    }]))  # fmt: skip

    message = changes.pull(synced_store.id)

    db.session.expire_all()
    assert db.session.get(Binding, binding.id).xero_status == "PAID"
    assert message.startswith("1 invoice(s)")
    record = db.session.scalars(sa.select(SyncRecord).where(SyncRecord.action == "pull")).one()
    assert "AUTHORISED to PAID" in record.message
    assert changes.pull(synced_store.id).startswith("0 invoice(s)")  # nothing new
