"""Plans, each store's subscription to one and its recorded changes, the events payment
providers sent about them, the trials stores have had, and metered usage per month."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.store import Store
from server.models.types import JSONType, Money, UTCDateTime, string_enum, utcnow


class PlanInterval(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


class Plan(db.Model):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # the price of one `interval` (kept under its historical name)
    monthly_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    interval: Mapped[PlanInterval] = mapped_column(
        "billing_interval", string_enum(PlanInterval), default=PlanInterval.MONTH,
        server_default="month",
    )  # fmt: skip
    monthly_order_limit: Mapped[int | None]  # None: unlimited
    features: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    provider_price_id: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    trial_days: Mapped[int] = mapped_column(default=14)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(enum.StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Subscription(db.Model):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="CASCADE"), unique=True
    )
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="RESTRICT"))
    status: Mapped[SubscriptionStatus] = mapped_column(
        string_enum(SubscriptionStatus), default=SubscriptionStatus.TRIALING
    )
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str] = mapped_column(sa.String(32), default="manual")
    provider_ref: Mapped[str] = mapped_column(sa.String(255), default="")  # Stripe: sub_…
    # the provider's customer (Stripe: cus_…), kept after a cancellation to subscribe again
    provider_customer_ref: Mapped[str] = mapped_column(
        sa.String(255), default="", server_default=""
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    plan: Mapped[Plan] = relationship()

    def __str__(self) -> str:
        return f"{self.plan} ({self.status.value}) for {self.store}"


class SubscriptionChange(db.Model):
    """One change of a subscription's state or plan: who made it and why."""

    __tablename__ = "subscription_changes"
    __table_args__ = (sa.Index("ix_subscription_changes_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[SubscriptionStatus | None] = mapped_column(string_enum(SubscriptionStatus))
    to_status: Mapped[SubscriptionStatus] = mapped_column(string_enum(SubscriptionStatus))
    from_plan: Mapped[str] = mapped_column(sa.String(32), default="")
    to_plan: Mapped[str] = mapped_column(sa.String(32), default="")
    actor: Mapped[str] = mapped_column(sa.String(254))  # an operator's email, "stripe", "wooxero"
    reason: Mapped[str] = mapped_column(sa.String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    subscription: Mapped[Subscription] = relationship()


class ProviderEventOutcome(enum.StrEnum):
    APPLIED = "applied"  # it changed the subscription, or confirmed what it was
    IGNORED = "ignored"  # not about a store here, a plan here, or older than one applied


class ProviderEvent(db.Model):
    """An event a payment provider sent (Stripe's webhooks), kept once per event id: a
    redelivery is recognised and not applied twice, and what each did is on record."""

    __tablename__ = "provider_events"
    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id"),
        sa.Index("ix_provider_events_store_occurred", "store_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the provider made it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    outcome: Mapped[ProviderEventOutcome] = mapped_column(string_enum(ProviderEventOutcome))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    store: Mapped[Store | None] = relationship()


class TrialClaim(db.Model):
    """A store address that has had its free trial. Not tied to the store's row: erasing an
    uninstalled store's data does not give its address a second trial."""

    __tablename__ = "trial_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    url_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 of the url
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UsageCounter(db.Model):
    """How much of a metric (orders synced, Xero calls…) a store used in a month."""

    __tablename__ = "usage_counters"
    __table_args__ = (sa.UniqueConstraint("store_id", "period", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    metric: Mapped[str] = mapped_column(sa.String(32))
    quantity: Mapped[int] = mapped_column(default=0)
