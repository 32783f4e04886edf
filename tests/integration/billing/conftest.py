"""Stripe switched on and its API answered by the test (tests/support/stripe.py)."""

from tests.support.stripe import stripe_api, stripe_billing  # noqa: F401 - fixtures
