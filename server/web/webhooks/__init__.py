"""Webhook intake: verify, store, enqueue, answer. Nothing is processed in the request.
WooCommerce's deliveries come in front of the app (`woocommerce.WooCommerceIntake`); the
others are this blueprint's routes."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from server.web.webhooks import stripe, xero  # noqa: E402,F401 - registers the routes
