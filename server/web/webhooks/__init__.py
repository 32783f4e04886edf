"""Webhook intake: verify, store, enqueue, answer. Nothing is processed in the request."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from server.web.webhooks import stripe, woocommerce, xero  # noqa: E402,F401 - registers the routes
