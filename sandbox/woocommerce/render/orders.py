"""Orders, refunds and order notes as ``/wc/v3`` returns them (WooCommerce 7.4 field order).

Sourced: ``WC_REST_Orders_V2_Controller::get_formatted_item_data`` / ``get_order_item_data``
and a real 5.6 response: base data first, ``number``, ``meta_data``, the item lists,
``refunds``, then (6.6+) ``payment_url, is_editable, needs_payment, needs_processing``, the
``*_gmt`` dates and ``currency_symbol``. Item ``taxes`` values are the stored unrounded
strings; ``price`` is ``total / quantity`` as a PHP number (current code: so a refund line
of -1 x -15.22 has price 15.22; the 3.x docs sample, using ``max(1, qty)``, shows -9 for
such a line; which one 7.4 does is assumed to be the current one); ``image`` (6.6+) and
``parent_name`` follow ``price``. Assumed for 7.4: coupon lines carry no ``discount_type``,
``nominal_amount`` or ``free_shipping`` (added later) and no ``coupon_data`` meta.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..php import dates
from ..php.money import php_number, plain
from ..store import orders
from ..store.models import CouponLine, FeeLine, LineItem, Note, Order, Refund, ShippingLine, TaxLine
from .view import CURRENCY_SYMBOLS, View, href, item_meta_rows, meta_rows

EDITABLE = ("pending", "on-hold", "auto-draft")


def _taxes(taxes: dict[int, Decimal], subtotals: dict[int, Decimal] | None) -> list[dict[str, Any]]:
    return [
        {
            "id": rate_id,
            "total": plain(amount),
            "subtotal": plain(subtotals[rate_id]) if subtotals and rate_id in subtotals else "",
        }
        for rate_id, amount in taxes.items()
    ]


def line_item(view: View, item: LineItem) -> dict[str, Any]:
    """A product line of an order or a refund."""
    products = view.store.products
    product = products.get(item.variation_id or item.product_id)
    parent = products.get(product.parent_id) if product and product.parent_id else None
    sku = None if product is None else (product.sku or (parent.sku if parent else ""))
    image_id = 0 if product is None else (product.image_id or (parent.image_id if parent else 0))
    total = Decimal(plain(item.total))
    return {
        "id": item.id,
        "name": item.name,
        "product_id": item.product_id,
        "variation_id": item.variation_id,
        "quantity": item.quantity,
        "tax_class": item.tax_class,
        "subtotal": view.money(item.subtotal),
        "subtotal_tax": view.money(view.store.tax_context().rounded(item.subtotal_taxes)),
        "total": view.money(item.total),
        "total_tax": view.money(view.store.tax_context().rounded(item.taxes)),
        "taxes": _taxes(item.taxes, item.subtotal_taxes),
        "meta_data": item_meta_rows(item.meta),
        "sku": sku,
        "price": php_number(total / item.quantity) if item.quantity else 0,
        "image": {"id": image_id, "src": image_src(view, image_id)},
        "parent_name": parent.name if parent else None,
    }


def image_src(view: View, image_id: int) -> str:
    """The URL of an attachment id ('' for none)."""
    return f"{view.home}wp-content/uploads/2023/01/product-{image_id}.jpg" if image_id else ""


def _tax_line(view: View, line: TaxLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "rate_code": line.rate_code,
        "rate_id": line.rate_id,
        "label": line.label,
        "compound": line.compound,
        "tax_total": view.money(line.tax_total),
        "shipping_tax_total": view.money(line.shipping_tax_total),
        "rate_percent": php_number(line.rate_percent),
        "meta_data": item_meta_rows(line.meta),
    }


def _totals_and_meta(view: View, line: ShippingLine | FeeLine) -> dict[str, Any]:
    """The fields a shipping and a fee line end with, in this order."""
    return {
        "total": view.money(line.total),
        "total_tax": view.money(view.store.tax_context().rounded(line.taxes)),
        "taxes": _taxes(line.taxes, None),
        "meta_data": item_meta_rows(line.meta),
    }


def _shipping_line(view: View, line: ShippingLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "method_title": line.method_title,
        "method_id": line.method_id,
        "instance_id": line.instance_id,
        **_totals_and_meta(view, line),
    }


def _fee_line(view: View, line: FeeLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "name": line.name,
        "tax_class": line.tax_class,
        "tax_status": line.tax_status,
        "amount": line.amount,
        **_totals_and_meta(view, line),
    }


def _coupon_line(view: View, line: CouponLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "code": line.code,
        "discount": view.money(line.discount),
        "discount_tax": view.money(line.discount_tax),
        "meta_data": item_meta_rows(line.meta),
    }


def order(view: View, record: Order) -> dict[str, Any]:
    """The REST representation of an order."""
    refunds = [view.store.refunds[i] for i in reversed(record.refund_ids)]
    data: dict[str, Any] = {
        "id": record.id,
        "parent_id": record.parent_id,
        "status": record.status,
        "currency": record.currency,
        "version": record.version,
        "prices_include_tax": record.prices_include_tax,
        "date_created": view.local(record.date_created),
        "date_modified": view.local(record.date_modified),
        "discount_total": view.money(record.discount_total),
        "discount_tax": view.money(record.discount_tax),
        "shipping_total": view.money(record.shipping_total),
        "shipping_tax": view.money(record.shipping_tax),
        "cart_tax": view.money(record.cart_tax),
        "total": view.money(record.total),
        "total_tax": view.money(record.total_tax),
        "customer_id": record.customer_id,
        "order_key": record.order_key,
        "billing": dict(record.billing),
        "shipping": dict(record.shipping),
        "payment_method": record.payment_method,
        "payment_method_title": record.payment_method_title,
        "transaction_id": record.transaction_id,
        "customer_ip_address": record.customer_ip_address,
        "customer_user_agent": record.customer_user_agent,
        "created_via": record.created_via,
        "customer_note": record.customer_note,
        "date_completed": view.local(record.date_completed),
        "date_paid": view.local(record.date_paid),
        "cart_hash": record.cart_hash,
        "number": record.number,
        "meta_data": meta_rows(record.meta),
        "line_items": [line_item(view, i) for i in record.line_items],
        "tax_lines": [_tax_line(view, t) for t in record.tax_lines],
        "shipping_lines": [_shipping_line(view, s) for s in record.shipping_lines],
        "fee_lines": [_fee_line(view, f) for f in record.fee_lines],
        "coupon_lines": [_coupon_line(view, c) for c in record.coupon_lines],
        "refunds": [
            {"id": r.id, "reason": r.reason, "total": "-" + view.money(r.amount)} for r in refunds
        ],
        "payment_url": (
            f"{view.home}checkout/order-pay/{record.id}/?pay_for_order=true&key={record.order_key}"
        ),
        "is_editable": record.status in EDITABLE,
        "needs_payment": orders.needs_payment(record),
        "needs_processing": orders.needs_processing(view.store, record),
        "date_created_gmt": dates.gmt(record.date_created),
        "date_modified_gmt": dates.gmt(record.date_modified),
        "date_completed_gmt": dates.gmt(record.date_completed),
        "date_paid_gmt": dates.gmt(record.date_paid),
        "currency_symbol": CURRENCY_SYMBOLS.get(record.currency, record.currency),
    }
    links = {
        "self": href(view.url(f"/orders/{record.id}")),
        "collection": href(view.url("/orders")),
    }
    if record.customer_id:
        links["customer"] = href(view.url(f"/customers/{record.customer_id}"))
    if record.parent_id:
        links["up"] = href(view.url(f"/orders/{record.parent_id}"))
    data["_links"] = links
    return data


def refund(view: View, record: Refund) -> dict[str, Any]:
    """The REST representation of a refund (``/orders/<id>/refunds/<refund_id>``):
    ``WC_REST_Order_Refunds_V2_Controller::get_formatted_item_data``, whose items are
    rendered like an order's; ``shipping_lines``, ``tax_lines`` and ``fee_lines`` were added
    by PR #28241 (November 2020), after the docs' 3.x sample. No ``refund_total``: it is a
    write-only request field (schema context ``edit``)."""
    base = f"/orders/{record.parent_id}"
    return {
        "id": record.id,
        "date_created": view.local(record.date_created),
        "date_created_gmt": dates.gmt(record.date_created),
        "amount": view.money(record.amount),
        "reason": record.reason,
        "refunded_by": record.refunded_by,
        "refunded_payment": record.refunded_payment,
        "meta_data": meta_rows(record.meta),
        "line_items": [line_item(view, i) for i in record.line_items],
        "shipping_lines": [_shipping_line(view, s) for s in record.shipping_lines],
        "tax_lines": [_tax_line(view, t) for t in record.tax_lines],
        "fee_lines": [_fee_line(view, f) for f in record.fee_lines],
        "_links": {
            "self": href(view.url(f"{base}/refunds/{record.id}")),
            "collection": href(view.url(f"{base}/refunds")),
            "up": href(view.url(base)),
        },
    }


def note(view: View, record: Note) -> dict[str, Any]:
    """The REST representation of an order note."""
    base = f"/orders/{record.order_id}"
    return {
        "id": record.id,
        "author": record.author,
        "date_created": view.local(record.date_created),
        "date_created_gmt": dates.gmt(record.date_created),
        "note": record.content,
        "customer_note": record.customer_note,
        "_links": {
            "self": href(view.url(f"{base}/notes/{record.id}")),
            "collection": href(view.url(f"{base}/notes")),
            "up": href(view.url(base)),
        },
    }
