"""Stripe as the tests see it: the app switched to the Stripe provider, Stripe's API answered
by `responses` with the shapes its API reference documents, and webhook events signed as
Stripe signs them (`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the endpoint's secret), computed here rather than by the stripe package under test."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import responses
from flask import Flask

from server.extensions import CONFIG_KEY, current_config, db
from server.models import Plan, Store, Subscription, SubscriptionStatus

SECRET_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_test_secret_for_wooxero"
API = "https://api.stripe.com/v1"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_a1b2c3"
PORTAL_URL = "https://billing.stripe.com/p/session/test_YWNjdF8x"
_ids = itertools.count(1)


@pytest.fixture
def stripe_billing(app_context: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The suite's app with billing.provider = "stripe" for one test."""
    settings = current_config().with_overrides(
        {
            "billing": {
                "provider": "stripe",
                "stripe_secret_key": SECRET_KEY,
                "stripe_webhook_secret": WEBHOOK_SECRET,
            }
        }
    )
    monkeypatch.setitem(app_context.extensions, CONFIG_KEY, settings)
    yield app_context


@pytest.fixture
def stripe_api() -> Iterator[responses.RequestsMock]:
    """Stripe's API, answered by the test; a request nobody answers fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def form(call: Any) -> dict[str, str]:
    """A request's form-encoded body, as Stripe reads it (`line_items[0][price]=…`)."""
    return dict(parse_qsl(call.request.body))


def checkout_session(store: Store, customer: str | None = None) -> dict[str, Any]:
    """Stripe's answer to POST /v1/checkout/sessions (the fields the reference shows)."""
    return {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "client_reference_id": store.public_id,
        "customer": customer,
        "mode": "subscription",
        "status": "open",
        "payment_status": "unpaid",
        "url": CHECKOUT_URL,
    }


def stripe_customer(store: Store, customer: str = "cus_new") -> dict[str, Any]:
    """Stripe's answer to POST /v1/customers."""
    return {
        "id": customer,
        "object": "customer",
        "created": int(time.time()),
        "email": store.admin_email or None,
        "name": store.name,
        "metadata": {"store": store.public_id},
        "livemode": False,
    }


def subscription_list(*subscriptions: dict[str, Any]) -> dict[str, Any]:
    """Stripe's answer to GET /v1/subscriptions."""
    return {
        "object": "list",
        "url": "/v1/subscriptions",
        "has_more": False,
        "data": list(subscriptions),
    }


def portal_session(customer: str, return_url: str) -> dict[str, Any]:
    """Stripe's answer to POST /v1/billing_portal/sessions."""
    return {
        "id": "bps_1MrSjzLkdIwHu7ixex0IvU9b",
        "object": "billing_portal.session",
        "configuration": "bpc_1MAhNDLkdIwHu7ixckACO1Jq",
        "created": int(time.time()),
        "customer": customer,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": PORTAL_URL,
    }


def stripe_subscription(
    store: Store | None, *, status: str, price: str, sub_id: str = "sub_1", customer: str = "cus_1",
    period_end: int | None = None, trial_end: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A subscription object as API version 2025-03-31 and later send it: the period on
    its item."""
    end = period_end or int(time.time()) + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "metadata": {"store": store.public_id} if store is not None else {},
        "trial_end": trial_end,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "current_period_start": end - 30 * 86400,
                    "current_period_end": end,
                    "price": {"id": price, "object": "price", "recurring": {"interval": "month"}},
                    "quantity": 1,
                }
            ],
        },
    }


def completed_checkout(
    store: Store, *, plan: str = "starter", sub_id: str = "sub_1", customer: str = "cus_1",
    reference: str | None = None, metadata: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A checkout.session.completed's session, paid: as our Checkout makes it (metadata and
    client_reference_id naming the store) unless the test says otherwise."""
    return {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": store.public_id if reference is None else reference,
        "customer": customer,
        "subscription": sub_id,
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"store": store.public_id, "plan": plan} if metadata is None else metadata,
    }


def stripe_invoice(sub_id: str = "sub_1", customer: str = "cus_1", period_end: int = 0) -> dict:
    """An invoice of a subscription, as API version 2025-03-31 and later send it."""
    return {
        "id": "in_1",
        "object": "invoice",
        "customer": customer,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": sub_id},
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1",
                    "object": "line_item",
                    "period": {"start": period_end - 30 * 86400, "end": period_end},
                }
            ],
        },
    }


def event(
    kind: str, obj: dict[str, Any], *, created: int | None = None, event_id: str = ""
) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_ids)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def signature(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def deliver(client: Any, payload: dict[str, Any] | bytes, **signing: Any) -> Any:
    """POST an event to /webhooks/stripe as Stripe does, signed."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        "/webhooks/stripe",
        data=body,
        headers={
            "Stripe-Signature": signature(body, **signing),
            "Content-Type": "application/json",
        },
    )


def priced_plans() -> dict[str, Plan]:
    plans = {
        code: Plan(
            code=code,
            name=code.title(),
            provider_price_id=f"price_{code}",
            monthly_order_limit=limit,
        )
        for code, limit in (("starter", 300), ("standard", 3000))
    }
    db.session.add_all(plans.values())
    db.session.commit()
    return plans


def subscribed(store: Store, plan: Plan, status: SubscriptionStatus, **fields: Any) -> Subscription:
    subscription = Subscription(store_id=store.id, plan=plan, status=status, **fields)
    db.session.add(subscription)
    db.session.commit()
    return subscription


def billed_by_stripe(
    store: Store, plan: Plan, status: SubscriptionStatus, sub_id: str = "sub_1",
    customer: str = "cus_1",
) -> Subscription:  # fmt: skip
    """A subscription linked to its Stripe subscription and customer, as a checkout leaves it."""
    return subscribed(
        store, plan, status, provider="stripe", provider_ref=sub_id, provider_customer_ref=customer
    )
