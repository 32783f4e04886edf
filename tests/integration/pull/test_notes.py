"""Xero's answers back to the store, over both sandboxes: a payment entered in Xero and an
invoice paid or voided there become order notes (and, if chosen, a new order status), once;
wooxero's own payments never do; a store that cannot be reached is told on a later pull."""

from __future__ import annotations

from typing import Any

import requests
import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.extensions import db
from server.models import Binding, BindingKind, Store, WooConnection
from server.pull import changes
from server.stores.settings import storage as settings_store
from tests.integration.push.test_flush import _backfill_and_flush
from tests.support.stores import BANK_ACCOUNT
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import tenants

NZ = "Demo Company (NZ)"


def _unpaid_invoice() -> Binding:
    """An authorised invoice wooxero made that has no payment yet."""
    paid = sa.select(Binding.woo_id).where(Binding.kind == BindingKind.PAYMENT)
    binding = db.session.scalars(
        sa.select(Binding).where(
            Binding.kind == BindingKind.INVOICE,
            Binding.xero_status == "AUTHORISED",
            Binding.woo_id.not_in(paid),
        )
    ).first()
    assert binding is not None
    return binding


def _notes(store: Store, order_id: str) -> list[str]:
    client = woo_access.client_for(store)
    db.session.commit()
    return [note["note"] for note in client.get(f"orders/{order_id}/notes") if
            note["note"].startswith("Xero: ")]  # fmt: skip


def _pay_in_xero(sandbox: Any, number: str, **payment: Any) -> None:
    tenant_id = tenants(sandbox)[NZ]
    requests.post(
        f"{sandbox.base_url}/_sandbox/organisations/{tenant_id}/invoices/{number}/paid",
        json={"Account": {"Code": BANK_ACCOUNT}, **payment}, timeout=HTTP_TIMEOUT,
    ).raise_for_status()  # fmt: skip


def _synced(store: Store) -> None:
    _backfill_and_flush(store)
    assert changes.pull(store.id).startswith("0 invoice(s)"), "wooxero's own writes: no news"


def test_an_invoice_paid_in_xero_becomes_order_notes_once(synced_store, sandbox):
    _synced(synced_store)
    invoice = _unpaid_invoice()
    number, order_id = invoice.xero_number, invoice.woo_id
    _pay_in_xero(sandbox, number, Reference="BANK 4471")

    message = changes.pull(synced_store.id)

    assert message == "1 invoice(s) changed in Xero; 2 order note(s)"
    notes = _notes(synced_store, order_id)
    assert f"Xero: invoice {number} is paid in full." in notes
    assert any(n.startswith("Xero: payment of ") and "(BANK 4471)" in n for n in notes)
    assert changes.pull(synced_store.id) == "0 invoice(s) changed in Xero"
    assert len(_notes(synced_store, order_id)) == 2
    others = db.session.scalars(sa.select(Binding.woo_id).where(
        Binding.kind == BindingKind.INVOICE, Binding.woo_id != order_id)).all()  # fmt: skip
    assert not any(_notes(synced_store, other) for other in others[:5])


def test_a_part_payment_is_told_and_a_paid_order_moves_to_the_chosen_status(synced_store, sandbox):
    settings = settings_store.load(synced_store.id)
    settings_store.save(synced_store.id, settings.model_copy(update={
        "from_xero": settings.from_xero.model_copy(update={"paid_status": "completed"})}))  # fmt: skip
    db.session.commit()
    _synced(synced_store)
    invoice = _unpaid_invoice()
    number, order_id = invoice.xero_number, invoice.woo_id
    client = woo_access.client_for(synced_store)
    status_before = client.order(order_id)["status"]
    db.session.commit()

    _pay_in_xero(sandbox, number, Amount="1.00")
    assert changes.pull(synced_store.id).endswith("; 1 order note(s)")
    assert client.order(order_id)["status"] == status_before, "not paid in full yet"
    db.session.commit()
    _pay_in_xero(sandbox, number)  # the rest
    changes.pull(synced_store.id)

    notes = _notes(synced_store, order_id)
    assert sum(n.startswith("Xero: payment of 1.00 ") for n in notes) == 1
    assert f"Xero: invoice {number} is paid in full." in notes
    assert client.order(order_id)["status"] == "completed"


def test_an_invoice_voided_in_xero_is_told(synced_store, sandbox):
    _synced(synced_store)
    invoice = _unpaid_invoice()
    xero = xero_access.client_for(xero_access.connection_for_store(synced_store.id))
    db.session.commit()
    next(write_batches(xero, resources.INVOICES,
                       [{"InvoiceID": invoice.xero_id, "Status": "VOIDED"}], method="POST"))  # fmt: skip

    changes.pull(synced_store.id)

    assert _notes(synced_store, invoice.woo_id) == [
        f"Xero: invoice {invoice.xero_number} was voided in Xero."
    ]


def test_a_store_out_of_reach_is_told_on_a_later_pull(synced_store, sandbox):
    _synced(synced_store)
    invoice = _unpaid_invoice()
    _pay_in_xero(sandbox, invoice.xero_number)
    connection = db.session.scalar(sa.select(WooConnection))
    keys = connection.consumer_secret
    connection.consumer_secret = "cs_" + "0" * 40  # refused by the store
    db.session.commit()

    assert "the store was not told" in changes.pull(synced_store.id)

    connection = db.session.scalar(sa.select(WooConnection))
    connection.consumer_secret = keys
    db.session.commit()
    assert changes.pull(synced_store.id).endswith("; 2 order note(s)")
    assert len(_notes(synced_store, invoice.woo_id)) == 2
