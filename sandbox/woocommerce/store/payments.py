"""Payments: what the store's gateways do at checkout, and ``WC_Order::payment_complete``.

An order counts as paid when WooCommerce sets ``date_paid`` (``orders.set_status`` holds the
rule). Sourced, WooCommerce 7.4:

* ``WC_Order::payment_complete($transaction_id)``: only from on-hold, pending, failed or
  cancelled; keeps the transaction id, sets ``date_paid`` if unset, moves the order to
  ``woocommerce_payment_complete_order_status`` and saves it, then fires
  ``woocommerce_payment_complete`` (order id); from any other status it changes nothing.
* ``WC_Gateway_BACS::process_payment`` / ``WC_Gateway_Cheque::process_payment``: on-hold with
  "Awaiting BACS payment" / "Awaiting check payment" (unpaid until someone marks the order
  processing or completed); a free order is ``payment_complete``.
* ``WC_Gateway_COD::process_payment``: processing ("Payment to be made upon delivery."), or
  on-hold when the order has a downloadable item; the gateway also filters the payment
  complete status to completed, so a COD order stays unpaid while processing and is paid
  when it is completed.
* Card gateways (Stripe, PayPal): the charge succeeds and the gateway calls
  ``payment_complete`` with the charge id. Assumed: the sandbox's shoppers always pay.
"""

from __future__ import annotations

import random
import string
from datetime import datetime

from . import orders
from .database import Store
from .models import Order

PAYABLE_STATUSES = ("on-hold", "pending", "failed", "cancelled")
"""``woocommerce_valid_order_statuses_for_payment_complete``."""
OFFLINE_NOTES = {
    "bacs": "Awaiting BACS payment",
    "cheque": "Awaiting check payment",
}
COD_NOTE = "Payment to be made upon delivery."


def transaction_id(rng: random.Random, gateway: str) -> str:
    """The charge id a card gateway hands ``payment_complete`` ('' for offline gateways)."""
    if gateway in (*OFFLINE_NOTES, "cod"):
        return ""
    alphabet = string.ascii_letters + string.digits
    return "ch_" + "".join(rng.choice(alphabet) for _ in range(24))


def payment_complete(
    store: Store, order: Order, transaction_id: str = "", when: datetime | None = None
) -> bool:
    """``WC_Order::payment_complete``; whether the order was payable (and so saved)."""
    if order.status not in PAYABLE_STATUSES:
        return False
    moment = when or store.now()
    if transaction_id:
        order.transaction_id = transaction_id
    if order.date_paid is None:
        order.date_paid = moment
    orders.set_status(store, order, orders.payment_complete_status(store, order), moment)
    orders.saved(store, order, when=when)
    store.emit("action", "woocommerce_payment_complete", order.id)
    return True


def has_downloadable_item(store: Store, order: Order) -> bool:
    """``WC_Order::has_downloadable_item``."""
    for item in order.line_items:
        product = store.products.get(item.variation_id or item.product_id)
        if product is not None and product.downloadable:
            return True
    return False


def process_payment(
    store: Store, order: Order, transaction_id: str = "", when: datetime | None = None
) -> None:
    """The order's gateway's ``process_payment`` at checkout (see the module's notes)."""
    gateway = order.payment_method
    if order.total <= 0 or gateway not in (*OFFLINE_NOTES, "cod"):
        payment_complete(store, order, transaction_id, when)
        return
    if gateway == "cod":
        status = "on-hold" if has_downloadable_item(store, order) else "processing"
        orders.set_status(store, order, status, when, COD_NOTE)
    else:
        orders.set_status(store, order, "on-hold", when, OFFLINE_NOTES[gateway])
    orders.saved(store, order, when=when)
