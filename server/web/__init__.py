"""Everything that answers HTTP, besides the operators' admin panel (`server.admin`): the
bridge plugin's signed API, the store dashboard (pages, JSON API, connect routes), webhook
intake, operator login, health probes, monitoring (metrics, the stores' health). Web code
validates, stores and enqueues; the work itself runs in jobs (`server.jobs`) over the
use-case packages."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

from server.extensions import login_manager


def register_blueprints(app: Flask) -> None:
    from server.web import auth, bridge, health, monitoring, webhooks
    from server.web.dashboard import api, connect, pages

    login_manager.user_loader(auth.load_operator)
    for blueprint in (
        health.bp, monitoring.bp, auth.bp, connect.bp, webhooks.bp, api.bp, bridge.bp, pages.bp,
    ):  # fmt: skip
        app.register_blueprint(blueprint)


def dispatch_intake(app: Flask) -> None:
    """WooCommerce's deliveries answered in front of the app's request handling (see
    `server.web.webhooks.woocommerce`), every other request by the app."""
    from server.web.webhooks.woocommerce import WooCommerceIntake

    app.wsgi_app = WooCommerceIntake(app, app.wsgi_app)  # type: ignore[method-assign]


def security_headers(response: Response) -> Response:
    """No page may be framed (clickjacking) unless it says who may frame it, as the store
    dashboard does; no answer is read by a browser as another type than it says (a JSON
    error echoing input taken for HTML, say)."""
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
