"""Subscription: the plan and its state, the trial's days left, the orders synced this
period against the quota (each order once, documents written to Xero only, inside the
period only), and whom to ask for a change."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from server.extensions import current_config, db
from server.models import (
    Direction,
    Outcome,
    Plan,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
)
from server.models.types import utcnow
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.dashboard import found, open_dashboard

QUOTA_BAR = r'<progress id="quota-bar" class="progress" max="(\d+)" value="(\d+)">'


def subscribe(store, limit: int | None, **fields) -> Subscription:
    plan = Plan(code=f"plan-{limit}", name="Growth", monthly_order_limit=limit, currency="NZD")
    subscription = Subscription(store_id=store.id, plan=plan, **fields)
    db.session.add(subscription)
    db.session.commit()
    return subscription


def record(store, woo_id: str, when, *, kind="invoice", outcome=Outcome.OK,
           direction=Direction.PUSH) -> None:  # fmt: skip
    db.session.add(
        SyncRecord(
            store_id=store.id, woo_id=woo_id, kind=kind, action="create", outcome=outcome,
            direction=direction, started_at=when,
        )
    )  # fmt: skip


def test_the_quota_bar_counts_each_order_synced_this_period_once(client, app_context):
    store = make_store()
    now = utcnow()
    # a period ending within days, on a day every month has: it began that day a month ago
    end = next(
        now + timedelta(days=days) for days in range(1, 6) if (now + timedelta(days=days)).day <= 28
    )
    subscribe(store, 40, status=SubscriptionStatus.ACTIVE, current_period_end=end)
    start = end.replace(year=end.year - (end.month == 1), month=(end.month - 2) % 12 + 1)
    inside = start + timedelta(hours=1)
    counted = {"1", "2", "3"}
    record(store, "1", inside)
    record(store, "1", now - timedelta(minutes=5))  # written again: still one order
    record(store, "2", inside, kind="quote")
    record(store, "3", now)
    record(store, "4", start - timedelta(hours=1))  # the period before
    record(store, "5", inside, outcome=Outcome.ERROR)  # Xero refused it
    record(store, "6", inside, outcome=Outcome.HELD)
    record(store, "7", inside, direction=Direction.PULL)  # read back, not written
    record(store, "8", inside, kind="contact")
    record(store, "", inside, kind="items")
    other = make_store("https://other.example.com")
    record(other, "9", inside)
    db.session.commit()

    page = open_dashboard(client, store).get("subscription").text
    assert found(QUOTA_BAR, page) == "40" and re.search(QUOTA_BAR, page).group(2) == "3"
    percent = len(counted) * 100 // 40
    assert f"<strong>{len(counted)}</strong> of 40 orders ({percent} %)" in page
    assert "Nothing is being sent to Xero" not in page


def test_a_period_over_the_quota_says_so_and_the_bar_stays_full(client, app_context):
    store = make_store()
    subscribe(store, 2, status=SubscriptionStatus.ACTIVE)  # calendar months
    for woo_id in ("1", "2", "3"):
        record(store, woo_id, utcnow())
    db.session.commit()
    page = open_dashboard(client, store).get("subscription").text
    assert re.search(QUOTA_BAR, page).groups() == ("2", "2")
    assert "<strong>3</strong> of 2 orders (150 %)" in page
    assert "Nothing is being sent to Xero:" in page and " 2 orders on the " in page


def test_a_trial_says_its_days_left_and_whom_to_ask(client, app_context):
    store = make_store()
    ends = utcnow() + timedelta(days=5) - timedelta(hours=1)  # five days begun
    subscribe(store, None, status=SubscriptionStatus.TRIALING, trial_ends_at=ends)
    record(store, "1", utcnow())
    db.session.commit()
    page = open_dashboard(client, store).get("subscription").text
    assert "Growth" in page and '<span class="status status-ok">trial</span>' in page
    assert "5 days left" in page
    assert "quota-bar" not in page
    assert "<strong>1</strong> orders; your plan has no monthly limit." in page
    host = urlsplit(current_config().public_url).hostname
    assert f"people who run this wooxero service ({host})" in page
    assert "ask them" in page


def test_a_store_without_a_subscription_is_told_so(client, app_context):
    page = open_dashboard(client, make_store()).get("subscription").text
    assert "This store has no subscription yet" in page
