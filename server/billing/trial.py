"""The free trial a store's first activation starts: once per store address, ever."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from server.billing import plans, subscriptions
from server.extensions import db
from server.models import Store, Subscription, SubscriptionStatus, TrialClaim
from server.models.types import utcnow


def start(store: Store) -> Subscription | None:
    """A store's first activation starts its trial on the trial plan. A store that has a
    subscription keeps it (re-activating changes nothing); an address whose trial was used
    before (its data erased since) gets a subscription that is expired already. The caller
    commits."""
    if db.session.scalar(sa.select(Subscription.id).where(Subscription.store_id == store.id)):
        return None
    plan = plans.trial_plan()
    now = utcnow()
    digest = url_digest(store.url)
    claim = db.session.scalar(sa.select(TrialClaim).where(TrialClaim.url_digest == digest))
    if claim is None:
        claim = TrialClaim(
            url_digest=digest, started_at=now, ends_at=now + timedelta(days=plan.trial_days)
        )
        db.session.add(claim)
        status, reason = SubscriptionStatus.TRIALING, f"{plan.trial_days}-day trial started"
    else:
        status = SubscriptionStatus.EXPIRED
        reason = f"no second trial: this address had one from {claim.started_at:%Y-%m-%d}"
    subscription = Subscription(
        store_id=store.id, plan=plan, status=status, trial_ends_at=claim.ends_at
    )
    db.session.add(subscription)
    subscriptions.record(subscription, None, None, subscriptions.SYSTEM_ACTOR, reason)
    return subscription


def url_digest(url: str) -> str:
    """The trial's key: the store's address (already normalised when the store was made),
    without a trailing slash or the scheme's case."""
    return hashlib.sha256(url.strip().rstrip("/").lower().encode()).hexdigest()
