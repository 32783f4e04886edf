"""Billing in the admin: plans edited (features one a line), a subscription changed only
with a reason, recorded with the operator, and a store that may sync again flushed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.billing import trial
from server.extensions import db
from server.jobs.queues import Priority, get_queue
from server.models import (
    Plan,
    Store,
    StoreState,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
)
from server.models.types import utcnow
from tests.support.web import csrf_token, log_in, make_operator


def _expired_store() -> Subscription:
    store = Store(url="https://shop.example", name="Shop", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    subscription = trial.start(store)
    subscription.trial_ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return subscription


def _form(client, subscription: Subscription, **fields: str) -> dict[str, str]:
    page = client.get(f"/admin/subscription/edit/?id={subscription.id}").text
    return {
        "plan": str(subscription.plan_id), "status": subscription.status.value,
        "trial_ends_at": subscription.trial_ends_at.strftime("%Y-%m-%d %H:%M:%S"),
        "current_period_end": "", "provider_ref": "", "reason": "",
        "csrf_token": csrf_token(page), **fields,
    }  # fmt: skip


def test_a_subscription_changes_only_with_a_reason_and_the_change_is_recorded(client):
    make_operator()
    log_in(client)
    subscription = _expired_store()
    flushes_before = len(get_queue(Priority.HIGH).get_job_ids())

    refused = client.post(
        f"/admin/subscription/edit/?id={subscription.id}",
        data=_form(client, subscription, status="active"),
    )
    assert refused.status_code == 200 and "This field is required" in refused.text
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status is SubscriptionStatus.TRIALING

    period_end = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    saved = client.post(
        f"/admin/subscription/edit/?id={subscription.id}",
        data=_form(
            client,
            subscription,
            status="active",
            current_period_end=period_end,
            reason="paid by bank transfer, invoice 1042",
        ),
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status is SubscriptionStatus.ACTIVE
    last = db.session.scalars(
        sa.select(SubscriptionChange).order_by(SubscriptionChange.id.desc())
    ).first()
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, "ops@example.com",
        "paid by bank transfer, invoice 1042",
    )  # fmt: skip
    # entitled again: what waited is flushed now, not at the next sweep
    assert len(get_queue(Priority.HIGH).get_job_ids()) == flushes_before + 1
    history = client.get("/admin/subscriptionchange/").text
    assert "paid by bank transfer, invoice 1042" in history
    listed = client.get("/admin/subscription/").text
    quota = subscription.plan.monthly_order_limit
    assert f"0 of {quota:,} (0 %)" in listed  # nothing synced yet this period


def test_a_plans_features_are_edited_one_a_line(client):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/plan/new/").text)
    form = {
        "code": "growth", "name": "Growth", "currency": "NZD", "monthly_price": "29.50",
        "interval": "year", "monthly_order_limit": "500", "trial_days": "14",
        "features": "Invoices\r\n\r\n  Payments  \r\nRefunds", "csrf_token": token,
    }  # fmt: skip
    assert client.post("/admin/plan/new/", data=form).status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.code == "growth"))
    assert plan.features == ["Invoices", "Payments", "Refunds"]
    assert plan.interval.value == "year"
    edit = client.get(f"/admin/plan/edit/?id={plan.id}").text
    assert "Invoices\nPayments\nRefunds" in edit

    too_many = {**form, "code": "many", "features": "\n".join(f"f{n}" for n in range(21))}
    answer = client.post("/admin/plan/new/", data=too_many)
    assert answer.status_code == 200 and "at most 20 features" in answer.text
