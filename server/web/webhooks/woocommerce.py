"""POST /webhooks/woocommerce/<store>: a store's deliveries.

Checked in this order: a body over woocommerce.max_webhook_bytes → 413; an unknown store →
404; WooCommerce's unsigned ping (`webhook_id=N`, no X-WC-* header) → 200; a missing or
wrong signature → 401; a body that is not a delivery → 400. Nothing is stored in any of
those cases. A valid delivery is committed as an inbound event, in one INSERT, before the
200, and one job per record is enqueued, which sorts out repeats; a paused store's events
wait for it to resume. The store and its secret are read in one statement, outside any
transaction.
"""

from __future__ import annotations

import logging

from flask import Response, abort, jsonify, request
from redis.exceptions import RedisError

from server.connections.woocommerce import access as woo_access
from server.connectors.woocommerce.webhooks import (
    InvalidDelivery,
    is_ping,
    parse_delivery,
    signature_is_valid,
)
from server.extensions import csrf, current_config
from server.inbound import intake as woo_intake
from server.jobs.tasks.inbound import woo_record_delivered
from server.models import EventStatus
from server.web.webhooks import bp

logger = logging.getLogger(__name__)


def _empty(status: int) -> Response:
    return Response(b"", status=status)


@bp.post("/woocommerce/<public_id>")
@csrf.exempt
def woocommerce(public_id: str) -> Response:
    request.max_content_length = current_config().woocommerce.max_webhook_bytes
    raw = request.get_data(cache=False)  # 413 if larger
    target = woo_access.webhook_target(public_id)
    if target is None:
        abort(404)
    if is_ping(raw, request.headers):
        return _empty(200)
    if not signature_is_valid(raw, request.headers.get("X-WC-Webhook-Signature"), target.secret):
        return _empty(401)
    try:
        delivery = parse_delivery(raw, request.headers)
    except InvalidDelivery as error:
        logger.warning(
            "store %s sent a signed delivery that cannot be read: %s", target.store_id, error
        )
        refusal = jsonify(error=f"not a WooCommerce delivery: {error}")
        refusal.status_code = 400
        return refusal
    status = woo_intake.receive(
        target.store_id,
        topic=delivery.topic,
        resource=delivery.resource,
        resource_id=delivery.resource_id,
        modified_at=delivery.modified_at,
        delivery_id=delivery.delivery_id,
        payload=delivery.payload,
    )
    if status is EventStatus.PENDING and target.active:
        try:
            woo_record_delivered(target.store_id, delivery.resource, delivery.resource_id)
        except RedisError as error:  # stored: the sweeper enqueues it later
            logger.warning(
                "could not enqueue %s %s: %s", delivery.resource, delivery.resource_id, error
            )
    return _empty(200)
