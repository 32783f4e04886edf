"""``wc_create_refund`` as WooCommerce 7.4 has it (``wc-order-functions.php``).

Sourced:

* an amount below zero or above what is left to refund (``get_remaining_refund_amount``: the
  total less the refunds, to the store's decimals) is "Invalid refund amount.";
* the order's product, fee and shipping items named in ``line_items`` are copied in that
  order (``get_items( array( 'line_item', 'fee', 'shipping' ) )``; other ids are ignored, an
  entry with no quantity, amount or tax is skipped). A copy keeps the item's props (name,
  product, tax class, method, a fee's ``amount``) and gets ``_refunded_item_id`` meta, the
  only meta it is saved with; ``total`` and ``subtotal`` are ``wc_format_refund_total`` of
  ``refund_total`` (negated when positive), ``taxes`` (total and subtotal) the same per rate,
  ``quantity`` is ``-qty``. 7.4 drops zero tax amounts (``array_filter``; #27118 came later);
* ``update_taxes`` gives the refund one tax line per rate, like an order's;
* ``refund_payment`` asks the gateway after the refund is saved: a gateway that is missing or
  cannot refund gets the refund deleted (its post id is spent) and the error returned, before
  any hook;
* a refund that leaves something to refund (or a free item not refunded) is partial: the
  order is not saved, so its ``date_modified`` stays (until 7.6, PR #37047); otherwise
  ``update_status('refunded')`` saves it;
* hooks, in order: ``woocommerce_order_partially_refunded`` or ``…_fully_refunded`` (order
  id; the status change follows the latter), ``woocommerce_refund_created`` (refund id),
  ``woocommerce_order_refunded`` (order id). ``order.updated`` listens to the last one and to
  the save, and ``WC_Webhook::process`` queues an order once per request: so every refund
  queues exactly one ``order.updated``, and a partial one carries the unchanged
  ``date_modified`` with new ``refunds``.

Not modelled: restocking (the sandbox reduces no stock), the gateway's own notes and meta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ..php.money import ZERO, round_dp
from ..totals.calculator import rate_totals, tax_lines
from . import orders
from .database import Store
from .models import FeeLine, LineItem, Order, Refund, ShippingLine


class RefundError(Exception):
    """A refund WooCommerce refuses; the message is WooCommerce's."""


@dataclass
class RefundLine:
    """What to refund of one order item (product, fee or shipping): quantity, amount excluding
    tax and tax per rate id, as ``wc_create_refund``'s ``line_items[item_id]`` has them."""

    item_id: int
    quantity: int = 0
    refund_total: Decimal = ZERO
    refund_tax: dict[int, Decimal] = field(default_factory=dict)

    @property
    def with_tax(self) -> Decimal:
        """The amount and its taxes: what the line adds to the refund's amount."""
        return self.refund_total + sum(self.refund_tax.values(), ZERO)


def refunded_total(store: Store, order: Order) -> Decimal:
    """``get_total_refunded``: the refunds' amounts."""
    return sum((store.refunds[i].amount for i in order.refund_ids), ZERO)


def remaining_amount(store: Store, order: Order) -> Decimal:
    """``get_remaining_refund_amount``."""
    return round_dp(order.total - refunded_total(store, order), store.config.decimals)


def gateway_problem(store: Store, order: Order) -> str:
    """Why ``wc_refund_payment`` fails for the order's gateway ('' when it can refund)."""
    gateway = next((g for g in store.config.gateways if g.gateway_id == order.payment_method), None)
    if gateway is None:
        return "The payment gateway for this order does not exist."
    if not gateway.refunds:
        return "The payment gateway for this order does not support automatic refunds."
    return ""


def create_refund(
    store: Store,
    order: Order,
    amount: Decimal,
    reason: str,
    lines: list[RefundLine],
    api_refund: bool,
    refunded_by: int,
    when: datetime | None = None,
) -> Refund:
    """Refund part or all of an order (``when`` defaults to now; see the module's notes)."""
    remaining = remaining_amount(store, order)
    if amount < 0 or amount > remaining:
        raise RefundError("Invalid refund amount.")
    moment = when or store.now()
    refund = Refund(store.next_post_id(), order.id, moment, amount, reason, refunded_by, False)
    count = _copy_items(store, order, refund, {line.item_id: line for line in lines})
    ctx = store.tax_context()
    cart = rate_totals([*refund.line_items, *refund.fee_lines], ctx.dp)
    refund.tax_lines = tax_lines([], ctx, cart, rate_totals(refund.shipping_lines, ctx.dp))
    if api_refund:
        problem = gateway_problem(store, order)
        if problem:
            raise RefundError(problem)
        refund.refunded_payment = True
    left_items = _item_count(order) - _refunded_item_count(store, order) - count
    store.refunds[refund.id] = refund
    order.refund_ids.append(refund.id)
    if remaining - amount > 0 or (_has_free_item(order) and left_items > 0):
        store.emit("action", "woocommerce_order_partially_refunded", order.id)
        saved = False
    else:
        store.emit("action", "woocommerce_order_fully_refunded", order.id)
        orders.set_status(store, order, "refunded", moment)
        orders.saved(store, order, when=when)
        saved = True
    store.emit("action", "woocommerce_refund_created", refund.id)
    if not saved:
        store.emit("order", "updated", order.id)
    store.emit("action", "woocommerce_order_refunded", order.id)
    return refund


def portion(
    item: LineItem | FeeLine | ShippingLine, dp: int, part: int, whole: int, quantity: int = 0
) -> RefundLine:
    """``part``/``whole`` of an item's total and of each of its taxes, each rounded to ``dp``
    as the order screen fills them in, refunding ``quantity`` units."""

    def cut(amount: Decimal) -> Decimal:
        return round_dp(amount * part / whole, dp)

    return RefundLine(
        item.id, quantity, cut(item.total), {rate: cut(tax) for rate, tax in item.taxes.items()}
    )


def refund_total(value: Decimal) -> Decimal:
    """``wc_format_refund_total``: negated unless already negative."""
    return -value if value > 0 else value


def _copy_items(store: Store, order: Order, refund: Refund, wanted: dict[int, RefundLine]) -> int:
    """Add the refunded copies of the order's items; the quantity refunded."""
    count = 0
    for item in [*order.line_items, *order.fee_lines, *order.shipping_lines]:
        line = wanted.get(item.id)
        if line is None or not (line.quantity or line.refund_total or line.refund_tax):
            continue
        total = refund_total(line.refund_total)
        taxes = {rate: refund_total(tax) for rate, tax in line.refund_tax.items() if tax}
        meta = [store.meta("_refunded_item_id", str(item.id))]
        if isinstance(item, LineItem):
            refund.line_items.append(
                LineItem(
                    store.next_item_id(),
                    item.name,
                    item.product_id,
                    item.variation_id,
                    -line.quantity,
                    item.tax_class,
                    item.tax_status,
                    total,
                    total,
                    dict(taxes),
                    taxes,
                    meta,
                )
            )
        elif isinstance(item, FeeLine):
            refund.fee_lines.append(
                FeeLine(
                    store.next_item_id(),
                    item.name,
                    item.amount,
                    total,
                    item.tax_class,
                    item.tax_status,
                    taxes,
                    meta,
                )
            )
        else:
            refund.shipping_lines.append(
                ShippingLine(
                    store.next_item_id(),
                    item.method_title,
                    item.method_id,
                    item.instance_id,
                    total,
                    taxes,
                    meta,
                )
            )
        count += line.quantity
    return count


def _item_count(order: Order) -> int:
    """``get_item_count``: the quantities of the product lines."""
    return sum(i.quantity for i in order.line_items)


def _refunded_item_count(store: Store, order: Order) -> int:
    """``get_item_count_refunded``."""
    return sum(abs(i.quantity) for r in order.refund_ids for i in store.refunds[r].line_items)


def _has_free_item(order: Order) -> bool:
    """``has_free_item``: a product line with a zero total."""
    return any(not i.total for i in order.line_items)
