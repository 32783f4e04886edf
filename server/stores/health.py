"""Every store's health for scripts and Prometheus: its state, subscription and connections,
the last time anything was written to Xero, its backlog and its open problems as short
codes. Read in a handful of grouped queries for all stores at once, so a scrape stays
cheap however many stores there are."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.extensions import db
from server.models import (
    ConnectionStatus,
    EventStatus,
    InboundEvent,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Store,
    StoreState,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
    WooConnection,
    WooWebhook,
    XeroConnection,
)

# Orders on their way to Xero, or waiting for the store's setup: they move by themselves.
MOVING = (OutboxStatus.WAITING, OutboxStatus.PENDING, OutboxStatus.SENDING,
          OutboxStatus.UNCERTAIN, OutboxStatus.BOOKS)  # fmt: skip
# Every status an order can wait in (done ones are not a backlog).
BACKLOG = (*MOVING, OutboxStatus.HELD, OutboxStatus.FAILED)


class Problem(enum.StrEnum):
    """What needs a person, as a short code a script can match."""

    XERO_NOT_CONNECTED = "xero_not_connected"
    XERO_CHOOSING_ORGANISATION = "xero_choosing_organisation"
    XERO_NEEDS_REAUTHORISATION = "xero_needs_reauthorisation"
    XERO_ERROR = "xero_error"
    WOOCOMMERCE_NOT_CONNECTED = "woocommerce_not_connected"
    WOOCOMMERCE_NEEDS_REAUTHORISATION = "woocommerce_needs_reauthorisation"
    WOOCOMMERCE_ERROR = "woocommerce_error"
    WOOCOMMERCE_POLL_FAILING = "woocommerce_poll_failing"
    WEBHOOKS_DISABLED = "webhooks_disabled"
    ORDERS_FAILED = "orders_failed"
    ORDERS_HELD = "orders_held"
    EVENTS_FAILED = "events_failed"
    SUBSCRIPTION_PAST_DUE = "subscription_past_due"
    SUBSCRIPTION_EXPIRED = "subscription_expired"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"


_CONNECTION_PROBLEMS = {
    "xero": {
        ConnectionStatus.DISCONNECTED: Problem.XERO_NOT_CONNECTED,
        ConnectionStatus.CHOOSING_ORGANISATION: Problem.XERO_CHOOSING_ORGANISATION,
        ConnectionStatus.NEEDS_REAUTHORISATION: Problem.XERO_NEEDS_REAUTHORISATION,
        ConnectionStatus.ERROR: Problem.XERO_ERROR,
    },
    "woocommerce": {
        ConnectionStatus.DISCONNECTED: Problem.WOOCOMMERCE_NOT_CONNECTED,
        ConnectionStatus.NEEDS_REAUTHORISATION: Problem.WOOCOMMERCE_NEEDS_REAUTHORISATION,
        ConnectionStatus.ERROR: Problem.WOOCOMMERCE_ERROR,
    },
}
_SUBSCRIPTION_PROBLEMS = {
    SubscriptionStatus.PAST_DUE: Problem.SUBSCRIPTION_PAST_DUE,
    SubscriptionStatus.EXPIRED: Problem.SUBSCRIPTION_EXPIRED,
    SubscriptionStatus.CANCELLED: Problem.SUBSCRIPTION_CANCELLED,
}


@dataclass(frozen=True)
class StoreHealth:
    public_id: str
    name: str
    url: str
    state: StoreState
    subscription: SubscriptionStatus | None
    xero: ConnectionStatus  # DISCONNECTED when never connected
    woocommerce: ConnectionStatus
    last_synced_at: datetime | None  # the latest sync record that went through
    outbox: dict[OutboxStatus, int]  # every status of BACKLOG, zeros included
    pending_events: int
    failed_events: int
    problems: tuple[Problem, ...]

    @property
    def waiting(self) -> int:
        return sum(self.outbox[status] for status in MOVING)

    @property
    def held(self) -> int:
        return self.outbox[OutboxStatus.HELD]

    @property
    def failed(self) -> int:
        return self.outbox[OutboxStatus.FAILED]


def store_health(public_id: str | None = None) -> list[StoreHealth]:
    """Every store's health (or only the one with `public_id`), in the stores' id order."""
    only = [Store.public_id == public_id] if public_id is not None else []
    last_synced = (
        sa.select(sa.func.max(SyncRecord.started_at))
        .where(SyncRecord.store_id == Store.id, SyncRecord.outcome == Outcome.OK)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Store.id, Store.public_id, Store.name, Store.url, Store.state, Subscription.status,
            XeroConnection.status, WooConnection.status, WooConnection.poll_failures,
            last_synced,
        )
        .outerjoin(Subscription, Subscription.store_id == Store.id)
        .outerjoin(XeroConnection, XeroConnection.store_id == Store.id)
        .outerjoin(WooConnection, WooConnection.store_id == Store.id)
        .where(*only)
        .order_by(Store.id)
    ).all()  # fmt: skip
    if not rows:
        return []
    ids = [row[0] for row in rows] if public_id is not None else None
    outbox = _outbox_counts(ids)
    events = _event_counts(ids)
    webhooks_off = disabled_webhooks(ids)
    found = []
    for (store_id, public, name, url, state, subscription, xero, woo, poll_failures,
         synced_at) in rows:  # fmt: skip
        xero = xero or ConnectionStatus.DISCONNECTED
        woo = woo or ConnectionStatus.DISCONNECTED
        counts = {status: outbox[store_id].get(status, 0) for status in BACKLOG}
        problems = [
            _CONNECTION_PROBLEMS["xero"].get(xero),
            _CONNECTION_PROBLEMS["woocommerce"].get(woo),
            Problem.WOOCOMMERCE_POLL_FAILING if poll_failures else None,
            Problem.WEBHOOKS_DISABLED if webhooks_off.get(store_id) else None,
            Problem.ORDERS_FAILED if counts[OutboxStatus.FAILED] else None,
            Problem.ORDERS_HELD if counts[OutboxStatus.HELD] else None,
            Problem.EVENTS_FAILED if events[store_id].get(EventStatus.FAILED) else None,
            _SUBSCRIPTION_PROBLEMS.get(subscription) if subscription else None,
        ]
        found.append(
            StoreHealth(
                public_id=public, name=name, url=url, state=state, subscription=subscription,
                xero=xero, woocommerce=woo, last_synced_at=synced_at, outbox=counts,
                pending_events=events[store_id].get(EventStatus.PENDING, 0),
                failed_events=events[store_id].get(EventStatus.FAILED, 0),
                problems=tuple(problem for problem in problems if problem is not None),
            )
        )  # fmt: skip
    return found


def _outbox_counts(store_ids: list[int] | None) -> dict[int, dict[OutboxStatus, int]]:
    only = [OutboxEntry.store_id.in_(store_ids)] if store_ids is not None else []
    return _grouped(
        sa.select(OutboxEntry.store_id, OutboxEntry.status, sa.func.count())
        .where(OutboxEntry.status.in_(BACKLOG), *only)
        .group_by(OutboxEntry.store_id, OutboxEntry.status)
    )


def _event_counts(store_ids: list[int] | None) -> dict[int, dict[EventStatus, int]]:
    only = [InboundEvent.store_id.in_(store_ids)] if store_ids is not None else []
    return _grouped(
        sa.select(InboundEvent.store_id, InboundEvent.status, sa.func.count())
        .where(InboundEvent.status.in_((EventStatus.PENDING, EventStatus.FAILED)), *only)
        .group_by(InboundEvent.store_id, InboundEvent.status)
    )


def disabled_webhooks(store_ids: list[int] | None) -> dict[int, int]:
    """How many of each store's webhooks WooCommerce turned off (stores with none left out;
    `store_ids` None: every store)."""
    only = [WooWebhook.store_id.in_(store_ids)] if store_ids is not None else []
    return dict(
        db.session.execute(
            sa.select(WooWebhook.store_id, sa.func.count())
            .where(WooWebhook.status != "active", *only)
            .group_by(WooWebhook.store_id)
        ).all()
    )


def _grouped(query: sa.Select) -> dict[int, dict]:
    counts: dict[int, dict] = defaultdict(dict)
    for store_id, status, count in db.session.execute(query):
        counts[store_id][status] = count
    return counts
