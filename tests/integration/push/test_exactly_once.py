"""The hard cases of exactly-once, each once found broken: a number someone else's document
holds, an update whose answer was lost, lookups of both kinds after doubt, edits that repeat
within Xero's idempotency window, a killed flush, a contact Xero will not restore, a pull of
many pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.xero import client as xero_client_module
from server.extensions import db
from server.inbound import records as woo_records
from server.jobs.tasks import push
from server.mapping.orders import document_kind
from server.models import Binding, BindingKind, OutboxEntry, OutboxStatus, Store
from server.pull import changes as pull
from server.push import flush as engine
from server.push import outbox
from server.stores.settings import storage as settings_store
from tests.integration.push.test_flush import _orders
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import objects, tenants

pytestmark = pytest.mark.usefixtures("quick_retries")

NZ = "Demo Company (NZ)"


def _orders_of_kind(store: Store, kind: str) -> list[dict[str, Any]]:
    settings = settings_store.load(store.id)
    return [
        order
        for order in _orders(store)
        if document_kind(order, settings) == kind
        and order["status"] != "cancelled"
        and order["currency"] == "NZD"
    ]


def _keep(store: Store, order: dict[str, Any]) -> str:
    woo_records.keep(store.id, "order", str(order["id"]), order)
    db.session.commit()
    return str(order["id"])


def _entry(store: Store, woo_id: str) -> OutboxEntry:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(OutboxEntry).where(
            OutboxEntry.store_id == store.id, OutboxEntry.woo_order_id == woo_id
        )
    ).one()


def _binding(kind: BindingKind, woo_id: str) -> Binding | None:
    return db.session.scalars(
        sa.select(Binding).where(Binding.kind == kind, Binding.woo_id == woo_id)
    ).first()


def _fault(sandbox: Any, path: str, method: str, **fault: Any) -> None:
    requests.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"path": path, "method": method, "count": 1, **fault},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()


def _xero(store: Store) -> Any:
    db.session.commit()
    return xero_access.client_for(xero_access.connection_for_store(store.id))


def _put(store: Store, collection: str, element: dict[str, Any]) -> dict[str, Any]:
    answer = _xero(store).write(
        "PUT", collection, {collection: [element]}, params={"summarizeErrors": "false"}
    )
    return answer.data[collection][0]


def _renamed(order: dict[str, Any], name: str) -> dict[str, Any]:
    first, *rest = order["line_items"]
    return {**order, "line_items": [{**first, "name": name}, *rest]}


def _quote_then_paid(store: Store) -> tuple[dict[str, Any], str, Binding]:
    """An order quoted in Xero, then paid in WooCommerce (not flushed yet)."""
    order = _orders_of_kind(store, "quote")[0]
    woo_id = _keep(store, order)
    engine.flush(store.id)
    quote = _binding(BindingKind.QUOTE, woo_id)
    assert quote is not None
    _keep(store, {**order, "status": "processing", "date_paid_gmt": "2026-11-20T10:00:00"})
    return order, woo_id, quote


def _lines(sandbox: Any, invoice_id: str) -> list[str]:
    tenant = tenants(sandbox)[NZ]
    invoice = next(i for i in objects(sandbox, tenant, "Invoices") if i["InvoiceID"] == invoice_id)
    return [line["Description"] for line in invoice["LineItems"]]


def test_a_number_held_by_a_persons_invoice_holds_the_order_and_leaves_it_alone(
    synced_store, sandbox
):
    order = _orders_of_kind(synced_store, "invoice")[0]
    theirs = _put(synced_store, "Invoices", {
        "Type": "ACCREC", "InvoiceNumber": f"WC-{order['number']}", "Status": "DRAFT",
        "Contact": {"Name": "Somebody Else"},
        "LineItems": [{"Description": "manual", "Quantity": 1, "UnitAmount": 1.23, "AccountCode": "200"}],
    })  # fmt: skip
    woo_id = _keep(synced_store, order)

    engine.flush(synced_store.id)
    engine.flush(synced_store.id)

    entry = _entry(synced_store, woo_id)
    assert entry.status is OutboxStatus.HELD
    assert "used by another document" in entry.error
    assert _binding(BindingKind.INVOICE, woo_id) is None
    assert _lines(sandbox, theirs["InvoiceID"]) == ["manual"]


def test_a_supplier_bill_with_our_number_is_never_taken_for_our_invoice(synced_store, sandbox):
    tenant = tenants(sandbox)[NZ]
    order = _orders_of_kind(synced_store, "invoice")[0]
    bill = _put(synced_store, "Invoices", {
        "Type": "ACCPAY", "InvoiceNumber": f"WC-{order['number']}", "Status": "DRAFT",
        "Contact": {"Name": "A Supplier"},
        "LineItems": [{"Description": "bill", "Quantity": 1, "UnitAmount": 9, "AccountCode": "400"}],
    })  # fmt: skip
    woo_id = _keep(synced_store, order)
    _fault(sandbox, "/Invoices", "PUT", status=503, count=3)  # our create never applied

    engine.flush(synced_store.id)
    engine.flush(synced_store.id)

    binding = _binding(BindingKind.INVOICE, woo_id)
    assert binding is not None and binding.xero_id != bill["InvoiceID"]
    ours = [
        i for i in objects(sandbox, tenant, "Invoices")
        if i.get("Type") == "ACCREC" and i["InvoiceNumber"] == f"WC-{order['number']}"
    ]  # fmt: skip
    assert len(ours) == 1 and Decimal(str(ours[0]["Total"])) == Decimal(order["total"])


def test_an_update_whose_answer_was_lost_is_sent_again_not_taken_as_done(synced_store, sandbox):
    order = _orders_of_kind(synced_store, "invoice")[0]
    woo_id = _keep(synced_store, order)
    engine.flush(synced_store.id)
    binding = _binding(BindingKind.INVOICE, woo_id)
    assert binding is not None
    _keep(synced_store, _renamed(order, "Edited name"))
    _fault(sandbox, "/Invoices", "POST", status=503, count=3)

    engine.flush(synced_store.id)
    engine.flush(synced_store.id)

    assert "Edited name" in _lines(sandbox, binding.xero_id or "")
    assert _entry(synced_store, woo_id).status is OutboxStatus.DONE


def test_invoices_and_quotes_in_doubt_together_are_reconciled(synced_store, sandbox):
    invoice_order = _orders_of_kind(synced_store, "invoice")[0]
    quote_order = _orders_of_kind(synced_store, "quote")[0]
    ids = [_keep(synced_store, o) for o in (invoice_order, quote_order)]
    engine.flush(synced_store.id)
    for woo_id in ids:  # as after a lost answer
        outbox.set_status(_entry(synced_store, woo_id), OutboxStatus.UNCERTAIN)
    db.session.commit()

    engine.flush(synced_store.id)

    assert [_entry(synced_store, woo_id).status for woo_id in ids] == [OutboxStatus.DONE] * 2
    assert _binding(BindingKind.INVOICE, ids[0]) and _binding(BindingKind.QUOTE, ids[1])


def test_an_edit_repeated_within_the_idempotency_window_still_reaches_xero(synced_store, sandbox):
    order = _orders_of_kind(synced_store, "invoice")[0]
    woo_id = _keep(synced_store, order)
    engine.flush(synced_store.id)
    for version in (_renamed(order, "Version B"), order, _renamed(order, "Version B")):
        _keep(synced_store, version)
        engine.flush(synced_store.id)

    binding = _binding(BindingKind.INVOICE, woo_id)
    assert binding is not None
    assert "Version B" in _lines(sandbox, binding.xero_id or "")


def test_a_flush_killed_mid_batch_is_taken_up_by_the_sweeper(synced_store, sandbox, monkeypatch):
    order = _orders_of_kind(synced_store, "invoice")[0]
    woo_id = _keep(synced_store, order)
    outbox.set_status(_entry(synced_store, woo_id), OutboxStatus.SENDING)  # the worker died
    db.session.commit()
    queued: list[int] = []
    monkeypatch.setattr(push.flush, "enqueue", lambda store_id, **_: queued.append(store_id))

    assert push.flush_stores() == 1 and queued == [synced_store.id]
    engine.flush(synced_store.id)
    assert _entry(synced_store, woo_id).status is OutboxStatus.DONE


def test_a_contact_xero_will_not_restore_gives_way_to_a_new_one(synced_store, sandbox):
    order = _orders_of_kind(synced_store, "invoice")[0]
    name = f"{order['billing']['first_name']} {order['billing']['last_name']}".strip()
    archived = _put(
        synced_store, "Contacts", {"Name": name, "EmailAddress": order["billing"]["email"]}
    )
    _xero(synced_store).write(
        "POST", "Contacts",
        {"Contacts": [{"ContactID": archived["ContactID"], "ContactStatus": "ARCHIVED"}]},
        params={"summarizeErrors": "false"},
    )  # fmt: skip
    _put(synced_store, "Contacts", {"Name": name, "EmailAddress": "someone.else@example.org"})
    woo_id = _keep(synced_store, order)

    engine.flush(synced_store.id)

    entry = _entry(synced_store, woo_id)
    assert entry.status is OutboxStatus.DONE, entry.error
    contact = _binding(BindingKind.CONTACT, entry.customer_key)
    assert contact is not None and contact.xero_id != archived["ContactID"]


def test_a_pull_of_many_pages_reads_them_all_before_writing(synced_store, sandbox, monkeypatch):
    for order in _orders_of_kind(synced_store, "invoice")[:8]:
        _keep(synced_store, order)
    engine.flush(synced_store.id)
    for binding in db.session.scalars(
        sa.select(Binding).where(Binding.kind == BindingKind.INVOICE)
    ):
        binding.xero_status = "DRAFT"  # stale: Xero has them AUTHORISED
    db.session.commit()
    monkeypatch.setattr(xero_client_module, "MAX_PAGE_SIZE", 3)  # stands for > 1,000 invoices

    message = pull.pull(synced_store.id)

    assert message.startswith("8 invoice(s)")
    statuses = dict(
        db.session.execute(
            sa.select(Binding.xero_id, Binding.xero_status).where(
                Binding.kind == BindingKind.INVOICE
            )
        ).all()
    )
    in_xero = {i["InvoiceID"]: i["Status"] for i in objects(sandbox, tenants(sandbox)[NZ],
                                                            "Invoices")}  # fmt: skip
    assert len(statuses) == 8
    assert statuses == {xero_id: in_xero[xero_id] for xero_id in statuses}


def test_a_quote_whose_order_is_paid_becomes_an_invoice_and_is_marked_invoiced(
    synced_store, sandbox
):
    tenant = tenants(sandbox)[NZ]
    order, woo_id, quote = _quote_then_paid(synced_store)
    engine.flush(synced_store.id)

    invoice = _binding(BindingKind.INVOICE, woo_id)
    assert invoice is not None and invoice.xero_number == f"WC-{order['number']}"
    (in_xero,) = [q for q in objects(sandbox, tenant, "Quotes") if q["QuoteID"] == quote.xero_id]
    assert in_xero["Status"] == "INVOICED"


def test_two_customers_sharing_an_email_keep_contacts_of_their_own(synced_store, sandbox):
    registered = [o for o in _orders_of_kind(synced_store, "invoice") if o["customer_id"]]
    first = registered[0]
    second = next(o for o in registered if o["customer_id"] != first["customer_id"])
    shared = "orders@acme.example"
    for order in (first, second):  # the first is in Xero before the second comes
        _keep(synced_store, {**order, "billing": {**order["billing"], "email": shared}})
        engine.flush(synced_store.id)

    contacts = {
        _entry(synced_store, str(order["id"])).customer_key: _binding(
            BindingKind.CONTACT, f"customer:{order['customer_id']}"
        )
        for order in (first, second)
    }
    ids = {binding.xero_id for binding in contacts.values() if binding is not None}
    assert len(ids) == 2


def test_an_invoice_with_our_number_and_reference_for_another_contact_is_left_alone(
    synced_store, sandbox
):
    order = _orders_of_kind(synced_store, "invoice")[0]
    theirs = _put(synced_store, "Invoices", {
        "Type": "ACCREC", "InvoiceNumber": f"WC-{order['number']}", "Status": "DRAFT",
        "Reference": str(order["number"]), "Contact": {"Name": "Another store's customer"},
        "LineItems": [{"Description": "theirs", "Quantity": 1, "UnitAmount": 1.23, "AccountCode": "200"}],
    })  # fmt: skip
    woo_id = _keep(synced_store, order)

    engine.flush(synced_store.id)
    engine.flush(synced_store.id)

    assert _lines(sandbox, theirs["InvoiceID"]) == ["theirs"]
    assert _entry(synced_store, woo_id).status is OutboxStatus.HELD


def test_an_edit_of_an_accepted_quote_updates_it_without_moving_it_back(synced_store, sandbox):
    tenant = tenants(sandbox)[NZ]
    order = _orders_of_kind(synced_store, "quote")[0]
    woo_id = _keep(synced_store, order)
    engine.flush(synced_store.id)
    quote = _binding(BindingKind.QUOTE, woo_id)
    entry = _entry(synced_store, woo_id)
    contact = _binding(BindingKind.CONTACT, entry.customer_key)
    assert quote is not None and contact is not None
    for status in ("SENT", "ACCEPTED"):  # the customer accepted it in Xero
        _xero(synced_store).write("POST", "Quotes", {"Quotes": [{
            "QuoteID": quote.xero_id, "Status": status, "Contact": {"ContactID": contact.xero_id},
            "Date": entry.document["Date"],
        }]}, params={"summarizeErrors": "false"})  # fmt: skip

    _keep(synced_store, _renamed(order, "Edited while accepted"))
    result = engine.flush(synced_store.id)

    assert not result.more
    (in_xero,) = [q for q in objects(sandbox, tenant, "Quotes") if q["QuoteID"] == quote.xero_id]
    assert in_xero["Status"] == "ACCEPTED"
    assert in_xero["LineItems"][0]["Description"] == "Edited while accepted"


def test_a_quote_is_marked_invoiced_even_when_the_invoices_answer_was_lost(synced_store, sandbox):
    tenant = tenants(sandbox)[NZ]
    order, _woo_id, quote = _quote_then_paid(synced_store)
    _fault(sandbox, "/Invoices", "PUT", drop_response=True, count=3)  # applied, answers lost

    engine.flush(synced_store.id)
    engine.flush(synced_store.id)

    (in_xero,) = [q for q in objects(sandbox, tenant, "Quotes") if q["QuoteID"] == quote.xero_id]
    assert in_xero["Status"] == "INVOICED"
    invoices = [
        i
        for i in objects(sandbox, tenant, "Invoices")
        if i["InvoiceNumber"] == f"WC-{order['number']}"
    ]
    assert len(invoices) == 1
