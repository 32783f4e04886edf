"""A faithful test double of a WooCommerce 7.4 store: REST API v3, wc-auth and webhooks.

Use ``serve_in_thread(StoreConfig(...))`` in tests, ``create_app(config)`` for any WSGI
server, or ``python -m sandbox.woocommerce --port N`` from a shell.

Rooms, lowest first: ``php`` (amounts, dates and JSON as PHP writes them), ``totals`` (tax and
coupon arithmetic), ``store`` (records and the changes made to them), ``render`` (the ``wc/v3``
representations), then the HTTP faces: ``rest`` (``/wp-json``), ``webhooks`` (deliveries),
``wcauth`` (``/wc-auth``) and ``inspect_views`` (``/_sandbox``).
"""

from .app import create_app
from .config import PRINCE_EDWARD_ISLAND_RATES, GatewaySpec, StoreConfig, TaxRateSpec
from .server import RunningStore, serve_in_thread

__all__ = [
    "PRINCE_EDWARD_ISLAND_RATES",
    "GatewaySpec",
    "RunningStore",
    "StoreConfig",
    "TaxRateSpec",
    "create_app",
    "serve_in_thread",
]
