"""The webhooks wooxero keeps in each store: created on connect, checked on a schedule (any
that WooCommerce disabled after failures, or that someone deleted or changed, is put back),
removed on disconnect. Ours are recognised by their delivery URL."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connectors.base import ConnectorError, PermanentError
from server.connectors.woocommerce.client import WooClient
from server.connectors.woocommerce.webhooks import TOPICS
from server.extensions import current_config, db
from server.models import Store, WooConnection, WooWebhook
from server.models.types import utcnow


@dataclass
class WebhookReport:
    created: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    removed: int = 0

    @property
    def gap_possible(self) -> bool:
        """Deliveries may have been lost: a poll should fill the gap."""
        return bool(self.created or self.reactivated)


def webhook_secret(connection: WooConnection) -> str:
    """The store's webhook secret, made on first use (letters and digits: WooCommerce
    HTML-decodes secrets with & < > before signing)."""
    if not connection.webhook_secret:
        connection.webhook_secret = secrets.token_hex(32)
    return connection.webhook_secret


def ensure(store_id: int) -> WebhookReport:
    """Make the store's webhooks exactly one active webhook per topic, all ours."""
    store = db.session.get(Store, store_id)
    connection = woo_access.connection_for_store(store_id)
    report = WebhookReport()
    if store is None or connection is None:
        return report
    woo_access.store_facing_url()
    secret = webhook_secret(connection)
    url = woo_access.delivery_url(store)
    name_prefix = current_config().woocommerce.app_name
    db.session.commit()
    client = woo_access.client_for(store)
    ours = [hook for hook in client.webhooks() if hook.get("delivery_url") == url]
    by_topic: dict[str, dict[str, Any]] = {}
    for hook in ours:
        if hook.get("topic") in by_topic or hook.get("topic") not in TOPICS:
            client.delete_webhook(webhook_id(hook))
            report.removed += 1
        else:
            by_topic[hook["topic"]] = hook
    kept: dict[str, dict[str, Any]] = {}
    for topic in TOPICS:
        hook = by_topic.get(topic)
        if hook is None:
            hook = client.create_webhook(
                name=f"{name_prefix}: {topic}", topic=topic, delivery_url=url, secret=secret
            )
            report.created.append(topic)
        elif hook.get("status") != "active":
            # The secret is write-only in the REST API, so it is sent again: if someone changed
            # it, deliveries failed until WooCommerce disabled the webhook, which lands here.
            hook = client.update_webhook(webhook_id(hook), {"status": "active", "secret": secret})
            report.reactivated.append(topic)
        kept[topic] = hook
    for topic, hook in kept.items():  # written after the calls: no transaction across them
        _remember(store_id, topic, hook)
    db.session.commit()
    return report


def webhook_id(hook: dict[str, Any]) -> int:
    """The id of a webhook as the store described it (PermanentError if it has none)."""
    value = hook.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PermanentError("the store described a webhook without a valid id")
    return value


def _remember(store_id: int, topic: str, hook: dict[str, Any]) -> None:
    row = db.session.scalar(
        sa.select(WooWebhook).where(WooWebhook.store_id == store_id, WooWebhook.topic == topic)
    )
    if row is None:
        row = WooWebhook(store_id=store_id, topic=topic, webhook_id=webhook_id(hook))
        db.session.add(row)
    row.webhook_id = webhook_id(hook)
    row.status = str(hook.get("status", "active"))[:16]
    row.checked_at = utcnow()


def ours(store: Store) -> dict[str, Any]:
    """Our webhooks in the store as the plugin deletes them when it is deleted (it deletes the
    keys the job below would use): the ids recorded and the delivery URL they must have."""
    ids = db.session.scalars(
        sa.select(WooWebhook.webhook_id).where(WooWebhook.store_id == store.id)
    )
    return {"delivery_url": woo_access.delivery_url(store), "ids": sorted(ids)}


def remove(store: Store, client: WooClient | None) -> int:
    """Delete every webhook of ours from the store (recognised by its delivery URL, recorded
    or not) and forget them; without a client (no keys), nothing can be deleted. Returns how
    many could not be deleted (the store is gone, or refused)."""
    url = woo_access.delivery_url(store)
    recorded = set(
        db.session.scalars(sa.select(WooWebhook.webhook_id).where(WooWebhook.store_id == store.id))
    )
    db.session.commit()
    left = len(recorded)
    if client is not None:
        try:
            ids = {webhook_id(h) for h in client.webhooks() if h.get("delivery_url") == url}
        except ConnectorError:
            ids = recorded
        left = 0
        for hook_id in sorted(ids):
            try:
                client.delete_webhook(hook_id)
            except ConnectorError:
                left += 1
    db.session.execute(sa.delete(WooWebhook).where(WooWebhook.store_id == store.id))
    db.session.commit()
    return left
