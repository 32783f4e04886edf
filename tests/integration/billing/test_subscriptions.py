"""Plans written from the configuration once, a trial once per store address, every change
of a subscription recorded, trials expired, and what the store and its admin are told."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from server.billing import entitlement, plans, subscriptions, trial
from server.billing.entitlement import Refusal
from server.config import DEFAULT_PLANS
from server.extensions import current_config, db
from server.models import (
    Plan,
    Store,
    StoreState,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
)
from server.models.types import utcnow
from server.stores import lifecycle


def _store(url: str = "https://shop.example") -> Store:
    store = Store(url=url, name="Shop", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    return store


def test_a_fresh_install_has_the_default_plans_once_and_an_edit_is_kept(app_context):
    added = plans.ensure_configured()
    assert sorted(p.code for p in added) == sorted(p.code for p in DEFAULT_PLANS)
    standard = db.session.scalar(sa.select(Plan).where(Plan.code == "standard"))
    configured = next(p for p in DEFAULT_PLANS if p.code == "standard")
    assert (standard.monthly_price, standard.monthly_order_limit, standard.features) == (
        configured.price, configured.monthly_order_quota, configured.features,
    )  # fmt: skip
    standard.monthly_price = Decimal("59.00")  # the operator's edit in the admin
    db.session.commit()

    assert plans.ensure_configured() == []  # a restart
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == len(DEFAULT_PLANS)
    db.session.refresh(standard)
    assert standard.monthly_price == Decimal("59.00")
    assert next(p.code for p in plans.offered()) == "starter"  # cheapest first


def test_the_first_activation_starts_a_trial_and_an_erased_store_does_not_get_another(
    app_context,
):
    store = _store()
    started = trial.start(store)
    db.session.commit()
    days = current_config().billing.trial_days
    assert started.status is SubscriptionStatus.TRIALING
    assert started.plan.code == current_config().billing.trial_plan
    assert timedelta(days=days - 1) < started.trial_ends_at - utcnow() <= timedelta(days=days)
    assert trial.start(store) is None  # re-activated: the same subscription
    (change,) = subscriptions.history(started.id)
    assert (change.to_status, change.actor) == (SubscriptionStatus.TRIALING, "wooxero")

    ends = started.trial_ends_at
    db.session.delete(store)  # erased after its uninstallation
    db.session.commit()
    again = _store("https://shop.example/")
    second = trial.start(again)
    db.session.commit()
    assert second.status is SubscriptionStatus.EXPIRED and second.trial_ends_at == ends
    assert "no second trial" in subscriptions.history(second.id)[0].reason
    assert entitlement.of_store(again.id).refusal is Refusal.TRIAL_OVER


def test_trials_past_their_end_expire_with_the_change_recorded(app_context):
    store, other = _store(), _store("https://other.example")
    ending = trial.start(store)
    running = trial.start(other)
    db.session.commit()
    ending.trial_ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert entitlement.of_store(store.id).refusal is Refusal.TRIAL_OVER  # before the job

    assert subscriptions.expire_trials() == [store.id]
    assert subscriptions.expire_trials() == []
    db.session.refresh(ending)
    db.session.refresh(running)
    assert (ending.status, running.status) == (
        SubscriptionStatus.EXPIRED, SubscriptionStatus.TRIALING,
    )  # fmt: skip
    last = subscriptions.history(ending.id)[-1]
    assert (last.from_status, last.to_status) == (
        SubscriptionStatus.TRIALING, SubscriptionStatus.EXPIRED,
    )  # fmt: skip
    assert entitlement.of_store(store.id).refusal is Refusal.TRIAL_OVER


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (SubscriptionStatus.ACTIVE, None),
        (SubscriptionStatus.PAST_DUE, None),  # the provider retries; the store is told
        (SubscriptionStatus.CANCELLED, Refusal.CANCELED),
        (SubscriptionStatus.EXPIRED, Refusal.EXPIRED),
    ],
)
def test_each_state_entitles_or_says_why_not(app_context, status, refusal):
    store = _store()
    plan = Plan(code="paid", name="Paid", monthly_order_limit=None)
    db.session.add(Subscription(
        store=store, plan=plan, status=status, current_period_end=utcnow() + timedelta(days=3)
    ))  # fmt: skip
    db.session.commit()
    allowed = entitlement.of_store(store.id)
    assert allowed.refusal is refusal
    status_call = lifecycle.status(store)["subscription"]
    assert status_call["syncing"] is (refusal is None)
    assert status_call["not_syncing_because"] == allowed.reason
    if refusal is not None:
        assert "Subscription page" in allowed.reason


def test_a_change_records_status_and_plan_and_nothing_when_nothing_changed(app_context):
    store = _store()
    subscription = trial.start(store)
    db.session.commit()
    bigger = Plan(code="bigger", name="Bigger")
    assert subscriptions.change(
        subscription, status=SubscriptionStatus.ACTIVE, plan=bigger, actor="ops@example.com",
        reason="paid by bank transfer",
    ).changed  # fmt: skip
    assert not subscriptions.change(
        subscription, status=SubscriptionStatus.ACTIVE, actor="ops@example.com", reason="again"
    ).changed
    db.session.commit()
    rows = db.session.scalars(sa.select(SubscriptionChange).order_by(SubscriptionChange.id)).all()
    assert [(r.from_plan, r.to_plan, r.to_status, r.actor) for r in rows][1:] == [
        (current_config().billing.trial_plan, "bigger", SubscriptionStatus.ACTIVE,
         "ops@example.com"),
    ]  # fmt: skip
