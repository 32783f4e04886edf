"""The three ways a refund reaches ``wc_create_refund``, each with its own defaults and checks.

Sourced, WooCommerce 7.4:

* ``admin`` — the order screen's refund button (``WC_AJAX::refund_line_items``): the amount
  is required ("Invalid refund amount", no full stop, when it is missing, negative or above
  what is left); the total already refunded the screen showed must still be the store's
  ("Error processing refund. Please try again."); quantities below zero count as zero, zero
  taxes are dropped; "Refund manually" unless ``api_refund``; refunded by the admin.
* ``rest`` — ``POST /orders/<id>/refunds`` (``WC_REST_Order_Refunds_Controller`` with
  ``RestApiUtil::adjust_create_refund_request_parameters``): ``api_refund`` and
  ``api_restock`` default to true, an empty reason is null (stored as ''), the amount
  defaults to what the lines add up to when every line has a numeric ``refund_total`` (and
  every tax one), else to nothing (0); a negative amount is refused first ("Refund amount must
  be greater than zero."); refunded by the key's user.
* ``function`` — code calling ``wc_create_refund( $args )`` (a gateway's webhook handler, a
  plugin, a cron job): ``amount`` 0 and ``refund_payment`` false unless given, refunded by
  the current user or 1 when there is none.

Every path then fires the same hooks (``refunds``), so every successful refund queues one
``order.updated``: the path decides the checks and defaults, not the deliveries. The control
API takes the REST API's ``line_items`` shape for all three paths.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ..php.money import ZERO, round_dp
from .database import ADMIN_USER_ID, Store
from .models import Order, Refund
from .refunds import RefundError, RefundLine, create_refund, refunded_total, remaining_amount

REFUND_PATHS = ("admin", "rest", "function")


class RefundAmountError(RefundError):
    """The REST API's own check on the amount (400, not 500)."""


def number(value: Any, name: str) -> Decimal:
    """A posted amount; ``ValueError`` names the parameter when it is not a number."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"Invalid parameter(s): {name}") from None


def request_lines(posted: Any) -> tuple[list[RefundLine], Decimal | None]:
    """REST ``line_items`` (``[{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]``)
    as ``wc_create_refund`` takes them, and the amount they add up to (None unless every line
    has a ``refund_total`` and every tax an amount: ``calculate_refund_amount_from_line_items``)."""
    lines: list[RefundLine] = []
    total: Decimal | None = ZERO
    for entry in posted if isinstance(posted, list) else []:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        taxes = _taxes(entry.get("refund_tax"))
        line = RefundLine(
            int(entry["id"]),
            int(entry.get("quantity") or 0),
            number(entry.get("refund_total") or 0, "refund_total"),
            taxes,
        )
        if entry.get("refund_total") is None or total is None:
            total = None
        else:
            total += line.with_tax
        lines.append(line)
    return lines, (total if lines else None)


def as_request(line: RefundLine) -> dict[str, Any]:
    """A line in the REST API's ``line_items`` shape (what ``request_lines`` reads)."""
    return {
        "id": line.item_id,
        "quantity": line.quantity,
        "refund_total": str(line.refund_total),
        "refund_tax": [{"id": r, "refund_total": str(t)} for r, t in line.refund_tax.items()],
    }


def _taxes(posted: Any) -> dict[int, Decimal]:
    """``refund_tax`` as a list of ``{id, refund_total}`` or already as rate id → amount."""
    if isinstance(posted, dict):
        return {int(k): number(v, "refund_tax") for k, v in posted.items()}
    return {
        int(t["id"]): number(t.get("refund_total", 0), "refund_tax")
        for t in posted or []
        if isinstance(t, dict) and t.get("id")
    }


def rest_refund(store: Store, order: Order, body: dict[str, Any], user_id: int) -> Refund:
    """``POST /orders/<id>/refunds``."""
    lines, added_up = request_lines(body.get("line_items"))
    posted = body.get("amount")
    amount = number(posted, "amount") if posted not in (None, "") else (added_up or ZERO)
    if amount < 0:
        raise RefundAmountError("Refund amount must be greater than zero.")
    api_refund = body.get("api_refund")
    return create_refund(
        store,
        order,
        amount,
        str(body.get("reason") or ""),
        lines,
        api_refund if isinstance(api_refund, bool) else True,
        user_id or ADMIN_USER_ID,
    )


def admin_refund(store: Store, order: Order, form: dict[str, Any], _user_id: int = 0) -> Refund:
    """The order screen's refund button (``WC_AJAX::refund_line_items``); the control API
    fills the amount the way the screen's script does, from the lines, when none is given."""
    dp = store.config.decimals
    lines, added_up = request_lines(form.get("line_items"))
    posted = form.get("amount")
    amount = round_dp(number(posted, "amount"), dp) if posted is not None else added_up
    if amount is None or amount < 0 or amount > remaining_amount(store, order):
        raise RefundError("Invalid refund amount")
    shown = form.get("refunded_amount")
    already = round_dp(refunded_total(store, order), dp)
    if shown is not None and round_dp(number(shown, "refunded_amount"), dp) != already:
        raise RefundError("Error processing refund. Please try again.")
    for line in lines:
        line.quantity = max(line.quantity, 0)
        line.refund_tax = {rate: tax for rate, tax in line.refund_tax.items() if tax}
    return create_refund(
        store,
        order,
        round_dp(amount, dp),
        str(form.get("reason") or ""),
        lines,
        form.get("api_refund") is True,
        ADMIN_USER_ID,
    )


def function_refund(store: Store, order: Order, args: dict[str, Any], user_id: int = 0) -> Refund:
    """``wc_create_refund( $args )`` called by code."""
    lines, _ = request_lines(args.get("line_items"))
    posted = args.get("amount")
    return create_refund(
        store,
        order,
        number(posted, "amount") if posted is not None else ZERO,
        str(args.get("reason") or ""),
        lines,
        args.get("api_refund") is True,
        user_id or ADMIN_USER_ID,
    )


RefundPath = Callable[[Store, Order, dict[str, Any], int], Refund]
BY_PATH: dict[str, RefundPath] = {
    "admin": admin_refund,
    "rest": rest_refund,
    "function": function_refund,
}
