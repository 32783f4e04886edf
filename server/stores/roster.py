"""What the operators' panel shows of many stores at once: the figures beside each store in
the list of stores (subscription, Xero organisation, last sync, orders held, failed and on
their way, open alerts), and how rows elsewhere name a store and link into its wp-admin
and Xero. Read for a page of stores in a few grouped queries, never one query per store,
so the list stays fast with hundreds of stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from server.billing import entitlement, usage
from server.extensions import db
from server.models import (
    ConnectionStatus,
    Store,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
    WooConnection,
    XeroConnection,
)
from server.models.types import utcnow
from server.push import reference
from server.stores.health import disabled_webhooks
from server.stores.overview import (
    Alert,
    OrderCounts,
    order_counts,
    standing_alerts,
)

Connection = TypeVar("Connection", XeroConnection, WooConnection)


@dataclass(frozen=True)
class StoreFigures:
    plan: str  # "" without a subscription
    subscription: SubscriptionStatus | None
    organisation: str  # the Xero organisation's name ("" before one is chosen)
    xero: ConnectionStatus | None  # None: never connected
    last_sync: datetime | None  # the latest sync record's start
    orders: OrderCounts
    alerts: tuple[Alert, ...]  # the Overview's, but the tax mapping's (see standing_alerts)


def figures(store_ids: list[int]) -> dict[int, StoreFigures]:
    """Each store's figures, in seven queries whatever the number of stores."""
    if not store_ids:
        return {}
    xero = _by_store(XeroConnection, store_ids)
    woo = _by_store(WooConnection, store_ids)
    subscriptions = {
        subscription.store_id: subscription
        for subscription in db.session.scalars(
            sa.select(Subscription)
            .options(joinedload(Subscription.plan))
            .where(Subscription.store_id.in_(store_ids))
        )
    }
    latest = (
        sa.select(sa.func.max(SyncRecord.started_at))
        .where(SyncRecord.store_id == Store.id)
        .scalar_subquery()
    )  # one index lookup per store (store, started_at), however long its history
    last_syncs = dict(
        db.session.execute(sa.select(Store.id, latest).where(Store.id.in_(store_ids))).all()
    )
    orders = order_counts(store_ids)
    disabled = disabled_webhooks(store_ids)
    now = utcnow()
    used = usage.orders_synced_in_periods({
        store_id: usage.current_period(subscription, now)
        for store_id, subscription in subscriptions.items()
        if subscription.plan.monthly_order_limit is not None
    })  # fmt: skip
    found = {}
    for store_id in store_ids:
        connection, subscription = xero.get(store_id), subscriptions.get(store_id)
        allowed = entitlement.of(store_id, subscription, now, used.get(store_id))
        alerts = standing_alerts(
            connection, woo.get(store_id), disabled.get(store_id, 0), orders[store_id],
            subscription, allowed,
        )  # fmt: skip
        found[store_id] = StoreFigures(
            plan=subscription.plan.name if subscription is not None else "",
            subscription=subscription.status if subscription is not None else None,
            organisation=connection.tenant_name if connection is not None else "",
            xero=connection.status if connection is not None else None,
            last_sync=last_syncs.get(store_id),
            orders=orders[store_id],
            alerts=tuple(alerts),
        )
    return found


def _by_store(model: type[Connection], store_ids: list[int]) -> dict[int, Connection]:
    rows = db.session.scalars(sa.select(model).where(model.store_id.in_(store_ids)))
    return {row.store_id: row for row in rows}


@dataclass(frozen=True)
class StoreReference:
    """How another row names a store and links into its systems."""

    label: str  # str(Store): its name and address
    admin_url: str  # where its wp-admin lives
    short_code: str  # the Xero organisation's, for links to documents ("" before it is read)


def references(store_ids: list[int]) -> dict[int, StoreReference]:
    """The stores named in a page of rows, in two queries."""
    if not store_ids:
        return {}
    organisations = reference.organisations(store_ids)
    stores = db.session.scalars(sa.select(Store).where(Store.id.in_(store_ids)))
    return {
        store.id: StoreReference(
            label=str(store),
            admin_url=admin_address(store),
            short_code=str(organisations.get(store.id, {}).get("ShortCode") or ""),
        )
        for store in stores
    }


def admin_address(store: Store) -> str:
    """Where the store's wp-admin lives: as the plugin reported it, else under the site."""
    return store.admin_url or f"{store.url.rstrip('/')}/wp-admin"
