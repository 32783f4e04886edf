"""The JSON API of a store's settings and manual syncs, for the dashboard and operators."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from server.api import errors, settings, sync  # noqa: E402,F401 - registers the routes

__all__ = ["bp"]
