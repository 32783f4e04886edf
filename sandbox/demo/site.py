"""The demo store's site: the WooCommerce sandbox as WordPress would serve it, with the bridge
plugin's challenge route in front (`plugin_bridge/includes/class-wooxero-bridge-challenge.php`),
both on one origin as on a real site, served on a loopback port by a thread of the demo.

The store sells in New Zealand: its tax table keeps the sandbox's New Zealand rates that
the sandbox's NZ organisation has a sales tax type for, so every rate maps to one charging
the same percentage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..woocommerce.app import create_app
from ..woocommerce.config import StoreConfig
from ..woocommerce.server import RunningStore
from ..woocommerce.state import Sandbox

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHALLENGE_ROUTE = "/wooxero-bridge/v1/challenge"
NONCE = re.compile(r"[A-Za-z0-9]{16,128}")  # what the plugin's route accepts

SALES_TAX_TYPES = {"15": "OUTPUT2", "0": "ZERORATED"}
"""The NZ organisation's sales tax types by the percentage they charge."""
NO_TAX_TYPE = "NONE"
"""The NZ organisation's tax type for lines WooCommerce charges no tax on."""


def store_config() -> StoreConfig:
    """The demo shop: New Zealand's rates that map exactly, and a store that approves the
    server's access request at once and posts the keys to an http callback."""
    config = StoreConfig(site_name="Demo Store", auto_approve=True, allow_http_callback=True)
    rates = tuple(
        rate
        for rate in config.tax_rates
        if rate.country == config.store_country
        and format(rate.rate.normalize(), "f") in SALES_TAX_TYPES
    )
    return dataclasses.replace(config, tax_rates=rates)


class ChallengeRoute:
    """WSGI middleware answering `POST /?rest_route=/wooxero-bridge/v1/challenge` as the
    plugin does while an activation is under way (`challenge` set), with the HMAC of the
    server's nonce keyed by the challenge; every other request goes to the store."""

    def __init__(self, store: WSGIApplication) -> None:
        self.store = store
        self.challenge = ""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path != "/" or request.args.get("rest_route") != CHALLENGE_ROUTE:
            return self.store(environ, start_response)
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.method != "POST":
            return _json({"code": "rest_no_route", "data": {"status": 404}}, 404)
        if not self.challenge:
            message = "No activation is under way on this site."
            return _json({"code": "wooxero_bridge_no_activation", "message": message}, 404)
        body = request.get_json(silent=True)
        nonce = body.get("nonce") if isinstance(body, dict) else None
        if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
            return _json({"code": "rest_invalid_param", "message": "Invalid parameter: nonce"}, 400)
        proof = hmac.new(self.challenge.encode(), nonce.encode(), hashlib.sha256).hexdigest()
        return _json({"proof": proof}, 200)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def serve_site() -> tuple[RunningStore, ChallengeRoute]:
    """The demo shop served on a free loopback port, and its challenge route."""
    app = create_app(store_config())
    route = ChallengeRoute(app.wsgi_app)
    app.wsgi_app = route  # type: ignore[method-assign]
    return RunningStore(app, Sandbox.of(app), "127.0.0.1", 0), route
