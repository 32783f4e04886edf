"""The Stripe provider against Stripe's documented requests and answers: a Checkout Session
in subscription mode for the plan's price, naming the store, for its Stripe customer (made
first when it has none); no Checkout while Stripe has a subscription for that customer that
has not ended; a change of plan confirmed in the portal for the subscription Stripe already
bills (never a second one); the Billing Portal; refusals in words."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from server.billing.providers import ProviderError, get_provider
from server.billing.providers.manual import ManualProvider
from server.billing.providers.stripe import StripeProvider
from server.models import SubscriptionStatus
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.stripe import (
    API,
    CHECKOUT_URL,
    PORTAL_URL,
    SECRET_KEY,
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

SUCCESS, CANCEL = "https://sync.example.com/paid", "https://sync.example.com/canceled"


def test_the_configured_provider_is_chosen(app_context):
    assert isinstance(get_provider(), ManualProvider) and not get_provider().self_serve


def test_manual_offers_nothing_self_serve_and_says_whom_to_ask(app_context):
    store = make_store()
    plan = priced_plans()["starter"]
    subscription = subscribed(store, plan, SubscriptionStatus.TRIALING)
    with pytest.raises(ProviderError, match="ask them"):
        ManualProvider().checkout_url(store, subscription, plan, SUCCESS, CANCEL)


def test_checkout_is_a_subscription_session_for_the_plans_price_naming_the_store(
    stripe_billing, stripe_api
):
    store = make_store()
    store.admin_email = "owner@shop.example.com"
    plans = priced_plans()
    subscription = subscribed(store, plans["standard"], SubscriptionStatus.TRIALING)
    stripe_api.post(f"{API}/customers", json=stripe_customer(store))
    stripe_api.post(f"{API}/checkout/sessions", json=checkout_session(store, "cus_new"))

    provider = get_provider()
    assert isinstance(provider, StripeProvider) and provider.self_serve
    url = provider.checkout_url(store, subscription, plans["starter"], SUCCESS, CANCEL)

    assert url == CHECKOUT_URL
    customer, call = stripe_api.calls
    assert form(customer) == {
        "email": "owner@shop.example.com", "name": "Shop", "metadata[store]": store.public_id
    }  # fmt: skip
    assert (subscription.provider, subscription.provider_customer_ref) == ("stripe", "cus_new")
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    sent = form(call)
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price]"] == "price_starter"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["client_reference_id"] == store.public_id
    assert sent["metadata[store]"] == store.public_id and sent["metadata[plan]"] == "starter"
    assert sent["subscription_data[metadata][store]"] == store.public_id
    assert sent["success_url"] == SUCCESS and sent["cancel_url"] == CANCEL
    assert sent["customer"] == "cus_new", "made first: one customer, whatever Checkout does"


def test_a_store_without_an_email_is_a_customer_without_one(stripe_billing, stripe_api):
    store = make_store()
    plans = priced_plans()
    subscription = subscribed(store, plans["standard"], SubscriptionStatus.TRIALING)
    stripe_api.post(f"{API}/customers", json=stripe_customer(store))
    stripe_api.post(f"{API}/checkout/sessions", json=checkout_session(store, "cus_new"))
    get_provider().checkout_url(store, subscription, plans["starter"], SUCCESS, CANCEL)
    assert "email" not in form(stripe_api.calls[0])


def test_a_store_that_paid_before_subscribes_again_as_the_same_customer(stripe_billing, stripe_api):
    store = make_store()
    plans = priced_plans()
    subscription = billed_by_stripe(
        store, plans["standard"], SubscriptionStatus.CANCELLED, "sub_old", "cus_kept"
    )
    ended = [
        stripe_subscription(store, status=status, price="price_standard", sub_id=f"sub_{status}")
        for status in ("canceled", "incomplete_expired")
    ]
    stripe_api.get(f"{API}/subscriptions", json=subscription_list(*ended))
    stripe_api.post(f"{API}/checkout/sessions", json=checkout_session(store, "cus_kept"))
    get_provider().checkout_url(store, subscription, plans["standard"], SUCCESS, CANCEL)
    listed, checkout = stripe_api.calls
    asked = dict(parse_qsl(urlsplit(listed.request.url).query))
    assert asked == {"customer": "cus_kept", "status": "all", "limit": "10"}
    assert form(checkout)["customer"] == "cus_kept"


@pytest.mark.parametrize("status", ["unpaid", "paused", "past_due", "active", "incomplete"])
def test_no_second_checkout_while_stripe_has_a_subscription_that_has_not_ended(
    stripe_billing, stripe_api, status
):
    store = make_store()
    plans = priced_plans()
    subscription = billed_by_stripe(store, plans["standard"], SubscriptionStatus.EXPIRED)
    live = stripe_subscription(store, status=status, price="price_standard")
    stripe_api.get(f"{API}/subscriptions", json=subscription_list(live))
    with pytest.raises(ProviderError) as refused:
        get_provider().checkout_url(store, subscription, plans["standard"], SUCCESS, CANCEL)
    assert refused.value.message.startswith(
        f"Stripe already has a subscription for this store (status {status})"
    )
    assert "use Manage card or cancel" in refused.value.message and refused.value.portal
    assert [call.request.method for call in stripe_api.calls] == ["GET"], "no Checkout made"


def test_a_billed_subscription_changes_plan_in_the_portal_not_in_a_second_checkout(
    stripe_billing, stripe_api
):
    store = make_store()
    plans = priced_plans()
    subscription = billed_by_stripe(store, plans["starter"], SubscriptionStatus.ACTIVE)
    stripe_api.get(
        f"{API}/subscriptions/sub_1",
        json=stripe_subscription(store, status="active", price="price_starter"),
    )
    stripe_api.post(f"{API}/billing_portal/sessions", json=portal_session("cus_1", SUCCESS))

    url = get_provider().checkout_url(store, subscription, plans["standard"], SUCCESS, CANCEL)

    assert url == PORTAL_URL
    assert [call.request.method for call in stripe_api.calls] == ["GET", "POST"]
    sent = form(stripe_api.calls[1])
    assert sent["customer"] == "cus_1"
    assert sent["flow_data[type]"] == "subscription_update_confirm"
    assert sent["flow_data[subscription_update_confirm][subscription]"] == "sub_1"
    assert sent["flow_data[subscription_update_confirm][items][0][id]"] == "si_1"
    assert sent["flow_data[subscription_update_confirm][items][0][price]"] == "price_standard"


def test_the_portal_is_for_the_stores_customer_and_comes_back(stripe_billing, stripe_api):
    store = make_store()
    subscription = billed_by_stripe(store, priced_plans()["starter"], SubscriptionStatus.PAST_DUE)
    stripe_api.post(f"{API}/billing_portal/sessions", json=portal_session("cus_1", SUCCESS))
    assert get_provider().portal_url(store, subscription, SUCCESS) == PORTAL_URL
    assert form(stripe_api.calls[0]) == {"customer": "cus_1", "return_url": SUCCESS}


def test_refusals_are_in_words(stripe_billing, stripe_api):
    store = make_store()
    plans = priced_plans()
    plans["starter"].provider_price_id = ""
    subscription = subscribed(store, plans["standard"], SubscriptionStatus.EXPIRED)
    stripe_api.post(f"{API}/customers", json=stripe_customer(store))
    stripe_api.get(f"{API}/subscriptions", json=subscription_list())
    provider = get_provider()
    with pytest.raises(ProviderError, match="the Starter plan has no Stripe price yet"):
        provider.checkout_url(store, subscription, plans["starter"], SUCCESS, CANCEL)
    with pytest.raises(ProviderError, match="has not subscribed through Stripe yet"):
        provider.portal_url(store, subscription, SUCCESS)

    stripe_api.post(
        f"{API}/checkout/sessions",
        status=400,
        json={"error": {"type": "invalid_request_error", "code": "resource_missing",
                        "param": "line_items[0][price]",
                        "message": "No such price: 'price_standard'"}},
    )  # fmt: skip
    with pytest.raises(ProviderError, match="Stripe refused: No such price: 'price_standard'"):
        provider.checkout_url(store, subscription, plans["standard"], SUCCESS, CANCEL)
    assert subscription.provider_customer_ref == "cus_new", "kept: made once, whatever follows"

    stripe_api.replace(
        "POST",
        f"{API}/checkout/sessions",
        status=401,
        json={"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
    )
    with pytest.raises(ProviderError, match="Stripe refused this service's key"):
        provider.checkout_url(store, subscription, plans["standard"], SUCCESS, CANCEL)
