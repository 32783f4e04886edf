"""``create_app``: the Flask app serving ``/wp-json``, ``/wc-auth`` and ``/_sandbox``."""

from __future__ import annotations

from flask import Flask

from ..common.app import sandbox_app
from .config import StoreConfig
from .inspect_views import blueprint as inspect_blueprint
from .rest.routes import build_router
from .rest.server import blueprint as rest_blueprint
from .state import Sandbox
from .wcauth import blueprint as wcauth_blueprint


def create_app(config: StoreConfig | None = None, base_url: str = "") -> Flask:
    """The sandbox store as a WSGI app; ``base_url`` fixes the site URL up front.

    Without ``base_url`` (and ``config.site_url``) the first request's host URL is used.
    """
    box = Sandbox(config or StoreConfig(), build_router())
    if base_url or box.config().site_url:
        box.ensure_seeded(base_url)
    return sandbox_app(__name__, box, rest_blueprint, wcauth_blueprint, inspect_blueprint)
