"""Stripe's events move a store's subscription, each through `subscriptions.change` with
actor "stripe" and the event as the reason: trialing → active → past_due → active →
cancelled, → expired; the plan follows the price, the period its end. An event older than
one applied, about no store or plan here, about another Stripe subscription than the store's,
or a checkout this server did not make, is kept and changes nothing at all."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.billing import entitlement, subscriptions
from server.billing.providers.stripe import parse_event
from server.billing.providers.stripe_events import receive
from server.extensions import db
from server.models import ProviderEvent, ProviderEventOutcome, Subscription, SubscriptionStatus
from server.models.types import utcnow
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.stripe import (
    billed_by_stripe,
    completed_checkout,
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


def columns(subscription) -> dict[str, object]:
    """Every column of the subscription, as the database has it now."""
    db.session.expire_all()
    row = db.session.get(Subscription, subscription.id)
    return {column.key: getattr(row, column.key) for column in Subscription.__table__.columns}


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


def test_a_subscription_to_a_price_no_plan_has_is_ignored_and_changes_nothing(trial):
    store, _, subscription = trial
    before = columns(subscription)
    received = update(store, "active", "price_elsewhere")
    assert not received.applied and "not one of this server's plans" in received.note
    assert columns(subscription) == before


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
        "payment_status": "paid", "metadata": {"store": store.public_id, "plan": "standard"},
    })  # fmt: skip
    assert entitlement.of_store(store.id).entitled


@pytest.fixture
def linked(stripe_billing):
    """A store Stripe bills through sub_1 of its customer cus_1."""
    store = make_store()
    plans = priced_plans()
    return store, plans, billed_by_stripe(store, plans["starter"], SubscriptionStatus.ACTIVE)


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("customer.subscription.updated",
         stripe_subscription(None, status="canceled", price="price_standard", sub_id="sub_2")),
        ("customer.subscription.deleted",
         stripe_subscription(None, status="canceled", price="price_starter", sub_id="sub_2")),
        ("invoice.payment_failed", stripe_invoice(sub_id="sub_2")),
    ],
)  # fmt: skip
def test_another_subscription_of_the_same_customer_finds_no_store(linked, kind, obj):
    _, _, subscription = linked
    before = columns(subscription)
    received = apply(kind, obj)
    assert not received.applied and received.note == "about no store of this server"
    assert columns(subscription) == before, "a customer's id alone names no store"


@pytest.mark.parametrize(
    "kind", ["customer.subscription.updated", "customer.subscription.deleted", "invoice.paid"]
)
def test_another_subscription_naming_a_linked_store_is_ignored(linked, kind):
    store, _, subscription = linked
    obj = stripe_subscription(store, status="canceled", price="price_standard", sub_id="sub_2")
    if kind == "invoice.paid":
        obj = stripe_invoice(sub_id="sub_2", period_end=NOW + 90 * 86400)
        obj["parent"]["subscription_details"]["metadata"] = {"store": store.public_id}
    before = columns(subscription)
    received = apply(kind, obj)
    assert not received.applied and received.store_id == store.id
    assert "sub_2" in received.note and "sub_1" in received.note
    assert columns(subscription) == before


@pytest.mark.parametrize("status", [SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED])
def test_a_failed_payment_does_not_revive_an_ended_subscription_as_past_due(linked, status):
    _, _, subscription = linked
    subscription.status = status
    db.session.commit()
    before = columns(subscription)
    received = apply("invoice.payment_failed", stripe_invoice())
    assert not received.applied and status.value in received.note
    assert columns(subscription) == before


def test_the_subscription_is_locked_while_an_event_is_applied(linked):
    """Two events at once are applied one after the other: each reads the subscription with
    SELECT … FOR UPDATE (and fresh from the database, not the session's stale copy)."""
    locked = []

    def seen(state) -> None:
        entity = state.bind_arguments.get("mapper")
        if state.is_select and entity is not None and entity.class_ is Subscription:
            locked.append(
                (state.statement._for_update_arg is not None,
                 bool(state.execution_options.get("populate_existing")))
            )  # fmt: skip

    sa.event.listen(db.session, "do_orm_execute", seen)
    try:
        assert apply("invoice.payment_failed", stripe_invoice()).applied
    finally:
        sa.event.remove(db.session, "do_orm_execute", seen)
    assert locked and locked[0] == (True, True)


def test_a_late_event_changes_no_column_at_all(trial):
    store, _, subscription = trial
    assert apply("checkout.session.completed", completed_checkout(store), created=NOW).applied
    before = columns(subscription)
    late = apply(
        "customer.subscription.updated",
        stripe_subscription(
            store, status="trialing", price="price_standard", customer="cus_other",
            trial_end=NOW + 14 * 86400,
        ),
        created=NOW - 60,
    )  # fmt: skip
    assert not late.applied and late.note == "older than an event already applied"
    assert columns(subscription) == before


@pytest.mark.parametrize(
    ("session", "why"),
    [
        ({"metadata": {}}, "not a Checkout this server made"),  # a Payment Link
        ({"metadata": {"store": "someone_else", "plan": "starter"}}, "not a Checkout this server"),
        ({"reference": "someone_else"}, "not a Checkout this server made"),
        ({"plan": "platinum"}, "platinum is not one of this server's plans"),
    ],
)
def test_only_a_checkout_this_server_made_links_a_store(trial, session, why):
    store, _, subscription = trial
    before = columns(subscription)
    received = apply("checkout.session.completed", completed_checkout(store, **session))
    assert not received.applied and why in received.note
    assert columns(subscription) == before


def test_a_checkout_does_not_replace_a_live_subscription_and_warns_the_operator(linked, caplog):
    store, _, subscription = linked
    before = columns(subscription)
    with caplog.at_level("WARNING", logger="server.billing.providers.stripe_events"):
        received = apply(
            "checkout.session.completed", completed_checkout(store, plan="standard", sub_id="sub_2")
        )
    assert not received.applied and "sub_1" in received.note
    assert columns(subscription) == before
    assert any("sub_2" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_a_checkout_after_a_cancellation_links_the_new_subscription(linked):
    store, _, subscription = linked
    subscription.status = SubscriptionStatus.CANCELLED
    db.session.commit()
    assert apply("checkout.session.completed", completed_checkout(store, sub_id="sub_2")).applied
    db.session.refresh(subscription)
    assert (subscription.provider_ref, subscription.status) == ("sub_2", SubscriptionStatus.ACTIVE)
    assert apply("invoice.payment_failed", stripe_invoice(sub_id="sub_2")).applied
    assert not apply("invoice.paid", stripe_invoice(sub_id="sub_1")).applied
