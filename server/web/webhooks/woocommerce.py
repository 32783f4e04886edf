"""POST /webhooks/woocommerce/<store>: a store's deliveries.

Checked in this order: a body over woocommerce.max_webhook_bytes → 413; an unknown store →
404; WooCommerce's unsigned ping (`webhook_id=N`, no X-WC-* header) → 200; a missing or
wrong signature → 401; a body that is not a delivery → 400. Nothing is stored in any of
those cases. A valid delivery is committed as an inbound event before the 200, and one job
per record is enqueued; a paused store's events wait for it to resume.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Response, abort, jsonify, request
from redis.exceptions import RedisError

from server.connections.woocommerce import access as woo_access
from server.connectors.woocommerce.webhooks import (
    InvalidDelivery,
    is_ping,
    parse_delivery,
    signature_is_valid,
)
from server.extensions import csrf, current_config, db
from server.inbound import intake as woo_intake
from server.jobs.tasks.inbound import process_woo_record
from server.models import EventSource, Store
from server.web.webhooks import bp

logger = logging.getLogger(__name__)


def _empty(status: int) -> Response:
    return Response(b"", status=status)


@bp.post("/woocommerce/<public_id>")
@csrf.exempt
def woocommerce(public_id: str) -> Response:
    request.max_content_length = current_config().woocommerce.max_webhook_bytes
    raw = request.get_data(cache=False)  # 413 if larger
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if store is None:
        abort(404)
    if is_ping(raw, request.headers):
        return _empty(200)
    connection = woo_access.connection_for_store(store.id)
    secret = connection.webhook_secret if connection is not None else None
    if not signature_is_valid(raw, request.headers.get("X-WC-Webhook-Signature"), secret or ""):
        return _empty(401)
    try:
        delivery = parse_delivery(raw, request.headers)
    except InvalidDelivery as error:
        logger.warning("store %s sent a signed delivery that cannot be read: %s", store.id, error)
        refusal = jsonify(error=f"not a WooCommerce delivery: {error}")
        refusal.status_code = 400
        return refusal
    event = woo_intake.record(
        store,
        source=EventSource.WOOCOMMERCE_WEBHOOK,
        topic=delivery.topic,
        resource=delivery.resource,
        resource_id=delivery.resource_id,
        modified_at=delivery.modified_at,
        delivery_id=delivery.delivery_id,
        payload=delivery.payload,
    )
    needs_job = woo_intake.needs_job(store, event)
    store_id, resource, resource_id = store.id, event.resource, event.resource_id
    db.session.commit()
    if needs_job:
        try:
            process_woo_record.enqueue(store_id, resource, resource_id)
        except RedisError as error:  # stored: the sweeper enqueues it later
            logger.warning("could not enqueue %s %s: %s", resource, resource_id, error)
    return _empty(200)
