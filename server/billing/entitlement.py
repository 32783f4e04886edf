"""Whether a store may sync now, and if not, why and what to do: the engine sends nothing
to Xero for a store that is not entitled (its orders wait, nothing is lost) and goes on, in
order, once it is again.

Entitled: trialing before the trial's end; active; past_due (the provider is retrying the
payment; the store is told); a store with no subscription (added by an operator with
`wooxero add-store`, not billed). Not entitled: the trial over, canceled, expired, or the
plan's monthly order quota used up (until the next period or a bigger plan)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from server.billing import usage
from server.models import Subscription, SubscriptionStatus
from server.models.types import utcnow

WHAT_TO_DO = "choose a plan on the Subscription page"


class Refusal(enum.StrEnum):
    TRIAL_OVER = "trial_over"
    CANCELED = "canceled"
    EXPIRED = "expired"
    OVER_QUOTA = "over_quota"


@dataclass(frozen=True)
class Entitlement:
    refusal: Refusal | None = None
    reason: str = ""  # why not, in words, with what to do
    orders_left: int | None = None  # of the period's quota; None: no limit

    @property
    def entitled(self) -> bool:
        return self.refusal is None


def of_store(store_id: int, now: datetime | None = None) -> Entitlement:
    return of(store_id, usage.subscription_of(store_id), now or utcnow())


def of(
    store_id: int, subscription: Subscription | None, now: datetime, orders: int | None = None
) -> Entitlement:
    """`orders`: this period's orders synced, when the caller counted them for many stores."""
    if subscription is None:
        return Entitlement()
    status = subscription.status
    trial_over = status == SubscriptionStatus.TRIALING and (
        subscription.trial_ends_at is not None and subscription.trial_ends_at <= now
    )
    if trial_over or status == SubscriptionStatus.EXPIRED:
        ended = subscription.trial_ends_at
        if ended is not None and subscription.current_period_end is None:  # never paid
            return Entitlement(
                Refusal.TRIAL_OVER, f"the free trial ended on {ended:%Y-%m-%d}: {WHAT_TO_DO}"
            )
        return Entitlement(Refusal.EXPIRED, f"the subscription expired: {WHAT_TO_DO}")
    if status == SubscriptionStatus.CANCELLED:
        return Entitlement(Refusal.CANCELED, f"the subscription was canceled: {WHAT_TO_DO}")
    if subscription.plan.monthly_order_limit is None:  # no quota: nothing to count
        return Entitlement()
    used = usage.usage(store_id, subscription, now, orders)
    assert used.quota is not None
    left = max(used.quota - used.orders, 0)
    if left == 0:
        return Entitlement(
            Refusal.OVER_QUOTA,
            f"this month's {used.quota:,} orders on the {subscription.plan.name} plan are "
            f"used; syncing goes on from {used.period_end:%Y-%m-%d}, or at once on a bigger "
            "plan (the Subscription page)",
            orders_left=0,
        )
    return Entitlement(orders_left=left)
