"""What arrives from Xero's webhooks: for a record wooxero created, read it from Xero and
record what it now is (paid, voided, changed…) in the audit trail. Records wooxero did not
create are noted and ignored. Later steps of the pull direction build on this record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError, NotFoundError
from server.connectors.xero import resources
from server.connectors.xero.ratelimit import CallPriority
from server.connectors.xero.resources import Resource
from server.extensions import db
from server.inbound import retries
from server.models import (
    Binding,
    BindingKind,
    ConnectionStatus,
    Direction,
    EventStatus,
    InboundEvent,
    Outcome,
    Store,
    StoreState,
    SyncRecord,
)
from server.models.types import utcnow


@dataclass(frozen=True)
class Followed:
    kind: BindingKind
    resource: Resource


FOLLOWED = {
    "invoice": Followed(BindingKind.INVOICE, resources.INVOICES),
    "contact": Followed(BindingKind.CONTACT, resources.CONTACTS),
    "creditnote": Followed(BindingKind.CREDIT_NOTE, resources.CREDIT_NOTES),
}


def process(event_id: int) -> str:
    """Handle one Xero event; safe to run twice. Returns what happened, for the job log."""
    event = db.session.get(InboundEvent, event_id)
    if event is None or event.status != EventStatus.PENDING:
        return "nothing to do"
    store = db.session.get(Store, event.store_id) if event.store_id else None
    if store is None or store.state != StoreState.ACTIVE:
        return "kept until the store is active"
    followed = FOLLOWED.get(event.resource)
    if followed is None:
        return _settle(event, EventStatus.IGNORED, f"wooxero does not follow {event.resource}")
    binding = db.session.scalar(
        sa.select(Binding).where(
            Binding.store_id == store.id,
            Binding.kind == followed.kind,
            Binding.xero_id == event.resource_id,
        )
    )
    if binding is None:
        return _settle(event, EventStatus.IGNORED, "not a record wooxero created")
    connection = xero_access.connection_for_store(store.id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "kept until Xero is connected again"
    woo_id = binding.woo_id
    try:
        client = xero_access.client_for(connection)
        record = client.get_one(followed.resource, event.resource_id, priority=CallPriority.LOW)
    except NotFoundError:
        _audit(event, followed, woo_id, Outcome.WARNING, "no longer in Xero", {})
        return _settle(event, EventStatus.DONE, "")
    except ConnectorError as error:
        return retries.defer([event_id], error)
    _audit(event, followed, woo_id, Outcome.OK, summary(event.resource, record), record)
    return _settle(event, EventStatus.DONE, "")


def summary(resource: str, record: dict[str, Any]) -> str:
    if resource == "invoice":
        return (
            f"{record.get('InvoiceNumber', '')} is {record.get('Status')} in Xero: total "
            f"{record.get('Total')} {record.get('CurrencyCode', '')}, "
            f"{record.get('AmountDue')} due"
        )
    if resource == "creditnote":
        return (
            f"{record.get('CreditNoteNumber', '')} is {record.get('Status')} in Xero: total "
            f"{record.get('Total')}, {record.get('RemainingCredit')} not yet allocated"
        )
    return f"{record.get('Name', '')} is {record.get('ContactStatus')} in Xero"


def _audit(
    event: InboundEvent,
    followed: Followed,
    woo_id: str,
    outcome: Outcome,
    message: str,
    record: dict[str, Any],
) -> None:
    total = record.get("Total")
    db.session.add(
        SyncRecord(
            store_id=event.store_id,
            inbound_event_id=event.id,
            direction=Direction.PULL,
            kind=followed.kind.value,
            woo_id=woo_id,
            xero_id=event.resource_id,
            action="observe",
            outcome=outcome,
            message=message,
            details={
                "status": str(record.get("Status", "")),
                "xero_updated": str(record.get("UpdatedDateUTC", "")),
            },
            currency=str(record.get("CurrencyCode", ""))[:3],
            xero_total=total,
            finished_at=utcnow(),
        )
    )


def _settle(event: InboundEvent, status: EventStatus, note: str) -> str:
    event.status = status
    event.error = note
    event.processed_at = utcnow()
    db.session.commit()
    return f"{status.value}{': ' + note if note else ''}"
