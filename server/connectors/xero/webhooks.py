"""Xero webhooks: the signature check and the payload, validated."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from server import untrusted

# Fit InboundEvent: resource (a category) 32 characters, topic 100, resource_id 64.
NAME = re.compile(r"^[A-Za-z]{1,31}$")
MAX_ID_LENGTH = 64


class InvalidPayload(ValueError):  # noqa: N818 - a ValueError by nature
    pass


@dataclass(frozen=True)
class WebhookEvent:
    resource_url: str
    resource_id: str
    event_date: datetime
    event_type: str  # CREATE or UPDATE
    category: str  # INVOICE, CONTACT, CREDITNOTE…
    tenant_id: str
    tenant_type: str
    raw: dict[str, object]


def signature_is_valid(raw_body: bytes, signature: str | None, key: str) -> bool:
    """base64(HMAC-SHA256(raw body, key)) compared in constant time."""
    if not signature or not key:
        return False
    expected = base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def parse_events(raw_body: bytes) -> list[WebhookEvent]:
    """The events of a signed payload (none for an intent-to-receive check)."""
    try:
        payload = untrusted.loads(raw_body)
    except untrusted.UntrustedJSONError as error:
        raise InvalidPayload(str(error)) from None
    required = ("events", "firstEventSequence", "lastEventSequence", "entropy")
    if not isinstance(payload, dict) or any(key not in payload for key in required):
        raise InvalidPayload(f"a Xero webhook payload has {', '.join(required)}")
    if not isinstance(payload["events"], list):
        raise InvalidPayload("events is not a list")
    return [_event(item) for item in payload["events"]]


def _event(item: object) -> WebhookEvent:
    if not isinstance(item, dict):
        raise InvalidPayload("an event is not an object")
    try:
        event_date = datetime.fromisoformat(str(item["eventDateUtc"]).replace("Z", "+00:00"))
        event_date = event_date.astimezone(UTC) if event_date.tzinfo else event_date
        event = WebhookEvent(
            resource_url=str(item["resourceUrl"]),
            resource_id=str(item["resourceId"]),
            event_date=event_date.replace(tzinfo=UTC),
            event_type=str(item["eventType"]).upper(),
            category=str(item["eventCategory"]).upper(),
            tenant_id=str(item["tenantId"]),
            tenant_type=str(item.get("tenantType", "")),
            raw=item,
        )
    except (KeyError, ValueError, OverflowError) as error:
        raise InvalidPayload(f"an event lacks or garbles {error}") from None
    if not (NAME.match(event.category) and NAME.match(event.event_type)):
        raise InvalidPayload("an event's category or type is not a name Xero gives")
    if not 0 < len(event.resource_id) <= MAX_ID_LENGTH or len(event.tenant_id) > MAX_ID_LENGTH:
        raise InvalidPayload(f"an event's ids are longer than {MAX_ID_LENGTH} characters")
    return event
