"""``create_app``: the Flask app serving ``/wp-json``, ``/wc-auth`` and ``/_sandbox``."""

from __future__ import annotations

from flask import Flask

from .config import StoreConfig
from .inspect_views import blueprint as inspect_blueprint
from .rest.routes import build_router
from .rest.server import blueprint as rest_blueprint
from .state import EXTENSION, Sandbox
from .wcauth import blueprint as wcauth_blueprint


def create_app(config: StoreConfig | None = None, base_url: str = "") -> Flask:
    """The sandbox store as a WSGI app; ``base_url`` fixes the site URL up front.

    Without ``base_url`` (and ``config.site_url``) the first request's host URL is used.
    """
    app = Flask(__name__)
    box = Sandbox(config or StoreConfig(), build_router())
    app.extensions[EXTENSION] = box
    if base_url or box.config().site_url:
        box.ensure_seeded(base_url)
    app.register_blueprint(rest_blueprint)
    app.register_blueprint(wcauth_blueprint)
    app.register_blueprint(inspect_blueprint)
    return app
