"""Realistic store activity for ``/_sandbox``: what shoppers and shop managers do.

Every change goes through the same code as the REST API, so it stamps ``date_modified`` and
fires the topics a real store fires.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from ..totals.calculator import recalculate
from . import orders, payments
from .database import ADMIN_USER_ID, Store
from .models import Order
from .refund_paths import BY_PATH, REFUND_PATHS, as_request
from .refunds import RefundError, portion
from .seed import Basket, checkout

NEXT_STATUS = {
    "pending": "processing",
    "on-hold": "processing",
    "processing": "completed",
    "failed": "pending",
}


class ActivityError(ValueError):
    """A change that cannot be made."""


def place_order(store: Store, rng: random.Random, spec: dict[str, Any]) -> Order:
    """A shopper checks out (``order.created``) and the order's gateway takes it from there
    (``payments.process_payment``: card gateways are paid, BACS and cheque wait on-hold,
    COD is processing but unpaid); a ``status`` instead puts the order straight in that
    status, as a shop manager would."""
    cfg = store.config
    products = [
        p for p in store.products.values() if p.status == "publish" and p.type != "variable"
    ]
    lines = []
    for line in spec.get("lines") or []:
        product = store.products.get(int(line["product_id"]))
        if product is None or product.type == "variable":
            raise ActivityError(f"no purchasable product {line['product_id']}")
        lines.append((product, int(line.get("quantity", 1))))
    if not lines:
        lines = [(p, rng.randint(1, 2)) for p in rng.sample(products, k=min(2, len(products)))]
    customer = store.customers.get(int(spec.get("customer_id") or 0))
    basket = Basket(lines, [str(c) for c in spec.get("coupons") or []])
    for code in basket.coupons:
        if code not in store.coupons:
            raise ActivityError(f"no coupon {code}")
    for fee in spec.get("fees") or []:
        tax_status = str(fee.get("tax_status") or "taxable")
        basket.fees.append((str(fee["name"]), Decimal(str(fee["total"])), tax_status))
    if spec.get("shipping", True):
        basket.shipping = (
            "Flat rate",
            "flat_rate",
            "1",
            Decimal(str(spec.get("shipping_cost", 8))),
        )
    gateway = str(spec.get("payment_method") or "stripe")
    inclusive = bool(spec.get("prices_include_tax", cfg.prices_include_tax))
    order = checkout(
        store,
        rng,
        store.now(),
        customer,
        basket,
        str(spec.get("currency") or cfg.currency),
        inclusive,
        gateway,
        str(spec.get("country") or ""),
        state=str(spec.get("state") or ""),
    )
    store.emit("order", "created", order.id)
    status = spec.get("status")
    if status is None:
        payments.process_payment(store, order, payments.transaction_id(rng, gateway))
    elif status != "pending":
        orders.set_status(store, order, str(status))
        orders.saved(store, order)
    return order


def change_order(store: Store, rng: random.Random, order: Order, change: dict[str, Any]) -> Order:
    """Apply one change: ``status``, ``pay``, ``edit``, ``refund``, ``meta``, ``trash``,
    ``restore`` or ``delete``."""
    kind = change.get("kind", "status")
    if kind == "pay":
        charge = change.get("transaction_id") or payments.transaction_id(rng, order.payment_method)
        if not payments.payment_complete(store, order, str(charge)):
            raise ActivityError(f"a {order.status} order cannot be paid")
    elif kind == "status":
        status = change.get("status") or NEXT_STATUS.get(order.status)
        if not status:
            raise ActivityError(f"no natural next status after {order.status}")
        orders.set_status(store, order, str(status))
        orders.saved(store, order)
    elif kind == "edit":
        _edit(store, order, change)
    elif kind == "refund":
        _refund(store, order, change)
    elif kind == "meta":
        key, value = str(change.get("key", "_sandbox_note")), change.get("value", rng.random())
        existing = next((m for m in order.meta if m.key == key), None)
        if existing is None:
            order.meta.append(store.meta(key, value))
        else:
            existing.value = value
        orders.saved(store, order)
    elif kind == "trash":
        orders.trash(store, order)
    elif kind == "restore":
        if order.status != "trash":
            raise ActivityError("the order is not in the trash")
        orders.untrash(store, order)
    elif kind == "delete":
        orders.delete(store, order)
    else:
        raise ActivityError(f"unknown change {kind}")
    return order


def _edit(store: Store, order: Order, change: dict[str, Any]) -> None:
    """A shop manager changes a quantity and clicks "Recalculate"."""
    if not order.line_items:
        raise ActivityError("the order has no lines")
    item = order.line_items[0]
    quantity = int(change.get("quantity", item.quantity + 1))
    if quantity < 1:
        raise ActivityError("quantity must be at least 1")
    unit_subtotal, unit_total = item.subtotal / item.quantity, item.total / item.quantity
    item.quantity = quantity
    item.subtotal, item.total = unit_subtotal * quantity, unit_total * quantity
    if change.get("customer_note") is not None:
        order.customer_note = str(change["customer_note"])
    coupons = [store.coupons[c.code] for c in order.coupon_lines if c.code in store.coupons]
    recalculate(order, coupons, store.tax_context())
    orders.saved(store, order)


def _refund(store: Store, order: Order, change: dict[str, Any]) -> None:
    """A refund along the path ``via`` names (``refund_paths``; the admin's by default), with
    its ``amount``, ``line_items``, ``reason``, ``api_refund``; without an amount or lines,
    one unit of the first line with its taxes ("Returned item")."""
    via = str(change.get("via") or "admin")
    if via not in BY_PATH:
        raise ActivityError(f"via must be one of {', '.join(REFUND_PATHS)}")
    body = dict(change)
    if body.get("amount") is None and not body.get("line_items"):
        if not order.line_items:
            raise ActivityError("the order has no lines")
        item, dp = order.line_items[0], store.config.decimals
        body["line_items"] = [as_request(portion(item, dp, 1, item.quantity, 1))]
        body.setdefault("reason", "Returned item")
    try:
        BY_PATH[via](store, order, body, ADMIN_USER_ID)
    except RefundError as error:
        raise ActivityError(str(error)) from None
