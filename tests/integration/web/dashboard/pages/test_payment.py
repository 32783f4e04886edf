"""Paying from the Subscription page with Stripe: a button per plan with a price (Subscribe
to, or Change to once Stripe bills the store), and Manage card or cancel once the store is
Stripe's customer; each leaves the iframe (target _top) with a single-use token and lands on
Stripe's page, or on a page saying in words what Stripe refused; Stripe sends the person back
to a page that leads to the Subscription page in WordPress."""

from __future__ import annotations

import re

from server.extensions import db
from server.models import SubscriptionStatus
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.dashboard import open_dashboard
from tests.support.stripe import (
    API,
    CHECKOUT_URL,
    PORTAL_URL,
    billed_by_stripe,
    checkout_session,
    form,
    portal_session,
    priced_plans,
    stripe_customer,
    stripe_subscription,
    subscribed,
    subscription_list,
)

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}
PAYMENT_FORM = (
    r'<form method="post" action="/dashboard/payment/(\w+)" target="_top" class="inline">\s*'
    r'<input type="hidden" name="token" value="([^"]+)">\s*'
    r'(?:<input type="hidden" name="plan" value="([^"]+)">)?\s*'
    r'<button type="submit" class="[^"]*">([^<]+)</button>'
)


def buttons(page: str) -> list[tuple[str, str, str, str]]:
    """The page's payment forms: (action, token, plan, label)."""
    return re.findall(PAYMENT_FORM, page)


def test_a_trial_offers_to_subscribe_to_each_priced_plan_top_level(stripe_billing, client):
    store = make_store()
    plans = priced_plans()
    plans["standard"].provider_price_id = ""
    subscribed(store, plans["standard"], SubscriptionStatus.TRIALING)
    page = open_dashboard(client, store).get("subscription").text
    offered = buttons(page)
    assert [(action, plan, label) for action, _, plan, label in offered] == [
        ("checkout", "starter", "Subscribe to Starter")
    ]
    assert "not offered for payment here yet" in page, "the plan without a price"
    assert "Manage card or cancel" not in page, "not Stripe's customer yet"
    assert "ask them" not in page


def test_a_store_stripe_bills_changes_plan_and_manages_its_card(stripe_billing, client):
    store = make_store()
    plans = priced_plans()
    billed_by_stripe(store, plans["starter"], SubscriptionStatus.ACTIVE)
    offered = buttons(open_dashboard(client, store).get("subscription").text)
    assert [(action, plan, label) for action, _, plan, label in offered] == [
        ("checkout", "standard", "Change to Standard"),
        ("portal", "", "Manage card or cancel"),
    ]


def test_subscribe_goes_to_stripe_checkout_once_per_token(stripe_billing, stripe_api, client):
    store = make_store()
    subscription = subscribed(store, priced_plans()["standard"], SubscriptionStatus.EXPIRED)
    (_, token, plan, _), *_ = buttons(open_dashboard(client, store).get("subscription").text)
    stripe_api.post(f"{API}/customers", json=stripe_customer(store))
    stripe_api.post(f"{API}/checkout/sessions", json=checkout_session(store, "cus_new"))

    answer = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": plan}, headers=SAME_SITE
    )

    assert answer.status_code == 303 and answer.location == CHECKOUT_URL
    db.session.expire_all()
    assert subscription.provider_customer_ref == "cus_new", "the store's customer is kept"
    sent = form(stripe_api.calls[1])
    assert sent["line_items[0][price]"] == "price_starter"
    back = f"/dashboard/payment/return/{store.public_id}?outcome="
    assert back + "paid" in sent["success_url"] and back + "canceled" in sent["cancel_url"]
    assert sent["success_url"].startswith("http")
    again = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": plan}, headers=SAME_SITE
    )
    assert again.status_code == 403, "the token was single-use"

    returned = client.get(f"/dashboard/payment/return/{store.public_id}?outcome=paid")
    assert returned.status_code == 200 and "Thank you" in returned.text
    assert "wp-admin/admin.php?page=wooxero-bridge-subscription" in returned.text


def test_the_portal_button_opens_stripes_billing_portal(stripe_billing, stripe_api, client):
    store = make_store()
    billed_by_stripe(store, priced_plans()["starter"], SubscriptionStatus.PAST_DUE)
    page = open_dashboard(client, store).get("subscription").text
    (token,) = {token for action, token, _, _ in buttons(page) if action == "portal"}
    stripe_api.post(f"{API}/billing_portal/sessions", json=portal_session("cus_1", "x"))
    answer = client.post("/dashboard/payment/portal", data={"token": token}, headers=SAME_SITE)
    assert answer.status_code == 303 and answer.location == PORTAL_URL
    assert form(stripe_api.calls[0])["customer"] == "cus_1"


def test_what_stripe_refuses_is_said_in_words_not_a_500(stripe_billing, stripe_api, client):
    store = make_store()
    subscription = subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    (_, token, plan, _), *_ = buttons(open_dashboard(client, store).get("subscription").text)
    stripe_api.post(f"{API}/customers", json=stripe_customer(store))
    stripe_api.post(
        f"{API}/checkout/sessions", status=400,
        json={"error": {"type": "invalid_request_error", "message": "No such price: 'price_starter'"}},
    )  # fmt: skip
    answer = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": plan}, headers=SAME_SITE
    )
    assert answer.status_code == 502
    assert "Stripe refused: No such price: &#39;price_starter&#39;." in answer.text
    assert "wooxero-bridge-subscription" in answer.text, "a way back"
    db.session.expire_all()
    assert subscription.provider_customer_ref == "cus_new", "kept, so never made twice"


def test_a_store_stripe_still_has_a_subscription_for_goes_to_the_portal_not_a_checkout(
    stripe_billing, stripe_api, client
):
    """Expired here because Stripe said unpaid: Stripe still has that subscription, so a
    fresh Checkout would bill the store twice; the portal pays what is owed."""
    store = make_store()
    billed_by_stripe(store, priced_plans()["starter"], SubscriptionStatus.EXPIRED)
    (_, token, plan, _), *_ = buttons(open_dashboard(client, store).get("subscription").text)
    unpaid = stripe_subscription(store, status="unpaid", price="price_starter")
    stripe_api.get(f"{API}/subscriptions", json=subscription_list(unpaid))

    answer = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": plan}, headers=SAME_SITE
    )

    assert answer.status_code == 409
    assert "Stripe already has a subscription for this store (status unpaid)" in answer.text
    ((action, portal_token, _, label),) = buttons(answer.text)
    assert (action, label) == ("portal", "Manage card or cancel")
    stripe_api.post(f"{API}/billing_portal/sessions", json=portal_session("cus_1", "x"))
    went = client.post("/dashboard/payment/portal", data={"token": portal_token}, headers=SAME_SITE)
    assert went.status_code == 303 and went.location == PORTAL_URL
    assert [call.request.method for call in stripe_api.calls] == ["GET", "POST"]


def test_a_plan_not_offered_or_a_post_from_elsewhere_is_refused(stripe_billing, client):
    store = make_store()
    subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    dashboard = open_dashboard(client, store)
    (_, token, _, _), *_ = buttons(dashboard.get("subscription").text)
    unknown = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": "gold"}, headers=SAME_SITE
    )
    assert unknown.status_code == 400 and "That plan is not offered" in unknown.text
    (_, token, plan, _), *_ = buttons(dashboard.get("subscription").text)
    elsewhere = client.post(
        "/dashboard/payment/checkout", data={"token": token, "plan": plan},
        headers={"Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert elsewhere.status_code == 403


def test_with_the_manual_provider_there_is_nothing_to_pay_here(client):
    store = make_store()
    subscribed(store, priced_plans()["standard"], SubscriptionStatus.TRIALING)
    page = open_dashboard(client, store).get("subscription").text
    assert buttons(page) == [] and "ask them" in page
