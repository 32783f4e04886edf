"""Stripe's events move a store's subscription, each through `subscriptions.change` with
actor "stripe" and the event as the reason: trialing → active → past_due → active →
cancelled, → expired; the plan follows the price, the period its end; an event older than
one applied, or about no store or plan here, is kept and changes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.billing import entitlement, subscriptions
from server.billing.providers.stripe import parse_event
from server.billing.providers.stripe_events import receive
from server.extensions import db
from server.models import ProviderEvent, ProviderEventOutcome, SubscriptionStatus
from server.models.types import utcnow
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.stripe import (
    event,
    priced_plans,
    stripe_invoice,
    stripe_subscription,
    subscribed,
)

NOW = int(time.time())


def apply(kind: str, obj: dict, **fields) -> object:
    return receive(parse_event(event(kind, obj, **fields)))


def update(store, status: str, price: str, kind: str = "customer.subscription.updated", **fields):
    """Stripe's event about the store's subscription, with its status and item's price."""
    return apply(kind, stripe_subscription(store, status=status, price=price, **fields))


def changes(subscription) -> list[tuple[str | None, str, str, str, str]]:
    return [
        (c.from_status and c.from_status.value, c.to_status.value, c.to_plan, c.actor, c.reason)
        for c in subscriptions.history(subscription.id)
    ]


@pytest.fixture
def trial(stripe_billing):
    store = make_store()
    plans = priced_plans()
    ends = utcnow() + timedelta(days=3)
    return (
        store,
        plans,
        subscribed(store, plans["standard"], SubscriptionStatus.TRIALING, trial_ends_at=ends),
    )


def test_each_transition_is_recorded_with_stripe_as_the_actor_and_the_event_as_the_reason(trial):
    store, _, subscription = trial
    period_end = NOW + 30 * 86400
    steps = [
        ("checkout.session.completed", {
            "id": "cs_1", "object": "checkout.session", "mode": "subscription",
            "client_reference_id": store.public_id, "customer": "cus_1", "subscription": "sub_1",
            "payment_status": "paid", "metadata": {"store": store.public_id, "plan": "starter"},
        }, "active", "starter"),
        ("invoice.payment_failed", stripe_invoice(period_end=period_end), "past_due", "starter"),
        ("invoice.paid", stripe_invoice(period_end=period_end), "active", "starter"),
        ("customer.subscription.deleted",
         stripe_subscription(None, status="canceled", price="price_starter"), "cancelled", "starter"),
    ]  # fmt: skip
    ids = []
    for offset, (kind, obj, _, _) in enumerate(steps):
        ids.append(f"evt_step_{offset}")
        assert apply(kind, obj, created=NOW + offset, event_id=ids[-1]).applied

    db.session.refresh(subscription)
    assert subscription.provider == "stripe"
    assert (subscription.provider_customer_ref, subscription.provider_ref) == ("cus_1", "sub_1")
    assert subscription.current_period_end == datetime.fromtimestamp(period_end, UTC)
    expected_from = ["trialing"] + [to for _, _, to, _ in steps[:-1]]
    assert changes(subscription) == [
        (before, to, plan, "stripe", f"{kind} {event_id}")
        for before, (kind, _, to, plan), event_id in zip(expected_from, steps, ids, strict=True)
    ]


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [("trialing", "trialing"), ("active", "active"), ("past_due", "past_due"),
     ("unpaid", "expired"), ("incomplete_expired", "expired"), ("canceled", "cancelled")],
)  # fmt: skip
def test_a_subscription_update_maps_stripes_status(trial, stripe_status, ours):
    store, _, subscription = trial
    stripe_trial_end = NOW + 7 * 86400
    obj = stripe_subscription(
        store, status=stripe_status, price="price_standard", trial_end=stripe_trial_end
    )
    apply("customer.subscription.updated", obj)
    db.session.refresh(subscription)
    assert subscription.status.value == ours
    if ours == "trialing":  # Stripe's trial is the one that counts now
        assert subscription.trial_ends_at == datetime.fromtimestamp(stripe_trial_end, UTC)


def test_incomplete_keeps_the_state_while_stripe_asks_for_the_payment(trial):
    store, _, subscription = trial
    received = update(store, "incomplete", "price_standard", "customer.subscription.created")
    db.session.refresh(subscription)
    assert received.applied and subscription.status == SubscriptionStatus.TRIALING
    assert subscription.provider_ref == "sub_1", "linked all the same"


def test_the_plan_follows_the_items_price_and_the_period_its_end(trial):
    store, _, subscription = trial
    end = NOW + 20 * 86400
    update(store, "active", "price_starter", period_end=end)
    db.session.refresh(subscription)
    assert subscription.plan.code == "starter"
    assert subscription.current_period_end == datetime.fromtimestamp(end, UTC)
    assert changes(subscription)[-1][:3] == ("trialing", "active", "starter")


def test_an_unknown_price_changes_the_state_but_not_the_plan_and_says_so(trial):
    store, _, subscription = trial
    received = update(store, "active", "price_elsewhere")
    db.session.refresh(subscription)
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.plan.code == "standard"
    assert "price_elsewhere is no plan's here" in received.note


def test_an_event_about_no_store_here_is_kept_ignored(trial):
    received = apply(
        "customer.subscription.updated",
        stripe_subscription(
            None, status="active", price="price_starter", sub_id="sub_other", customer="cus_other"
        ),
    )
    assert not received.applied and received.store_id is None
    kept = db.session.scalar(sa.select(ProviderEvent))
    assert (
        kept.outcome == ProviderEventOutcome.IGNORED
        and kept.note == "about no store of this server"
    )


def test_the_same_event_twice_is_applied_once(trial):
    store, _, subscription = trial
    once = event(
        "customer.subscription.updated",
        stripe_subscription(store, status="active", price="price_starter"),
    )
    assert receive(parse_event(once)).applied
    again = receive(parse_event(once))
    assert not again.applied and again.note == "received before: not applied again"
    assert len(changes(subscription)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent)) == 1


def test_an_event_older_than_one_applied_changes_nothing(trial):
    store, _, subscription = trial
    apply(
        "customer.subscription.deleted",
        stripe_subscription(store, status="canceled", price="price_starter"),
        created=NOW,
    )
    late = apply(
        "customer.subscription.updated",
        stripe_subscription(store, status="active", price="price_starter"),
        created=NOW - 60,
    )
    db.session.refresh(subscription)
    assert not late.applied and subscription.status == SubscriptionStatus.CANCELLED


def test_a_trial_that_ended_is_entitled_again_once_the_checkout_is_paid(trial):
    store, _, subscription = trial
    subscription.trial_ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert entitlement.of_store(store.id).refusal == entitlement.Refusal.TRIAL_OVER
    apply("checkout.session.completed", {
        "id": "cs_1", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": store.public_id, "customer": "cus_1", "subscription": "sub_1",
        "payment_status": "paid", "metadata": {"plan": "standard"},
    })  # fmt: skip
    assert entitlement.of_store(store.id).entitled
