"""What a store has used of its plan: the orders synced in its current billing period,
against the plan's monthly quota.

Counted from the sync records, not the outbox: a record says when each document was
written, and its (store, started_at) index reads only the period's records, however many
years the store has; the outbox keeps one row per order, rewritten in place, with the time
of its last write only and no index on it. An order written several times in a period counts
once, as on the Overview."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from server.extensions import db
from server.models import Direction, Outcome, Subscription, SubscriptionStatus, SyncRecord

DOCUMENT_KINDS = ("invoice", "quote")  # a sync record of an order's document


@dataclass(frozen=True)
class Usage:
    period_start: datetime
    period_end: datetime
    orders: int  # orders whose document was written to Xero in the period
    quota: int | None  # the plan's monthly orders; None: unlimited

    @property
    def percent(self) -> int:
        """How much of the quota is used, in whole percent (0 when unlimited)."""
        return math.floor(self.orders * 100 / self.quota) if self.quota else 0

    @property
    def over(self) -> bool:
        return self.quota is not None and self.orders > self.quota


def subscription_of(store_id: int) -> Subscription | None:
    """The store's subscription (the latest, should there ever be more than one)."""
    return db.session.scalar(
        sa.select(Subscription)
        .where(Subscription.store_id == store_id)
        .order_by(Subscription.id.desc())
        .limit(1)
    )


def trial_days_left(subscription: Subscription, now: datetime) -> int | None:
    """Days of trial left (a day begun counts as a day); None when not trialing."""
    if subscription.status != SubscriptionStatus.TRIALING or subscription.trial_ends_at is None:
        return None
    return max(math.ceil((subscription.trial_ends_at - now).total_seconds() / 86400), 0)


def current_period(subscription: Subscription | None, now: datetime) -> tuple[datetime, datetime]:
    """The billing period `now` falls in: the month that ends at the subscription's
    `current_period_end`, when its provider set one still ahead; otherwise the calendar
    month, in UTC."""
    end = subscription.current_period_end if subscription is not None else None
    if end is not None and end > now:
        start = _months_before(end, 1)
        if start <= now:
            return start, end
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first, _months_before(first, -1)


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (later if negative), on the month's
    last day where that day does not exist (31 March → 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def documents_written(store_id: int) -> tuple[sa.ColumnElement[bool], ...]:
    """Which sync records say an order's document was written to Xero: what counts as an
    order synced (here, and on the Overview)."""
    return (
        SyncRecord.store_id == store_id,
        SyncRecord.direction == Direction.PUSH,
        SyncRecord.kind.in_(DOCUMENT_KINDS),
        SyncRecord.outcome == Outcome.OK,
    )


def orders_synced(store_id: int, start: datetime, end: datetime) -> int:
    """Orders whose document was written to Xero from `start` to `end`."""
    count = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(SyncRecord.woo_id))).where(
            *documents_written(store_id),
            SyncRecord.started_at >= start,
            SyncRecord.started_at < end,
        )
    )
    return int(count or 0)


def orders_synced_in_periods(periods: dict[int, tuple[datetime, datetime]]) -> dict[int, int]:
    """`orders_synced` for many stores, each over its own period, in one query."""
    if not periods:
        return {}
    in_period = sa.or_(*(
        sa.and_(SyncRecord.store_id == store_id, SyncRecord.started_at >= start,
                SyncRecord.started_at < end)
        for store_id, (start, end) in periods.items()
    ))  # fmt: skip
    rows = db.session.execute(
        sa.select(SyncRecord.store_id, sa.func.count(sa.distinct(SyncRecord.woo_id)))
        .where(
            in_period,
            SyncRecord.direction == Direction.PUSH,
            SyncRecord.kind.in_(DOCUMENT_KINDS),
            SyncRecord.outcome == Outcome.OK,
        )
        .group_by(SyncRecord.store_id)
    ).all()
    counted = {store_id: int(count) for store_id, count in rows}
    return {store_id: counted.get(store_id, 0) for store_id in periods}


def usage(
    store_id: int, subscription: Subscription | None, now: datetime, orders: int | None = None
) -> Usage:
    """The store's use of its plan this period (`orders`: counted already by the caller)."""
    start, end = current_period(subscription, now)
    quota = subscription.plan.monthly_order_limit if subscription is not None else None
    if orders is None:
        orders = orders_synced(store_id, start, end)
    return Usage(start, end, orders, quota)
