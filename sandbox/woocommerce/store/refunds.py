"""``wc_create_refund``: partial or full refunds, with or without line items.

Sourced: the amount defaults to the sum of the refunded lines and taxes; more than what is left
to refund is "Invalid refund amount."; refund lines copy the order line with negative values
and ``_refunded_item_id`` meta; ``api_refund`` asks the gateway, which must support refunds;
a refund that leaves nothing to refund marks the order ``refunded``; the order is saved
(``woocommerce_order_refunded`` → order.updated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ..php.money import ZERO, round_dp
from . import orders
from .database import Store
from .models import LineItem, Order, Refund


class RefundError(Exception):
    """A refund WooCommerce would refuse; the message is WooCommerce's."""


@dataclass
class RefundLine:
    """What to refund of one order line: quantity, amount (excl. tax) and tax per rate id."""

    item_id: int
    quantity: int = 0
    refund_total: Decimal = ZERO
    refund_tax: dict[int, Decimal] = field(default_factory=dict)


def refunded_total(store: Store, order: Order) -> Decimal:
    """What has been refunded so far."""
    return sum((store.refunds[i].amount for i in order.refund_ids), ZERO)


def create_refund(
    store: Store,
    order: Order,
    amount: Decimal | None,
    reason: str,
    lines: list[RefundLine],
    api_refund: bool,
    refunded_by: int,
    when: datetime | None = None,
) -> Refund:
    """Refund part or all of an order (``when`` defaults to now)."""
    dp = store.config.decimals
    items = {i.id: i for i in order.line_items}
    for line in lines:
        if line.item_id not in items:
            raise RefundError("Invalid line item ID.")
    if amount is None:
        amount = sum((r.refund_total + sum(r.refund_tax.values(), ZERO) for r in lines), ZERO)
    amount = round_dp(amount, dp)
    remaining = order.total - refunded_total(store, order)
    if amount > remaining or amount < 0:
        raise RefundError("Invalid refund amount.")
    if api_refund:
        gateway = next(
            (g for g in store.config.gateways if g.gateway_id == order.payment_method), None
        )
        if gateway is None:
            raise RefundError("The payment gateway for this order does not exist.")
        if not gateway.refunds:
            raise RefundError(
                "The payment gateway for this order does not support automatic refunds."
            )
    now = when or store.now()
    refund = Refund(store.next_post_id(), order.id, now, amount, reason, refunded_by, api_refund)
    for line in lines:
        source = items[line.item_id]
        taxes = {rate_id: -tax for rate_id, tax in line.refund_tax.items()}
        refund.line_items.append(
            LineItem(
                store.next_item_id(),
                source.name,
                source.product_id,
                source.variation_id,
                -line.quantity,
                source.tax_class,
                source.tax_status,
                -line.refund_total,
                -line.refund_total,
                dict(taxes),
                taxes,
                [store.meta("_refunded_item_id", str(source.id))],
            )
        )
    store.refunds[refund.id] = refund
    order.refund_ids.append(refund.id)
    if amount == remaining:
        orders.set_status(store, order, "refunded", now)
    orders.saved(store, order)
    order.date_modified = now
    return refund
