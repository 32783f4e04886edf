"""The manual provider: the operator sets each store's plan, state and period in the admin
(`server.admin.billing`); a store admin has nothing to pay or change, and is told whom to
ask."""

from __future__ import annotations

from server.billing.providers.base import PaymentProvider, ProviderError
from server.models import Plan, Store, Subscription

ASK_THE_OPERATOR = (
    "plans are changed by the people who run this wooxero service: ask them to change yours"
)


class ManualProvider(PaymentProvider):
    name = "manual"
    self_serve = False

    def checkout_url(
        self, store: Store, subscription: Subscription, plan: Plan, success_url: str,
        cancel_url: str,
    ) -> str:  # fmt: skip
        raise ProviderError(ASK_THE_OPERATOR)

    def portal_url(self, store: Store, subscription: Subscription, return_url: str) -> str:
        raise ProviderError(ASK_THE_OPERATOR)
