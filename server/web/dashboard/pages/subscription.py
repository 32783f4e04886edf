"""Subscription: the store's plan and its state."""

from __future__ import annotations

from server.models import Store
from server.stores import lifecycle
from server.web.dashboard.pages import render, store_page


@store_page("subscription")
def subscription_page(store: Store) -> str:
    return render(
        store,
        "subscription",
        "dashboard/subscription.html",
        subscription=lifecycle.status(store)["subscription"],
    )
