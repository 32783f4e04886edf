"""Stripe: Checkout in subscription mode to subscribe, the Billing Portal to change the card,
confirm a change of plan or cancel, and the signed events its webhooks send
(`stripe_events` applies them).

A store with a subscription Stripe still bills changes plan through the portal's confirm
page for that very subscription, never through a second Checkout: one store, one Stripe
subscription, never billed twice. For that, each store is one Stripe customer, made before
its first Checkout, and no Checkout starts while Stripe has a subscription of that customer
that has not ended (one unpaid, paused or just paid and not yet linked here)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from server.billing.providers.base import PaymentProvider, ProviderError
from server.config import BillingConfig
from server.models import Plan, Store, Subscription

logger = logging.getLogger(__name__)

NAME = "stripe"
REQUEST_SECONDS = 30
NOT_AN_EVENT = "the body is not a Stripe event (a JSON object)"
ENDED = ("canceled", "incomplete_expired")  # Stripe's statuses of a subscription that ended


class InvalidEventError(Exception):
    """A webhook that is not a genuine, fresh Stripe event; the message says why."""


@dataclass(frozen=True)
class StripeEvent:
    id: str  # evt_…
    type: str  # e.g. customer.subscription.updated
    created: datetime
    object: dict[str, Any]  # data.object: the checkout session, subscription or invoice
    raw: dict[str, Any]


class StripeProvider(PaymentProvider):
    name = NAME
    self_serve = True

    def __init__(self, settings: BillingConfig) -> None:
        self._settings = settings
        self._client = stripe.StripeClient(
            settings.stripe_secret_key.get_secret_value(),
            http_client=stripe.RequestsClient(timeout=REQUEST_SECONDS),
        )

    def checkout_url(
        self, store: Store, subscription: Subscription, plan: Plan, success_url: str,
        cancel_url: str,
    ) -> str:  # fmt: skip
        if not plan.provider_price_id:
            raise ProviderError(
                f"the {plan.name} plan has no Stripe price yet, so it cannot be paid for here: "
                "ask the people who run this wooxero service"
            )
        if self.bills(subscription):
            return self._change_url(subscription, plan, success_url)
        if self.has_customer(subscription):
            self._refuse_a_second_subscription(subscription.provider_customer_ref)
        else:
            self._make_customer(store, subscription)
        metadata = {"store": store.public_id, "plan": plan.code}
        params: dict[str, Any] = {
            "mode": "subscription",
            "customer": subscription.provider_customer_ref,
            "line_items": [{"price": plan.provider_price_id, "quantity": 1}],
            "client_reference_id": store.public_id,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},  # its events name the store too
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = _call(lambda: self._client.v1.checkout.sessions.create(params=params))  # type: ignore[arg-type]
        return str(session.url)

    def portal_url(self, store: Store, subscription: Subscription, return_url: str) -> str:
        if not self.has_customer(subscription):
            raise ProviderError("this store has not subscribed through Stripe yet: choose a plan")
        params = {"customer": subscription.provider_customer_ref, "return_url": return_url}
        session = _call(lambda: self._client.v1.billing_portal.sessions.create(params=params))  # type: ignore[arg-type]
        return str(session.url)

    def _make_customer(self, store: Store, subscription: Subscription) -> None:
        """Make the store Stripe's customer, remembered on `subscription` (the caller
        commits): every Checkout of the store is then for that one customer."""
        params: dict[str, Any] = {"name": store.name, "metadata": {"store": store.public_id}}
        if store.admin_email:
            params["email"] = store.admin_email
        customer = _call(lambda: self._client.v1.customers.create(params=params))  # type: ignore[arg-type]
        subscription.provider = NAME
        subscription.provider_customer_ref = str(customer.id)

    def _refuse_a_second_subscription(self, customer: str) -> None:
        """Refuse a Checkout while Stripe has a subscription of the store's customer that
        has not ended: one just paid (its events are on their way), unpaid or paused (the
        portal pays what is owed), or one this server never linked."""
        params = {"customer": customer, "status": "all", "limit": 10}
        listed = _call(lambda: self._client.v1.subscriptions.list(params=params))  # type: ignore[arg-type]
        for existing in listed.data:
            if existing.status not in ENDED:
                raise ProviderError(
                    f"Stripe already has a subscription for this store (status "
                    f"{existing.status}): it shows here within a minute of paying; to pay what "
                    "is owed, change card or cancel, use Manage card or cancel",
                    portal=True,
                )

    def _change_url(self, subscription: Subscription, plan: Plan, return_url: str) -> str:
        """The portal's page confirming the switch of the subscription's item to the plan's
        price (Stripe shows the proration and applies it; its webhook changes the plan)."""
        current = _call(lambda: self._client.v1.subscriptions.retrieve(subscription.provider_ref))
        items = current["items"]["data"]
        if not items:
            raise ProviderError("the Stripe subscription has nothing on it to change")
        params = {
            "customer": subscription.provider_customer_ref,
            "return_url": return_url,
            "flow_data": {
                "type": "subscription_update_confirm",
                "subscription_update_confirm": {
                    "subscription": subscription.provider_ref,
                    "items": [
                        {"id": items[0]["id"], "price": plan.provider_price_id, "quantity": 1}
                    ],
                },
                "after_completion": {"type": "redirect", "redirect": {"return_url": return_url}},
            },
        }
        session = _call(lambda: self._client.v1.billing_portal.sessions.create(params=params))  # type: ignore[arg-type]
        return str(session.url)

    def verified_event(self, payload: bytes, signature: str | None) -> StripeEvent:
        """The event in a webhook's body, once its Stripe-Signature proves Stripe signed
        this very body with the endpoint's secret, less than the tolerance ago."""
        try:
            stripe.Webhook.construct_event(
                payload,
                signature,
                self._settings.stripe_webhook_secret.get_secret_value(),
                tolerance=self._settings.stripe_webhook_tolerance_seconds,
            )
        except stripe.SignatureVerificationError as error:
            why = error.user_message
            raise InvalidEventError(f"the Stripe-Signature does not verify: {why}") from None
        except ValueError:  # signed, yet not JSON
            raise InvalidEventError("the body is not JSON") from None
        except (AttributeError, TypeError, KeyError):  # signed JSON, yet no object to read
            raise InvalidEventError(NOT_AN_EVENT) from None
        return parse_event(json.loads(payload))


def parse_event(data: Any) -> StripeEvent:
    """A Stripe event's parts, checked: id, type, creation time and its object."""
    if not isinstance(data, dict):
        raise InvalidEventError(NOT_AN_EVENT)
    event_id, kind, created = data.get("id"), data.get("type"), data.get("created")
    inner = data.get("data")
    target = inner.get("object") if isinstance(inner, dict) else None
    if not (isinstance(event_id, str) and event_id and isinstance(kind, str) and kind):
        raise InvalidEventError("the event has no id or type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise InvalidEventError("the event has no creation time")
    if not isinstance(target, dict):
        raise InvalidEventError("the event has no data.object")
    return StripeEvent(event_id, kind, timestamp(created), target, data)


def timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _call(request: Any) -> Any:
    """Stripe's answer, or a ProviderError saying in words what went wrong."""
    try:
        return request()
    except stripe.AuthenticationError:
        logger.warning("Stripe refused billing.stripe_secret_key")
        raise ProviderError(
            "Stripe refused this service's key, so payments cannot start now: tell the people "
            "who run this wooxero service"
        ) from None
    except stripe.APIConnectionError as error:
        logger.warning("Stripe could not be reached: %s", error)
        raise ProviderError("Stripe could not be reached; try again in a minute") from None
    except stripe.StripeError as error:
        logger.warning("Stripe refused a request: %s", error)
        said = error.user_message or "no reason given"
        raise ProviderError(f"Stripe refused: {said}") from None
