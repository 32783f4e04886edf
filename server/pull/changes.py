"""The pull from Xero: what happened to the documents wooxero made (paid, voided, deleted),
read with If-Modified-Since and kept on their bindings, so the engine never edits a
document that can no longer be edited and the audit trail says when Xero changed it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.extensions import db
from server.models import Binding, BindingKind, ConnectionStatus, Direction, Outcome, SyncRecord
from server.models.types import utcnow

OVERLAP = timedelta(minutes=1)  # Xero's clock and ours may differ a little


def pull(store_id: int) -> str:
    connection = xero_access.connection_for_store(store_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "Xero is not connected"
    since = connection.pulled_at
    started = utcnow()
    client = xero_access.client_for(connection)
    invoices = list(  # every page read before anything is written
        client.iterate(
            resources.INVOICES, {"createdByMyApp": True, "summaryOnly": True},
            modified_since=since,
        )
    )  # fmt: skip
    changed = sum(_apply(store_id, invoice) for invoice in invoices)
    connection = xero_access.connection_for_store(store_id)
    assert connection is not None
    connection.pulled_at = started - OVERLAP
    db.session.commit()
    return f"{changed} invoice(s) changed in Xero"


def _apply(store_id: int, invoice: dict) -> int:
    binding = db.session.scalar(
        sa.select(Binding).where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.INVOICE,
            Binding.xero_id == str(invoice.get("InvoiceID")),
        )
    )
    status = str(invoice.get("Status") or "")
    if binding is None or not status or binding.xero_status == status:
        return 0
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
    return 1
