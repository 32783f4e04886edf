"""``/wc/v3/orders/<order_id>/refunds`` and ``/notes``.

Sourced quirk kept: deleting a note without ``force`` answers "Webhooks do not support
trashing." (a copy-paste in the order notes controller).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ...render import orders as render_orders
from ...store import orders
from ...store.database import ADMIN_LOGIN
from ...store.models import Note, Order, Refund
from ...store.refunds import RefundError, RefundLine, create_refund
from ..collection import listing, order_by, page_params
from ..common import dp_view, location
from ..errors import RestError, missing_params
from ..router import CREATABLE, DELETABLE, READABLE, Call, Reply, Router

_ORDER = r"/wc/v3/orders/(?P<order_id>[\d]+)"


def _order(call: Call, code: str, message: str) -> Order:
    order = call.store.orders.get(call.id("order_id"))
    if order is None:
        raise RestError(code, message, 404)
    return order


def _refund_order(call: Call) -> Order:
    return _order(call, "woocommerce_rest_invalid_order_id", "Invalid order ID.")


def _note_order(call: Call) -> Order:
    return _order(call, "woocommerce_rest_shop_order_invalid_id", "Invalid order ID.")


def _refund(call: Call) -> tuple[Order, Refund]:
    """The order and the refund the URL names (404 unless the refund is that order's)."""
    order = _refund_order(call)
    if call.id() not in order.refund_ids:
        raise RestError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)
    return order, call.store.refunds[call.id()]


def _note(call: Call) -> Note:
    """The note the URL names (404 unless it is that order's)."""
    order = _note_order(call)
    note = call.store.notes.get(call.id())
    if note is None or note.order_id != order.id:
        raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return note


def list_refunds(call: Call) -> Reply:
    """``GET /orders/<order_id>/refunds``."""
    page = page_params(call.params)
    view = dp_view(call)
    descending = call.params.enum("order", "desc", ("asc", "desc")) == "desc"
    call.params.check()
    call.permit()
    with call.store.lock:
        order = _refund_order(call)
        refunds = [call.store.refunds[i] for i in order.refund_ids]
        ordered = order_by(
            refunds, "date", descending, {"date": lambda r: r.date_created}, [], lambda r: r.id
        )
        path = f"/orders/{order.id}/refunds"
        return listing(call, ordered, page, path, lambda r: render_orders.refund(view, r))


def get_refund(call: Call) -> Reply:
    """``GET /orders/<order_id>/refunds/<id>``."""
    view = dp_view(call)
    call.params.check()
    call.permit()
    with call.store.lock:
        _, refund = _refund(call)
        return Reply(render_orders.refund(view, refund))


def _number(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RestError("rest_invalid_param", f"Invalid parameter(s): {name}", 400) from None


def _lines(posted: Any) -> list[RefundLine]:
    lines = []
    for entry in posted if isinstance(posted, list) else []:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        taxes = {
            int(t["id"]): _number(t.get("refund_total", 0), "refund_tax")
            for t in entry.get("refund_tax") or []
            if isinstance(t, dict) and t.get("id")
        }
        lines.append(
            RefundLine(
                int(entry["id"]),
                int(entry.get("quantity") or 0),
                _number(entry.get("refund_total") or 0, "refund_total"),
                taxes,
            )
        )
    return lines


def create(call: Call) -> Reply:
    """``POST /orders/<order_id>/refunds``."""
    p = call.params
    api_refund = p.boolean("api_refund", True)
    p.boolean("api_restock", True)
    p.check()
    amount = _number(p.raw("amount"), "amount") if p.raw("amount") not in (None, "") else None
    call.permit()
    if amount is not None and amount < 0:
        raise RestError(
            "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400
        )
    store = call.store
    with store.lock:
        order = _refund_order(call)
        refunded_by = int(p.raw("refunded_by") or (call.key.user_id if call.key else 0))
        try:
            refund = create_refund(
                store,
                order,
                amount,
                str(p.raw("reason") or ""),
                _lines(p.raw("line_items")),
                api_refund,
                refunded_by,
            )
        except RefundError as error:
            raise RestError(
                "woocommerce_rest_cannot_create_order_refund", str(error), 500
            ) from None
        for entry in p.raw("meta_data") or []:
            if isinstance(entry, dict) and "key" in entry:
                refund.meta.append(store.meta(str(entry["key"]), entry.get("value")))
        return Reply(
            render_orders.refund(dp_view(call), refund),
            201,
            location(call, f"/orders/{order.id}/refunds/{refund.id}"),
        )


def delete_refund(call: Call) -> Reply:
    """``DELETE /orders/<order_id>/refunds/<id>?force=true`` (refunds cannot be trashed)."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    store = call.store
    with store.lock:
        order, refund = _refund(call)
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported",
                "The shop_order_refund does not support trashing.",
                501,
            )
        data = render_orders.refund(dp_view(call), refund)
        order.refund_ids.remove(refund.id)
        del store.refunds[refund.id]
        return Reply(data)


def list_notes(call: Call) -> Reply:
    """``GET /orders/<order_id>/notes`` (not paginated), newest first."""
    kind = call.params.enum("type", "any", ("any", "customer", "internal"))
    call.params.check()
    call.permit()
    with call.store.lock:
        order = _note_order(call)
        notes = [
            n
            for n in call.store.notes.values()
            if n.order_id == order.id and (kind == "any" or n.customer_note == (kind == "customer"))
        ]
        notes.sort(key=lambda n: (n.date_created, n.id), reverse=True)
        return Reply([render_orders.note(call.view, n) for n in notes])


def get_note(call: Call) -> Reply:
    """``GET /orders/<order_id>/notes/<id>``."""
    call.permit()
    with call.store.lock:
        return Reply(render_orders.note(call.view, _note(call)))


def create_note(call: Call) -> Reply:
    """``POST /orders/<order_id>/notes``."""
    p = call.params
    if not p.has("note"):
        raise missing_params(["note"])
    customer_note = p.boolean("customer_note", False)
    by_user = p.boolean("added_by_user", False)
    p.check()
    call.permit()
    store = call.store
    with store.lock:
        order = _note_order(call)
        if not str(p.raw("note")).strip():
            raise RestError(
                "woocommerce_rest_shop_order_note_empty", "Cannot create an empty note.", 400
            )
        author = ADMIN_LOGIN if by_user else "system"
        note = orders.add_note(store, order, str(p.raw("note")), author, customer_note)
        return Reply(
            render_orders.note(call.view, note),
            201,
            location(call, f"/orders/{order.id}/notes/{note.id}"),
        )


def delete_note(call: Call) -> Reply:
    """``DELETE /orders/<order_id>/notes/<id>?force=true``."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    with call.store.lock:
        note = _note(call)
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        data = render_orders.note(call.view, note)
        del call.store.notes[note.id]
        return Reply(data)


def register(router: Router) -> None:
    """Add the refund and note routes."""
    router.add(f"{_ORDER}/refunds", READABLE, list_refunds, "list")
    router.add(f"{_ORDER}/refunds", CREATABLE, create, "create")
    one_refund = rf"{_ORDER}/refunds/(?P<id>[\d]+)"
    router.add(one_refund, READABLE, get_refund, "view")
    router.add(one_refund, DELETABLE, delete_refund, "delete")
    router.add(f"{_ORDER}/notes", READABLE, list_notes, "list")
    router.add(f"{_ORDER}/notes", CREATABLE, create_note, "create")
    one_note = rf"{_ORDER}/notes/(?P<id>[\d]+)"
    router.add(one_note, READABLE, get_note, "view")
    router.add(one_note, DELETABLE, delete_note, "delete")
