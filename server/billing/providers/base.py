"""What every payment provider offers: a checkout to pay for a plan, a portal to manage
payment, and whether a store admin does either themselves."""

from __future__ import annotations

from abc import ABC, abstractmethod

from server.models import Plan, Store, Subscription, SubscriptionStatus

# a subscription the provider still bills: a plan change amends it rather than adding one
LIVE = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


class ProviderError(Exception):
    """The provider cannot do what was asked; the message says why, in words a store admin
    can act on, and `portal` whether the provider's portal is where to act on it."""

    def __init__(self, message: str, *, portal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.portal = portal


class PaymentProvider(ABC):
    name: str
    self_serve: bool  # whether a store admin subscribes and manages payment themselves

    @abstractmethod
    def checkout_url(
        self, store: Store, subscription: Subscription, plan: Plan, success_url: str,
        cancel_url: str,
    ) -> str:  # fmt: skip
        """Where the store admin goes to pay for `plan` (or to confirm a change to it). May
        remember on `subscription` what the provider made for the store: the caller commits,
        whether or not it raises."""

    @abstractmethod
    def portal_url(self, store: Store, subscription: Subscription, return_url: str) -> str:
        """Where the store admin manages their card, invoices and cancelling."""

    def bills(self, subscription: Subscription) -> bool:
        """Whether this provider bills the subscription now (a change of plan amends it)."""
        return (
            subscription.provider == self.name
            and bool(subscription.provider_ref)
            and subscription.status in LIVE
        )

    def has_customer(self, subscription: Subscription) -> bool:
        """Whether the store is known to the provider (so it has a portal to go to)."""
        return subscription.provider == self.name and bool(subscription.provider_customer_ref)
