"""Applying a REST order body, as ``WC_REST_Orders_V2_Controller`` does on create and update.

Sourced: addresses, meta and item lists are applied first; a new line for a product gets
``wc_get_price_excluding_tax(product, qty)`` as subtotal and total; an existing line keeps its
totals unless they are sent (even when only the quantity changes); an item with ``id`` and
quantity 0 (or a null product/method/name) is removed; coupons are re-applied from
``coupon_lines``; then ``calculate_totals``; status last; after the save ``set_paid`` runs
``payment_complete`` when creating, or when updating an order that ``needs_payment`` (pending
or failed with a total above zero: ``set_paid`` leaves an on-hold order alone). Assumed: an
unknown product id is ``woocommerce_rest_invalid_product_id`` "Invalid product ID." (400).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ...php.money import ZERO, round_dp
from ...store import orders
from ...store.database import Store
from ...store.models import CouponLine, FeeLine, LineItem, Order, ShippingLine
from ...totals.calculator import recalculate
from ...totals.taxes import calc_tax, find_rates
from ..errors import RestError

ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
RECALCULATE_ON = (
    "billing",
    "shipping",
    "line_items",
    "shipping_lines",
    "fee_lines",
    "coupon_lines",
)
_PLAIN_FIELDS = (
    "parent_id",
    "currency",
    "customer_note",
    "payment_method",
    "payment_method_title",
    "transaction_id",
    "customer_ip_address",
    "customer_user_agent",
)


def _bad(code: str, message: str) -> RestError:
    return RestError(code, message, 400)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _bad("rest_invalid_param", f"Invalid parameter(s): {name}") from None


def price_excluding_tax(store: Store, product_id: int, quantity: int) -> Decimal:
    """``wc_get_price_excluding_tax``: shelf price times quantity, less base-location taxes."""
    product = store.products[product_id]
    line = Decimal(product.price or "0") * quantity
    if not store.config.prices_include_tax or product.tax_status != "taxable":
        return line
    rates = find_rates(store.config.tax_rates, product.tax_class, store.config.store_country, "")
    dp = store.config.decimals
    taxes = sum((round_dp(t, dp) for t in calc_tax(line, rates, True).values()), ZERO)
    return round_dp(line - taxes, dp)


def apply(store: Store, order: Order, body: dict[str, Any], creating: bool) -> bool:
    """Apply ``body`` to ``order``; returns whether ``set_paid`` asks for payment."""
    for kind in ("billing", "shipping"):
        if isinstance(body.get(kind), dict):
            _address(getattr(order, kind), body[kind], kind)
    for name in _PLAIN_FIELDS:
        if body.get(name) is not None:
            setattr(order, name, int(body[name]) if name == "parent_id" else str(body[name]))
    customer_id = body.get("customer_id")
    if customer_id is not None:
        if int(customer_id) != 0 and int(customer_id) not in store.customers:
            raise _bad("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
        order.customer_id = int(customer_id)
    _items(store, order, body.get("line_items"), _line_item)
    _items(store, order, body.get("shipping_lines"), _shipping_line)
    _items(store, order, body.get("fee_lines"), _fee_line)
    _meta(store, order, body.get("meta_data"))
    if isinstance(body.get("coupon_lines"), list):
        _coupons(store, order, body["coupon_lines"])
    if creating or any(k in body for k in RECALCULATE_ON):
        coupons = [store.coupons[c.code] for c in order.coupon_lines if c.code in store.coupons]
        recalculate(order, coupons, store.tax_context())
    if body.get("status"):
        orders.set_status(store, order, str(body["status"]))
    return body.get("set_paid") is True


def _address(target: dict[str, str], values: dict[str, Any], kind: str) -> None:
    for key, value in values.items():
        if key not in target or value is None:
            continue
        text = str(value)
        if (
            kind == "billing"
            and key == "email"
            and text
            and ("@" not in text or "." not in text.split("@")[-1])
        ):
            raise RestError("order_invalid_billing_email", "Invalid billing email address", 400)
        target[key] = text


def _items(store: Store, order: Order, posted: Any, setter: Any) -> None:
    if not isinstance(posted, list):
        return
    for entry in posted:
        if isinstance(entry, dict):
            setter(store, order, entry)


def _removal(entry: dict[str, Any], reference: str) -> bool:
    if not entry.get("id"):
        return False
    quantity = entry.get("quantity")
    return (quantity is not None and int(quantity) == 0) or (
        reference in entry and entry[reference] is None
    )


def _find(lines: list[Any], item_id: int, kind: str) -> Any:
    for line in lines:
        if line.id == item_id:
            return line
    raise _bad(f"woocommerce_rest_invalid_{kind}_id", "Invalid item ID.")


def _line_item(store: Store, order: Order, entry: dict[str, Any]) -> None:
    if _removal(entry, "product_id"):
        order.line_items = [i for i in order.line_items if i.id != int(entry["id"])]
        return
    product_ref = int(entry.get("variation_id") or entry.get("product_id") or 0)
    if entry.get("sku"):
        product_ref = next((p.id for p in store.products.values() if p.sku == entry["sku"]), 0)
    if entry.get("id"):
        item = _find(order.line_items, int(entry["id"]), "line_item")
    else:
        if not product_ref:
            raise _bad(
                "woocommerce_rest_required_product_reference", "Product ID or SKU is required."
            )
        item = LineItem(store.next_item_id(), "", 0, 0, int(entry.get("quantity") or 1))
        order.line_items.append(item)
    if product_ref and product_ref != (item.variation_id or item.product_id):
        product = store.products.get(product_ref)
        if product is None:
            raise _bad("woocommerce_rest_invalid_product_id", "Invalid product ID.")
        parent = store.products.get(product.parent_id)
        item.product_id = parent.id if parent else product.id
        item.variation_id = product.id if parent else 0
        item.name = _variation_name(product, parent)
        item.tax_class = product.tax_class
        item.tax_status = product.tax_status
        if not entry.get("id"):
            total = price_excluding_tax(store, product.id, item.quantity)
            item.subtotal = item.total = total
    for name in ("name", "tax_class"):
        if entry.get(name) is not None:
            setattr(item, name, str(entry[name]))
    if entry.get("quantity") is not None:
        item.quantity = int(entry["quantity"])
    for name in ("subtotal", "total"):
        if entry.get(name) is not None:
            setattr(item, name, _decimal(entry[name], name))
    _item_meta(store, item.meta, entry.get("meta_data"))


def _variation_name(product: Any, parent: Any) -> str:
    if parent is None:
        return product.name
    options = ", ".join(a["option"] for a in product.attributes)
    return f"{parent.name} - {options}" if options else parent.name


def _shipping_line(store: Store, order: Order, entry: dict[str, Any]) -> None:
    if _removal(entry, "method_id"):
        order.shipping_lines = [s for s in order.shipping_lines if s.id != int(entry["id"])]
        return
    if entry.get("id"):
        line = _find(order.shipping_lines, int(entry["id"]), "shipping")
    else:
        if not entry.get("method_id"):
            raise _bad("woocommerce_rest_invalid_shipping_item", "Shipping method ID is required.")
        line = ShippingLine(store.next_item_id(), "", "", "", ZERO)
        order.shipping_lines.append(line)
    for name in ("method_id", "method_title", "instance_id"):
        if entry.get(name) is not None:
            setattr(line, name, str(entry[name]))
    if entry.get("total") is not None:
        line.total = _decimal(entry["total"], "total")
    _item_meta(store, line.meta, entry.get("meta_data"))


def _fee_line(store: Store, order: Order, entry: dict[str, Any]) -> None:
    if _removal(entry, "name"):
        order.fee_lines = [f for f in order.fee_lines if f.id != int(entry["id"])]
        return
    if entry.get("id"):
        line = _find(order.fee_lines, int(entry["id"]), "fee")
    else:
        if not entry.get("name"):
            raise _bad("woocommerce_rest_invalid_fee_item", "Fee name is required.")
        line = FeeLine(store.next_item_id(), "", "", ZERO)
        order.fee_lines.append(line)
    for name in ("name", "tax_class", "tax_status"):
        if entry.get(name) is not None:
            setattr(line, name, str(entry[name]))
    if entry.get("total") is not None:
        line.total = _decimal(entry["total"], "total")
    _item_meta(store, line.meta, entry.get("meta_data"))


def _coupons(store: Store, order: Order, posted: list[Any]) -> None:
    order.coupon_lines = []
    for entry in posted:
        if not isinstance(entry, dict) or entry.get("id"):
            continue
        code = str(entry.get("code") or "").strip().lower()
        if not code:
            raise _bad("woocommerce_rest_invalid_coupon", "Coupon code is required.")
        if code not in store.coupons:
            raise _bad("woocommerce_rest_invalid_coupon", f'Coupon "{code}" does not exist!')
        order.coupon_lines.append(CouponLine(store.next_item_id(), code))


def _meta(store: Store, order: Order, posted: Any) -> None:
    _item_meta(store, order.meta, posted)


def _item_meta(store: Store, rows: list[Any], posted: Any) -> None:
    if not isinstance(posted, list):
        return
    for entry in posted:
        if not isinstance(entry, dict) or "key" not in entry:
            continue
        value = entry.get("value")
        target = next(
            (
                m
                for m in rows
                if (entry.get("id") and m.id == int(entry["id"])) or m.key == entry["key"]
            ),
            None,
        )
        if target is None:
            rows.append(store.meta(str(entry["key"]), value))
        else:
            target.key, target.value = str(entry["key"]), value
