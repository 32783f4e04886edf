"""What Stripe's events do to a store's subscription, each event once.

checkout.session.completed links the store to its Stripe customer and subscription and
moves it to the plan paid for, active once paid; customer.subscription.created/updated set
the state, plan (from the item's price) and period; customer.subscription.deleted cancels;
invoice.payment_failed makes a trialing or active one past due; invoice.paid active, with the
period paid for. Every change goes through `subscriptions.change` with actor "stripe" and
the event as the reason, the subscription's row locked meanwhile so that two events at once
are applied one after the other.

A store is named by the object's metadata.store (our Checkout sets it on the session and on
the subscription) or by the Stripe subscription linked before, never by the customer alone
(a customer may have other subscriptions). Only a Checkout this server made is trusted: its
metadata names the same store as its client_reference_id, and one of our plans (a Payment
Link anyone may open with a victim's public id as client_reference_id carries neither).

Kept and ignored, changing nothing at all (so Stripe stops sending them): an event older
than one already applied to the store (Stripe does not promise order); one about no store
here; one about another Stripe subscription than the store's; a subscription to a price no
plan here has; a checkout this server did not make, or one that would replace a subscription
Stripe still bills (logged for the operator: the store pays twice); a failed payment of a
subscription that already ended."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.billing import subscriptions
from server.billing.providers.base import LIVE
from server.billing.providers.stripe import NAME, StripeEvent, timestamp
from server.extensions import db
from server.models import (
    Plan,
    ProviderEvent,
    ProviderEventOutcome,
    Store,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)
ACTOR = "stripe"
NO_STORE = "about no store of this server"

STATUSES = {  # Stripe's subscription status: ours (None: keep ours, Stripe is still trying)
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.EXPIRED,  # every retry failed
    "paused": SubscriptionStatus.EXPIRED,  # a trial ended without a payment method
    "canceled": SubscriptionStatus.CANCELLED,
    "incomplete_expired": SubscriptionStatus.EXPIRED,
    "incomplete": None,
}


@dataclass(frozen=True)
class Received:
    """What became of an event: the store it is about (None: none here), whether it was
    applied (False: a repeat, or ignored) and why, in words."""

    store_id: int | None
    applied: bool
    note: str


@dataclass(frozen=True)
class Change:
    """What an event says of a subscription, read from its object."""

    store_ref: str = ""  # the store's public id, when the object carries it
    customer: str = ""
    subscription_ref: str = ""
    status: SubscriptionStatus | None = None
    moves_from: frozenset[SubscriptionStatus] | None = None  # the states `status` replaces
    price: str = ""
    plan_code: str = ""
    period_end: datetime | None = None
    trial_end: datetime | None = None
    checkout: bool = False  # a paid Checkout: it may link the store to a new subscription
    ignored: str = ""  # why nothing is done with the object, in words


def receive(event: StripeEvent) -> Received:
    """Apply `event` unless it was received before; keep it with what it did. Commits."""
    seen = db.session.scalar(
        sa.select(ProviderEvent.id).where(
            ProviderEvent.provider == NAME, ProviderEvent.event_id == event.id
        )
    )
    if seen is not None:
        return Received(None, False, "received before: not applied again")
    reader = READERS.get(event.type)
    if reader is None:
        return _keep(event, None, False, f"wooxero does not act on {event.type}")
    change = reader(event.object)
    if change.ignored:
        return _keep(event, None, False, change.ignored)
    subscription = _locked_subscription(change)
    if subscription is None:
        logger.warning("Stripe event %s (%s) is %s", event.id, event.type, NO_STORE)
        return _keep(event, None, False, NO_STORE)
    store_id = subscription.store_id
    if _newer_applied(store_id, event.created):
        return _keep(event, store_id, False, "older than an event already applied")
    plan, why_not = _plan(change)
    why_not = why_not or _not_this_stores(event, subscription, change)
    if why_not:
        return _keep(event, store_id, False, why_not)
    _link(subscription, change)
    subscriptions.change(
        subscription,
        actor=ACTOR,
        reason=f"{event.type} {event.id}",
        status=change.status,
        plan=plan,
        period_end=change.period_end,
        details={"event": event.id},
    )
    return _keep(event, store_id, True, "")


def _keep(event: StripeEvent, store_id: int | None, applied: bool, note: str) -> Received:
    db.session.add(
        ProviderEvent(
            provider=NAME,
            event_id=event.id,
            type=event.type[:100],
            occurred_at=event.created,
            store_id=store_id,
            outcome=ProviderEventOutcome.APPLIED if applied else ProviderEventOutcome.IGNORED,
            note=note,
            payload=event.raw,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same event, received at the same moment, won
        db.session.rollback()
        return Received(None, False, "received before: not applied again")
    return Received(store_id, applied, note)


def _locked_subscription(change: Change) -> Subscription | None:
    """The subscription of the store the event names (by its metadata, else by the Stripe
    subscription linked before), its row locked until the commit and read afresh."""
    if change.store_ref:
        query = sa.select(Subscription).where(
            Subscription.store_id.in_(
                sa.select(Store.id).where(Store.public_id == change.store_ref)
            )
        )
    elif change.subscription_ref:
        query = sa.select(Subscription).where(
            Subscription.provider == NAME, Subscription.provider_ref == change.subscription_ref
        )
    else:
        return None
    return db.session.scalar(
        query.order_by(Subscription.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _not_this_stores(event: StripeEvent, subscription: Subscription, change: Change) -> str:
    """Why the event must not touch the store's subscription ("" when it may)."""
    linked = subscription.provider_ref if subscription.provider == NAME else ""
    if change.checkout:
        if linked and linked != change.subscription_ref and subscription.status in LIVE:
            logger.warning(
                "store %s paid Stripe Checkout for %s while Stripe bills it through %s: the "
                "new subscription is not linked; refund or cancel one of them in Stripe",
                change.store_ref, change.subscription_ref, linked,
            )  # fmt: skip
            new = change.subscription_ref
            return f"the store is billed through {linked} already: {new} was not linked"
        return ""
    if linked and change.subscription_ref != linked:
        return f"about Stripe subscription {change.subscription_ref}, not the store's ({linked})"
    if change.moves_from is not None and subscription.status not in change.moves_from:
        return f"{event.type} does not move a {subscription.status.value} subscription"
    return ""


def _link(subscription: Subscription, change: Change) -> None:
    """Remember the store's Stripe customer and subscription (a paid checkout's replaces one
    Stripe no longer bills)."""
    if change.customer or change.subscription_ref:
        subscription.provider = NAME
    if change.customer:
        subscription.provider_customer_ref = change.customer
    if change.subscription_ref:
        subscription.provider_ref = change.subscription_ref
    if change.status == SubscriptionStatus.TRIALING and change.trial_end is not None:
        subscription.trial_ends_at = change.trial_end


def _newer_applied(store_id: int, created: datetime) -> bool:
    return (
        db.session.scalar(
            sa.select(ProviderEvent.id)
            .where(
                ProviderEvent.provider == NAME,
                ProviderEvent.store_id == store_id,
                ProviderEvent.outcome == ProviderEventOutcome.APPLIED,
                ProviderEvent.occurred_at > created,
            )
            .limit(1)
        )
        is not None
    )


def _plan(change: Change) -> tuple[Plan | None, str]:
    """The plan the event names (by its price, else by its code), and why not when it names
    one this server does not have: then the event is not about this server's plans."""
    column, value = (
        (Plan.provider_price_id, change.price) if change.price else (Plan.code, change.plan_code)
    )
    if not value:
        return None, ""
    plan = db.session.scalar(sa.select(Plan).where(column == value).order_by(Plan.id).limit(1))
    if plan is None:
        logger.warning("a Stripe event names %s, which no plan here has", value)
        return None, f"{value} is not one of this server's plans"
    return plan, ""


def _checkout_completed(session: dict[str, Any]) -> Change:
    if session.get("mode") != "subscription":
        return Change(ignored="not a subscription's checkout")
    store_ref, plan_code = _metadata(session), _metadata(session, "plan")
    if not (store_ref and plan_code and store_ref == session.get("client_reference_id")):
        return Change(ignored="not a Checkout this server made (its metadata names no store)")
    paid = session.get("payment_status") == "paid"
    return Change(
        store_ref=store_ref,
        customer=_ref(session.get("customer")),
        subscription_ref=_ref(session.get("subscription")),
        status=SubscriptionStatus.ACTIVE if paid else None,  # a trial: the subscription says
        plan_code=plan_code,
        checkout=True,
    )


def _subscription_changed(subscription: dict[str, Any]) -> Change:
    items = _data(subscription.get("items"))
    first = items[0] if items else {}
    period_end = subscription.get("current_period_end") or first.get("current_period_end")
    trial_end = subscription.get("trial_end")
    price = _ref(first.get("price"))
    if not price:
        return Change(ignored="the subscription has no priced item")
    return Change(
        store_ref=_metadata(subscription),
        customer=_ref(subscription.get("customer")),
        subscription_ref=_ref(subscription.get("id")),
        status=STATUSES.get(_text(subscription.get("status"))),
        price=price,
        period_end=timestamp(period_end) if isinstance(period_end, int) else None,
        trial_end=timestamp(trial_end) if isinstance(trial_end, int) else None,
    )


def _subscription_deleted(subscription: dict[str, Any]) -> Change:
    return Change(
        store_ref=_metadata(subscription),
        customer=_ref(subscription.get("customer")),
        subscription_ref=_ref(subscription.get("id")),
        status=SubscriptionStatus.CANCELLED,
    )


def _invoice(
    invoice: dict[str, Any], status: SubscriptionStatus, period: bool,
    moves_from: frozenset[SubscriptionStatus] | None = None,
) -> Change:  # fmt: skip
    """An invoice's subscription: under parent.subscription_details since API version
    2025-03-31, at the top level before."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription_ref = _ref(details.get("subscription") or invoice.get("subscription"))
    if not subscription_ref:
        return Change(ignored="a one-off invoice, not a subscription's")
    ends = [
        line["period"]["end"]
        for line in _data(invoice.get("lines"))
        if isinstance((line.get("period") or {}).get("end"), int)
    ]
    return Change(
        store_ref=_metadata(details),
        customer=_ref(invoice.get("customer")),
        subscription_ref=subscription_ref,
        status=status,
        moves_from=moves_from,
        period_end=timestamp(max(ends)) if period and ends else None,
    )


def _invoice_paid(invoice: dict[str, Any]) -> Change:
    return _invoice(invoice, SubscriptionStatus.ACTIVE, period=True)


def _payment_failed(invoice: dict[str, Any]) -> Change:
    return _invoice(invoice, SubscriptionStatus.PAST_DUE, period=False, moves_from=FAILS)


# what a failed payment makes past due: never a subscription that ended
FAILS = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)
READERS = {
    "checkout.session.completed": _checkout_completed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_deleted,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _payment_failed,
}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _ref(value: Any) -> str:
    """An id, whether Stripe sent it as such or expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)[:255]


def _metadata(owner: dict[str, Any], key: str = "store") -> str:
    metadata = owner.get("metadata")
    return _text(metadata.get(key)) if isinstance(metadata, dict) else ""


def _data(listing: Any) -> list[dict[str, Any]]:
    """The objects of a Stripe list ({"object": "list", "data": [...]})."""
    data = listing.get("data") if isinstance(listing, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
