"""The pull from Xero: what happened to the documents wooxero made (paid, voided, deleted)
and the payments people entered in Xero, read with If-Modified-Since (Xero sends no webhook
for payments). Statuses are kept on the bindings, so the engine never edits a document that
can no longer be edited, and the audit trail says when Xero changed it; what people did in
Xero is told to the store as order notes (`server.pull.notes`).

The statuses, the notes owed and the cursor are committed together; the notes are posted
after, so a store that cannot be reached is told on a later pull, once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError
from server.connectors.xero import resources
from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    ConnectionStatus,
    Direction,
    Outcome,
    Store,
    SyncRecord,
)
from server.models.types import utcnow
from server.pull import notes
from server.stores.settings import storage as settings_store

OVERLAP = timedelta(minutes=1)  # Xero's clock and ours may differ a little


def pull(store_id: int) -> str:
    connection = xero_access.connection_for_store(store_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "Xero is not connected"
    since = connection.pulled_at
    started = utcnow()
    client = xero_access.client_for(connection)
    # Every page read before anything is written.
    invoices = list(
        client.iterate(
            resources.INVOICES, {"createdByMyApp": True, "summaryOnly": True},
            modified_since=since,
        )
    )  # fmt: skip
    payments = list(client.iterate(resources.PAYMENTS, modified_since=since)) if since else []
    changed = [moved for invoice in invoices if (moved := _apply(store_id, invoice))]
    notes.owe(store_id, notes.for_statuses(changed) + notes.for_payments(store_id, payments))
    message = f"{len(changed)} invoice(s) changed in Xero"
    connection = xero_access.connection_for_store(store_id)
    assert connection is not None
    connection.pulled_at = started - OVERLAP
    db.session.commit()  # the statuses, the notes owed and the cursor together
    if not notes.owed(store_id):
        return message
    try:
        posted = _tell_the_store(store_id)
    except ConnectorError as error:
        db.session.rollback()
        return f"{message}; the store was not told ({error.message}): next pull"
    return f"{message}; {posted} order note(s)"


def _tell_the_store(store_id: int) -> int:
    woo = woo_access.connection_for_store(store_id)
    store = db.session.get(Store, store_id)
    if store is None or woo is None or woo.status not in woo_access.USABLE:
        raise ConnectorError("WooCommerce is not connected")
    client = woo_access.client_for(store)
    return notes.post(store_id, client, settings_store.load(store_id).from_xero)


def _apply(store_id: int, invoice: dict) -> tuple[Binding, str] | None:
    """Keep an invoice's new status on its binding: `(binding, status before)`, or None."""
    binding = db.session.scalar(
        sa.select(Binding).where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.INVOICE,
            Binding.xero_id == str(invoice.get("InvoiceID")),
        )
    )
    status = str(invoice.get("Status") or "")
    if binding is None or not status or binding.xero_status == status:
        return None
    before, binding.xero_status = binding.xero_status, status
    db.session.add(
        SyncRecord(
            store_id=store_id,
            direction=Direction.PULL,
            kind="invoice",
            woo_id=binding.woo_id,
            xero_id=binding.xero_id,
            action="pull",
            outcome=Outcome.OK,
            message=f"{binding.xero_number} went from {before or 'unknown'} to {status} in Xero",
            details={"number": binding.xero_number, "amount_due": str(invoice.get("AmountDue"))},
            finished_at=utcnow(),
        )
    )
    return binding, before
