"""WooCommerce webhook deliveries: the ping, the signature, and the delivery itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server import untrusted

PING = re.compile(rb"^webhook_id=\d+$")
TOPIC = re.compile(r"^[a-z_]{1,31}\.[a-z0-9_.]{1,68}$")  # fits InboundEvent.topic and .resource
# WooCommerce fires `woocommerce_order_refunded` for every refund, partial ones included,
# which change neither the order's `date_modified` nor, made some ways, send order.updated.
REFUNDED = "action.woocommerce_order_refunded"
TOPICS = (
    "order.created", "order.updated", "order.deleted", "order.restored",
    "customer.created", "customer.updated", "product.created", "product.updated",
    REFUNDED,
)  # fmt: skip
# Action topics whose `arg` is an order id: the delivery stands for "read this order again".
ORDER_ACTIONS = frozenset({REFUNDED})


class InvalidDelivery(ValueError):  # noqa: N818 - a ValueError by nature
    pass


@dataclass(frozen=True)
class Delivery:
    topic: str  # order.updated
    resource: str  # order
    event: str  # updated
    delivery_id: str
    resource_id: str
    modified_at: datetime | None  # None for deletions, whose payload is {"id": N}
    payload: dict[str, Any]


def is_ping(raw_body: bytes, headers: Mapping[str, str]) -> bool:
    """WooCommerce's unsigned ping on webhook creation: `webhook_id=N`, no X-WC-* headers."""
    has_wc_headers = any(name.lower().startswith("x-wc-webhook-") for name, _ in headers.items())
    return not has_wc_headers and bool(PING.match(raw_body.strip()))


def signature_is_valid(raw_body: bytes, signature: str | None, secret: str) -> bool:
    """base64(HMAC-SHA256(raw body, secret)), compared in constant time."""
    if not signature or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def parse_gmt(value: object) -> datetime | None:
    """WooCommerce's `date_modified_gmt` (`2026-11-22T10:00:01`, no zone) as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: moved past year 1 or 9999 into UTC
        return None


def parse_delivery(raw_body: bytes, headers: Mapping[str, str]) -> Delivery:
    """A signed delivery's topic, resource id and modification time; InvalidDelivery if not."""
    topic = (headers.get("X-WC-Webhook-Topic") or "").strip().lower()
    resource, _, event = topic.partition(".")
    if not TOPIC.match(topic):
        raise InvalidDelivery("X-WC-Webhook-Topic is missing or not like order.updated")
    try:
        payload = untrusted.loads(raw_body)
    except untrusted.UntrustedJSONError as error:
        raise InvalidDelivery(f"the body is {error}") from None
    if not isinstance(payload, dict):
        raise InvalidDelivery("the body is not a JSON object")
    delivery_id = (headers.get("X-WC-Webhook-Delivery-ID") or "").strip()[:64]
    if resource == "action":
        return _action(topic, event, delivery_id, payload)
    return Delivery(
        topic=topic,
        resource=resource,
        event=event,
        delivery_id=delivery_id,
        resource_id=_id(payload.get("id"), "id"),
        modified_at=parse_gmt(payload.get("date_modified_gmt")),
        payload=payload,
    )


def _action(topic: str, event: str, delivery_id: str, payload: dict[str, Any]) -> Delivery:
    """`{"action": "woocommerce_order_refunded", "arg": 42}`: an order action becomes that
    order's event (its current version is read); any other action is kept as an `action`
    event, which nothing follows."""
    if payload.get("action") != event:
        raise InvalidDelivery(f"the payload's action is not {event}")
    if topic in ORDER_ACTIONS:
        resource, resource_id = "order", _id(payload.get("arg"), "arg")
    else:
        resource, resource_id = "action", event[:64]
    return Delivery(
        topic=topic,
        resource=resource,
        event=event,
        delivery_id=delivery_id,
        resource_id=resource_id,
        modified_at=None,
        payload=payload,
    )


def _id(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDelivery(f"the payload has no integer {field}")
    if not 0 < value < 2**63:
        raise InvalidDelivery(f"the payload's {field} is out of range")
    return str(value)
