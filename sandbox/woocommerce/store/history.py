"""What happens to a generated order after checkout: payment, status moves and refunds.

Each order carries the status it should end in (``_target_status``). Its gateway takes the
payment as ``payments.process_payment`` does (card orders are paid at once, BACS orders wait
on-hold, COD orders are processing but unpaid), a shop manager then moves it on (BACS paid
when marked processing, COD when completed), and some are refunded: a ``refunded`` order in
full, half of the ``completed`` ones in part (one unit of the first line, or a fifth of the
total without lines). Orders with several taxes on an item are always refunded with lines,
taxes per rate and shipping: every item in full when ``refunded``, else one unit of the
first line with several taxes (or of the first line) and the shipping when ``completed``
(so with Prince Edward Island's rates every seed of nine orders or more has one: the ninth
is shipped there at a flat rate, with GST and compound PST on its shipping, and completed).
A partial refund leaves the order's ``date_modified`` as it was (``wc_create_refund``,
WooCommerce 7.4).
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from decimal import Decimal

from ..php.money import ZERO, round_dp
from . import orders, payments
from .database import ADMIN_USER_ID, Store
from .models import LineItem, Order
from .refunds import RefundLine, create_refund, portion, remaining_amount


def after_sale(store: Store, rng: random.Random, order: Order, anchor: datetime) -> None:
    """Pay, move and refund ``order`` towards its target status, no later than ``anchor``."""
    target = next(m for m in order.meta if m.key == "_target_status")
    order.meta.remove(target)
    status = str(target.value)
    last_note = next(reversed(store.notes), 0)
    moment = order.date_created + timedelta(minutes=rng.randint(1, 30))
    if status in ("processing", "completed", "refunded", "trash", "on-hold"):
        _pay(store, rng, order, moment)
    if status in ("completed", "refunded", "trash") or (
        status == "processing" and order.status == "on-hold"
    ):
        moment += timedelta(hours=rng.randint(2, 48))
        if order.status == "on-hold":
            orders.set_status(store, order, "processing", moment)
        if status != "processing":
            orders.set_status(store, order, "completed", moment + timedelta(hours=1))
    elif status in ("cancelled", "failed", "on-hold") and status != order.status:
        orders.set_status(store, order, status, moment)
    order.date_modified = max(order.date_modified, moment, *_notes_since(store, order, last_note))
    items = (*order.line_items, *order.fee_lines, *order.shipping_lines)
    plan = _refund_plan(rng, status, any(len(i.taxes) > 1 for i in items))
    if plan is not None:
        when = min(order.date_modified + timedelta(days=2), anchor)
        _refund(store, order, plan, when)
    if status == "trash":
        order.trashed_status, order.status = order.status, "trash"
    order.date_modified = min(order.date_modified, anchor)


def _notes_since(store: Store, order: Order, last_note: int) -> list[datetime]:
    """When the order's notes newer than note ``last_note`` were written. Notes are kept in the
    order they are added, so only the newest are read: scanning every note for every order
    made seeding grow with the square of the orders."""
    added = itertools.takewhile(lambda n: n.id > last_note, reversed(store.notes.values()))
    return [n.date_created for n in added if n.order_id == order.id]


def _pay(store: Store, rng: random.Random, order: Order, moment: datetime) -> None:
    """The gateway at checkout; Stripe charges get an id and Stripe's fee meta."""
    stripe = order.payment_method == "stripe"
    charge = payments.transaction_id(rng, "stripe") if stripe else ""
    payments.process_payment(store, order, charge, moment)
    if stripe:
        fee = round_dp(order.total * Decimal("0.029") + Decimal("0.3"), 2)
        order.meta.append(store.meta("_stripe_fee", str(fee)))


def _refund_plan(rng: random.Random, status: str, multi_rate: bool) -> str | None:
    """Which refund an order gets: ``all``, ``amount``, ``unit``, ``fifth``, ``unit+shipping``
    or none; ``multi_rate`` changes no random draw, so the other orders keep their data."""
    if status == "refunded":
        return "all" if multi_rate else "amount"
    if status != "completed":
        return None
    if rng.random() < 0.5:
        kind = "unit" if rng.random() < 0.5 else "fifth"
        return "unit+shipping" if multi_rate else kind
    return "unit+shipping" if multi_rate else None


def _refund(store: Store, order: Order, plan: str, when: datetime) -> None:
    dp = store.config.decimals
    lines: list[RefundLine] = []
    if plan in ("unit", "unit+shipping"):
        lines = _unit(store, order, plan == "unit+shipping")
        reason = "Damaged item, shipping refunded" if plan == "unit+shipping" else "Damaged item"
    elif plan == "all":
        lines = [portion(i, dp, 1, 1, i.quantity) for i in order.line_items]
        others = (*order.fee_lines, *order.shipping_lines)
        lines += [portion(i, dp, 1, 1) for i in others if i.total]
        reason = "Customer changed their mind"
    if plan == "amount":
        amount, reason = order.total, "Customer changed their mind"
    elif lines:
        amount = sum((line.with_tax for line in lines), ZERO)
    else:
        amount, reason = round_dp(order.total / 5, dp), "Late delivery"
    create_refund(store, order, amount, reason, lines, False, ADMIN_USER_ID, when)


def _unit(store: Store, order: Order, shipping: bool) -> list[RefundLine]:
    """One unit of a line (and the shipping), or, where that would leave nothing to refund,
    half the unit's price kept by the shopper (quantity 0); none if even that would: the
    refund stays partial."""
    dp = store.config.decimals
    item = _refunded_line(order)
    whole = [portion(item, dp, 1, item.quantity, 1)]
    whole += [portion(s, dp, 1, 1) for s in order.shipping_lines if shipping and s.total]
    left = remaining_amount(store, order)
    for lines in (whole, [portion(item, dp, 1, 2 * item.quantity)]):
        if sum((line.with_tax for line in lines), ZERO) < left:
            return lines
    return []


def _refunded_line(order: Order) -> LineItem:
    """The first line with several taxes, else the first line."""
    return next((i for i in order.line_items if len(i.taxes) > 1), order.line_items[0])
