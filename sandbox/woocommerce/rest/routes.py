"""Every REST route of the sandbox, in WordPress's registration order."""

from __future__ import annotations

from .endpoints import (
    customers_api,
    order_children_api,
    orders_api,
    products_api,
    settings_api,
    webhooks_api,
)
from .router import Router


def build_router() -> Router:
    """A router with all routes registered."""
    router = Router()
    for module in (
        settings_api,
        orders_api,
        order_children_api,
        customers_api,
        products_api,
        webhooks_api,
    ):
        module.register(router)
    return router
