"""Subscription: the store's plan and its state, whether it syncs now (and if not why),
the trial's days left, the orders synced this period against the plan's quota, the plans
offered, and how the plan is changed: with a self-serve provider (Stripe), buttons to pay
for a plan or manage payment, which leave the iframe (`payment`); otherwise whom to ask."""

from __future__ import annotations

from urllib.parse import urlsplit

from server.billing import entitlement, plans, usage
from server.billing.providers import get_provider
from server.extensions import current_config
from server.models import Store
from server.models.types import utcnow
from server.web.bridge import embeds
from server.web.dashboard.pages import render, store_page


@store_page("subscription")
def subscription_page(store: Store) -> str:
    now = utcnow()
    subscription = usage.subscription_of(store.id)
    provider = get_provider()
    self_serve = provider.self_serve and subscription is not None
    billed = subscription is not None and provider.bills(subscription)
    return render(
        store,
        "subscription",
        "dashboard/subscription.html",
        subscription=subscription,
        trial_days_left=usage.trial_days_left(subscription, now) if subscription else None,
        used=usage.usage(store.id, subscription, now),
        allowed=entitlement.of(store.id, subscription, now),
        plans=plans.offered(),
        self_serve=self_serve,
        billed=billed,
        has_customer=subscription is not None and provider.has_customer(subscription),
        payment_token=embeds.issue(store, embeds.PAYMENT) if self_serve else "",
        # who runs this server: the people to ask (no support address is configured)
        operator_host=urlsplit(current_config().public_url).hostname or "",
    )
