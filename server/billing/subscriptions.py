"""A subscription's state and plan, changed in one place that records who changed it and why.

States: trialing → active (paid) → past_due (a payment failed; still entitled while the
provider retries) → canceled or expired; or trialing → expired when the trial ends unpaid.
The provider (the operator in the admin, or Stripe's webhooks) moves it; the trial's end is
noticed here (`expire_trials`) and by the entitlement check itself, whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.extensions import db
from server.models import Plan, Subscription, SubscriptionChange, SubscriptionStatus
from server.models.types import utcnow

SYSTEM_ACTOR = "wooxero"


@dataclass(frozen=True)
class Changed:
    """What a change did: the recorded change (None when nothing changed)."""

    record: SubscriptionChange | None

    @property
    def changed(self) -> bool:
        return self.record is not None


def change(
    subscription: Subscription,
    *,
    actor: str,
    reason: str,
    status: SubscriptionStatus | None = None,
    plan: Plan | None = None,
    period_end: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> Changed:
    """Move the subscription to `status` and/or `plan` (and its period to `period_end`),
    recording the change when its state or plan changed. The caller commits."""
    before_status, before_plan = subscription.status, subscription.plan
    if status is not None:
        subscription.status = status
    if plan is not None:
        subscription.plan = plan
    if period_end is not None:
        subscription.current_period_end = period_end
    return record(subscription, before_status, before_plan, actor, reason, details)


def record(
    subscription: Subscription,
    before_status: SubscriptionStatus | None,
    before_plan: Plan | None,
    actor: str,
    reason: str,
    details: dict[str, Any] | None = None,
) -> Changed:
    """Record a change already made to `subscription` (the admin's form makes its own),
    if its state or plan differs from before. The caller commits."""
    if before_status == subscription.status and before_plan is subscription.plan:
        return Changed(None)
    entry = SubscriptionChange(
        subscription=subscription,
        from_status=before_status,
        to_status=subscription.status,
        from_plan=before_plan.code if before_plan is not None else "",
        to_plan=subscription.plan.code if subscription.plan is not None else "",
        actor=actor[:254],
        reason=reason[:500],
        details=details or {},
    )
    db.session.add(entry)
    return Changed(entry)


def history(subscription_id: int) -> list[SubscriptionChange]:
    return list(
        db.session.scalars(
            sa.select(SubscriptionChange)
            .where(SubscriptionChange.subscription_id == subscription_id)
            .order_by(SubscriptionChange.id)
        )
    )


def expire_trials(now: datetime | None = None) -> list[int]:
    """Trials past their end become expired, each change recorded. Returns the stores'
    ids; commits."""
    now = now or utcnow()
    ended = db.session.scalars(
        sa.select(Subscription).where(
            Subscription.status == SubscriptionStatus.TRIALING,
            Subscription.trial_ends_at <= now,
        )
    ).all()
    for subscription in ended:
        change(
            subscription, status=SubscriptionStatus.EXPIRED, actor=SYSTEM_ACTOR,
            reason="the free trial ended without a paid plan",
        )  # fmt: skip
    db.session.commit()
    return [subscription.store_id for subscription in ended]
