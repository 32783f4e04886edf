"""Connecting a store's external systems from the browser: Xero's OAuth2 dance and
WooCommerce's app authorisation, keys by hand, "test connection", disconnecting."""

from flask import Blueprint

bp = Blueprint("connect", __name__)

from server.web.dashboard.connect import woocommerce, xero  # noqa: E402,F401 - registers the routes

__all__ = ["bp"]
