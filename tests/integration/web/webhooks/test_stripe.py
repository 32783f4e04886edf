"""POST /webhooks/stripe: an event signed with the endpoint's secret is stored and applied
once, then the store's waiting orders go if it may sync again; a forged or replayed one is
refused with a 400 in words, nothing stored; an event about nothing here is kept and
answered 200, so Stripe stops sending it."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import sqlalchemy as sa

from server.extensions import db
from server.jobs.tasks import push
from server.models import ProviderEvent, SubscriptionChange, SubscriptionStatus
from server.models.types import utcnow
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.stripe import (
    deliver,
    event,
    priced_plans,
    signature,
    stripe_subscription,
    subscribed,
)


def stored_events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent))


def checkout_completed(store) -> dict:
    return event("checkout.session.completed", {
        "id": "cs_1", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": store.public_id, "customer": "cus_1", "subscription": "sub_1",
        "payment_status": "paid", "metadata": {"store": store.public_id, "plan": "starter"},
    })  # fmt: skip


def test_a_signed_event_is_applied_and_the_store_whose_trial_ended_syncs_again(
    stripe_billing, client
):
    store = make_store()
    plans = priced_plans()
    subscription = subscribed(
        store, plans["standard"], SubscriptionStatus.TRIALING,
        trial_ends_at=utcnow() - timedelta(hours=1),
    )  # fmt: skip
    assert not push.flush.is_waiting(store.id)

    answer = deliver(client, checkout_completed(store))

    assert answer.status_code == 200 and answer.json["applied"] is True
    db.session.refresh(subscription)
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.plan.code == "starter"
    assert push.flush.is_waiting(store.id), "what waited goes now"


def test_a_forged_signature_is_refused_and_nothing_is_stored(stripe_billing, client):
    store = make_store()
    subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    answer = deliver(client, checkout_completed(store), secret="whsec_someone_else")
    assert answer.status_code == 400
    assert "the Stripe-Signature does not verify" in answer.json["error"]
    assert stored_events() == 0 and not db.session.scalar(sa.select(SubscriptionChange.id))


def test_a_replayed_event_signed_long_ago_is_refused(stripe_billing, client):
    store = make_store()
    subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    answer = deliver(client, checkout_completed(store), at=int(time.time()) - 301)
    assert answer.status_code == 400 and "tolerance" in answer.json["error"]
    assert stored_events() == 0


def test_a_body_changed_after_signing_is_refused(stripe_billing, client):
    store = make_store()
    body = json.dumps(checkout_completed(store)).encode()
    answer = client.post(
        "/webhooks/stripe", data=body.replace(b'"paid"', b'"unpaid"'),
        headers={"Stripe-Signature": signature(body)},
    )  # fmt: skip
    assert answer.status_code == 400


def test_a_signed_body_that_is_not_an_event_is_refused_in_words(stripe_billing, client):
    not_json = deliver(client, b"{not json")
    assert not_json.status_code == 400 and not_json.json["error"] == "the body is not JSON"
    no_type = deliver(client, {"id": "evt_1", "created": 1, "data": {"object": {}}})
    assert no_type.status_code == 400 and no_type.json["error"] == "the event has no id or type"
    for not_an_object in (b"[]", b'"evt_1"', b"42", b"null"):
        answer = deliver(client, not_an_object)
        assert answer.status_code == 400, not_an_object
        assert answer.json["error"] == "the body is not a Stripe event (a JSON object)"
    unsigned = client.post("/webhooks/stripe", data=b"{}")
    assert unsigned.status_code == 400 and "Stripe-Signature" in unsigned.json["error"]


def test_the_same_event_delivered_twice_is_applied_once(stripe_billing, client):
    store = make_store()
    subscription = subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    once = checkout_completed(store)
    assert deliver(client, once).json["applied"] is True
    again = deliver(client, once)
    assert again.status_code == 200 and again.json["applied"] is False
    assert stored_events() == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(SubscriptionChange.subscription_id == subscription.id)
        )
        == 1
    )


def test_an_event_about_no_store_here_is_answered_200_and_kept(stripe_billing, client):
    obj = stripe_subscription(
        None, status="active", price="price_x", sub_id="sub_x", customer="cus_x"
    )
    answer = deliver(client, event("customer.subscription.updated", obj))
    assert answer.status_code == 200 and answer.json["applied"] is False
    assert stored_events() == 1


def test_without_stripe_configured_there_is_no_stripe_webhook(client):
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 404
