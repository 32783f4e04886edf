"""What a person must act on now, found for every active store in a few set-wide queries
(the check runs every few minutes over all stores): the conditions the Overview's alerts
show, those worth an email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.extensions import db
from server.models import (
    Audience,
    ConnectionStatus,
    NotificationKind,
    OutboxEntry,
    OutboxStatus,
    Store,
    StoreState,
    Subscription,
    SubscriptionStatus,
    WooConnection,
    WooWebhook,
    XeroConnection,
)

TRIAL_ENDING_DAYS = 3  # as the Overview's alert
# A trial that ended longer ago than this is old news: not told (say, to every store whose
# trial ended before notifications existed).
TRIAL_ENDED_DAYS = 7
# Webhooks not put back for this many of their checks in a row cannot be restored.
FAILED_WEBHOOK_CHECKS = 3

Kind = NotificationKind
# Who is told of each kind: the store's admin acts on its own matters; the operators on what
# only the server's side can fix (a store whose webhooks cannot be put back), and see stores
# whose orders pile up (many at once can mean a setting or a bug of ours).
AUDIENCES: dict[NotificationKind, tuple[Audience, ...]] = {
    Kind.TRIAL_ENDING: (Audience.STORE,),
    Kind.TRIAL_ENDED: (Audience.STORE,),
    Kind.PAYMENT_FAILED: (Audience.STORE,),
    Kind.XERO_REAUTHORISATION: (Audience.STORE,),
    Kind.WOOCOMMERCE_REFUSED: (Audience.STORE,),
    Kind.WEBHOOKS_LOST: (Audience.OPERATORS,),
    Kind.ORDERS_NEED_ATTENTION: (Audience.STORE, Audience.OPERATORS),
}


@dataclass(frozen=True)
class Condition:
    store_id: int
    kind: NotificationKind
    # What makes it one occurrence (the trial's end date); None: it lasts as long as the
    # condition does, and a return after it cleared is another occurrence.
    key: str | None
    detail: str  # the facts the message gives: Xero's reason, the counts, a date


def find(now: datetime, problem_orders: int, webhook_check_minutes: int) -> list[Condition]:
    """Every condition of every active store now."""
    active = sa.select(Store.id).where(Store.state == StoreState.ACTIVE).scalar_subquery()
    return [
        *_subscriptions(active, now),
        *_connections(active),
        *_webhooks(active, now, timedelta(minutes=webhook_check_minutes * FAILED_WEBHOOK_CHECKS)),
        *_problem_orders(active, problem_orders),
    ]


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def _subscriptions(active: sa.ScalarSelect[int], now: datetime) -> list[Condition]:
    found = []
    for subscription in db.session.scalars(
        sa.select(Subscription).where(Subscription.store_id.in_(active))
    ):
        ends, status = subscription.trial_ends_at, subscription.status
        if status == SubscriptionStatus.PAST_DUE:
            found.append(Condition(subscription.store_id, Kind.PAYMENT_FAILED, None, ""))
        if ends is None or status not in (SubscriptionStatus.TRIALING, SubscriptionStatus.EXPIRED):
            continue
        key = ends.date().isoformat()
        if status == SubscriptionStatus.TRIALING and now < ends <= now + timedelta(
            days=TRIAL_ENDING_DAYS
        ):
            found.append(Condition(subscription.store_id, Kind.TRIAL_ENDING, key, _day(ends)))
        elif now - timedelta(days=TRIAL_ENDED_DAYS) < ends <= now:
            found.append(Condition(subscription.store_id, Kind.TRIAL_ENDED, key, _day(ends)))
    return found


def _connections(active: sa.ScalarSelect[int]) -> list[Condition]:
    xero = db.session.execute(
        sa.select(XeroConnection.store_id, XeroConnection.status_reason).where(
            XeroConnection.store_id.in_(active),
            XeroConnection.status == ConnectionStatus.NEEDS_REAUTHORISATION,
        )
    ).all()
    woo = db.session.execute(
        sa.select(WooConnection.store_id, WooConnection.status_reason).where(
            WooConnection.store_id.in_(active),
            WooConnection.status.in_(
                (ConnectionStatus.NEEDS_REAUTHORISATION, ConnectionStatus.ERROR)
            ),
        )
    ).all()
    return [
        Condition(store_id, Kind.XERO_REAUTHORISATION, None, reason) for store_id, reason in xero
    ] + [Condition(store_id, Kind.WOOCOMMERCE_REFUSED, None, reason) for store_id, reason in woo]


def _webhooks(active: sa.ScalarSelect[int], now: datetime, patience: timedelta) -> list[Condition]:
    """Stores whose WooCommerce access works but whose webhooks the checks could not put
    back: one the store kept disabled after wooxero turned it on again, or none checked
    successfully (or ever installed) for `patience`, while the checks run every
    `webhook_check_minutes`."""
    rows = db.session.execute(
        sa.select(
            WooConnection.store_id,
            WooConnection.connected_at,
            sa.func.count(WooWebhook.id),
            sa.func.count(WooWebhook.id).filter(WooWebhook.status != "active"),
            sa.func.max(WooWebhook.checked_at),
        )
        .outerjoin(WooWebhook, WooWebhook.store_id == WooConnection.store_id)
        .where(
            WooConnection.store_id.in_(active),
            WooConnection.status == ConnectionStatus.CONNECTED,
        )
        .group_by(WooConnection.store_id, WooConnection.connected_at)
    ).all()
    found = []
    for store_id, connected_at, hooks, inactive, checked_at in rows:
        last_good = checked_at or connected_at
        if inactive:
            detail = f"{inactive} of {hooks} webhooks stay disabled after being turned on again"
        elif last_good is not None and last_good < now - patience:
            detail = (
                f"no webhook check has succeeded since {_day(last_good)}"
                if hooks
                else f"no webhook could be installed since {_day(last_good)}"
            )
        else:
            continue
        found.append(Condition(store_id, Kind.WEBHOOKS_LOST, None, detail))
    return found


def _problem_orders(active: sa.ScalarSelect[int], threshold: int) -> list[Condition]:
    counts: dict[int, dict[OutboxStatus, int]] = {}
    for store_id, status, count in db.session.execute(
        sa.select(OutboxEntry.store_id, OutboxEntry.status, sa.func.count(OutboxEntry.id))
        .where(
            OutboxEntry.store_id.in_(active),
            OutboxEntry.status.in_((OutboxStatus.HELD, OutboxStatus.FAILED)),
        )
        .group_by(OutboxEntry.store_id, OutboxEntry.status)
    ):
        counts.setdefault(store_id, {})[status] = int(count)
    return [
        Condition(store_id, Kind.ORDERS_NEED_ATTENTION, None, problem_words(by_status))
        for store_id, by_status in counts.items()
        if sum(by_status.values()) >= threshold
    ]


def problem_words(by_status: dict[OutboxStatus, int]) -> str:
    """In words: "7 orders (3 failed, 4 held)"."""
    failed, held = by_status.get(OutboxStatus.FAILED, 0), by_status.get(OutboxStatus.HELD, 0)
    parts = [f"{n} {verb}" for n, verb in ((failed, "failed"), (held, "held")) if n]
    total = failed + held
    return f"{total} order{'' if total == 1 else 's'} ({', '.join(parts)})"
