"""The signed API the WordPress bridge plugin calls: activation (consent and proof of
control), deactivation, status, one-time dashboard embeds, uninstallation."""

from flask import Blueprint

bp = Blueprint("bridge", __name__, url_prefix="/api/bridge/v1")

from server.web.bridge import views  # noqa: E402,F401 - registers the routes

__all__ = ["bp"]
