"""Who takes payment, behind one interface chosen in the config (`billing.provider`):
`manual` (the operator sets each store's plan, state and period in the admin; nothing is
self-serve) or `stripe` (Stripe Checkout to subscribe, its Billing Portal for cards, plan
changes and cancelling, its signed webhooks to move the subscription)."""

from __future__ import annotations

from server.billing.providers import manual, stripe
from server.billing.providers.base import PaymentProvider, ProviderError
from server.extensions import current_config


def get_provider() -> PaymentProvider:
    """The configured provider."""
    settings = current_config().billing
    if settings.provider == "stripe":
        return stripe.StripeProvider(settings)
    return manual.ManualProvider()


__all__ = ["PaymentProvider", "ProviderError", "get_provider"]
