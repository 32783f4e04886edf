"""POST /webhooks/xero: Xero's signed events, including its intent-to-receive check.

A correct signature gets 200 with an empty body and no cookie (a payload that cannot be
read is kept as a failed event); a wrong one 401, nothing stored. Each event is stored as an
inbound event for every store connected to its organisation (or, if none is, kept as
ignored for the record) and a job is enqueued per event. Xero redelivers after failures,
so an event already stored is not stored again.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from flask import Response, request
from redis.exceptions import RedisError

from server.connectors.xero.webhooks import (
    InvalidPayload,
    WebhookEvent,
    parse_events,
    signature_is_valid,
)
from server.extensions import csrf, current_config, db
from server.jobs.tasks.pull import process_xero_event
from server.models import EventSource, EventStatus, InboundEvent, XeroConnection
from server.web.webhooks import bp

logger = logging.getLogger(__name__)


def _empty(status: int) -> Response:
    return Response(b"", status=status)


@bp.post("/xero")
@csrf.exempt
def xero() -> Response:
    raw = request.get_data(cache=False)
    key = current_config().xero.webhook_key.get_secret_value()
    if not signature_is_valid(raw, request.headers.get("x-xero-signature"), key):
        if not key:
            logger.warning("a Xero webhook arrived but xero.webhook_key is not configured")
        return _empty(401)
    try:
        events = parse_events(raw)
    except InvalidPayload as error:
        # Xero wants 200 for every correctly signed payload (else it retries, then disables
        # the webhook): keep it, failed, for a person to look at.
        logger.warning("a signed Xero webhook could not be read: %s", error)
        _keep_unreadable(raw, str(error))
        db.session.commit()
        return _empty(200)
    stored = [row for event in events for row in _store(event)]
    db.session.commit()
    for event_id in stored:
        try:
            process_xero_event.enqueue(event_id)
        except RedisError as error:  # stored: the sweeper enqueues it later
            logger.warning("could not enqueue Xero event %s: %s", event_id, error)
    return _empty(200)


def _delivery_id(event: WebhookEvent) -> str:
    """The same for Xero's redeliveries of one event."""
    parts = (
        event.tenant_id,
        event.category,
        event.event_type,
        event.resource_id,
        event.event_date.isoformat(),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:64]


def _store(event: WebhookEvent) -> list[int]:
    delivery_id = _delivery_id(event)
    seen = db.session.scalar(
        sa.select(sa.func.count()).where(
            InboundEvent.source == EventSource.XERO_WEBHOOK, InboundEvent.delivery_id == delivery_id
        )
    )
    if seen:
        return []
    store_ids = db.session.scalars(
        sa.select(XeroConnection.store_id).where(XeroConnection.tenant_id == event.tenant_id)
    ).all()
    rows = [
        InboundEvent(
            store_id=store_id,
            source=EventSource.XERO_WEBHOOK,
            topic=f"{event.category.lower()}.{event.event_type.lower()}",
            resource=event.category.lower(),
            resource_id=event.resource_id,
            resource_modified_at=event.event_date,
            delivery_id=delivery_id,
            payload=event.raw,
            status=EventStatus.PENDING if store_id else EventStatus.IGNORED,
            error="" if store_id else "no store is connected to this organisation",
        )
        for store_id in (store_ids or [None])
    ]
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows if row.status == EventStatus.PENDING]


def _keep_unreadable(raw: bytes, reason: str) -> None:
    db.session.add(
        InboundEvent(
            source=EventSource.XERO_WEBHOOK,
            topic="unreadable",
            resource="unknown",
            resource_id="",
            # U+0000 as U+FFFD: PostgreSQL stores no U+0000, and this is only for a person
            payload={"raw": raw[:20000].decode("utf-8", "replace").replace("\x00", "\ufffd")},
            status=EventStatus.FAILED,
            error=reason,
        )
    )
