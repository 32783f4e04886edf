"""The trial a store's first activation starts, on the default plan."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.extensions import current_config, db
from server.models import Plan, Store, Subscription, SubscriptionStatus
from server.models.types import utcnow

DEFAULT_PLAN = "standard"


def start(store: Store) -> Subscription | None:
    """A store's first activation starts its trial on the default plan (made if missing)."""
    if db.session.scalar(sa.select(Subscription.id).where(Subscription.store_id == store.id)):
        return None
    plan = db.session.scalar(sa.select(Plan).where(Plan.code == DEFAULT_PLAN))
    if plan is None:
        plan = Plan(
            code=DEFAULT_PLAN, name="Standard", trial_days=current_config().bridge.trial_days
        )
        db.session.add(plan)
    subscription = Subscription(
        store_id=store.id, plan=plan, status=SubscriptionStatus.TRIALING,
        trial_ends_at=utcnow() + timedelta(days=plan.trial_days),
    )  # fmt: skip
    db.session.add(subscription)
    return subscription
