"""``WC_Webhook::build_payload``: what a delivery carries, built when it is sent.

Sourced: ``deleted`` events carry ``{"id": N}``; other resource events carry the current
``GET /wc/v3/<resource>s/<id>`` response including ``_links``; an ``action.<hook>`` topic
carries ``{"action": "<hook>", "arg": <the hook's first argument>}`` (``get_wp_api_payload``:
``WC_Webhook::enqueue`` hooks ``process`` with one accepted argument, so a second one, such
as the refund id of ``woocommerce_order_refunded``, is never sent). Inferred from the code
(not observed): when the REST request fails (e.g. the order was deleted for good) the body is
the REST error object. The action hooks the sandbox fires are listed in the README.
"""

from __future__ import annotations

from typing import Any

from ..render import orders as render_orders
from ..render import resources as render_resources
from ..render.view import View
from ..store.models import Webhook


def payload(view: View, webhook: Webhook, resource_id: int) -> Any:
    """The body of a delivery for ``resource_id``."""
    if webhook.event == "deleted":
        return {"id": resource_id}
    if webhook.resource == "action":
        return {"action": webhook.event, "arg": resource_id}
    store = view.store
    if webhook.resource == "order":
        order = store.orders.get(resource_id)
        if order is not None:
            return render_orders.order(view, order)
        return _invalid("woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    if webhook.resource == "customer":
        customer = store.customers.get(resource_id)
        if customer is not None:
            return render_resources.customer(view, customer)
        return _invalid("woocommerce_rest_invalid_id", "Invalid resource ID.")
    product = store.products.get(resource_id)
    if product is not None and not product.parent_id:
        return render_resources.product(view, product)
    if product is not None:
        return render_resources.variation(view, product, store.products[product.parent_id])
    return _invalid("woocommerce_rest_product_invalid_id", "Invalid ID.")


def _invalid(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": 404}}
