"""``/wc/v3/orders/<order_id>/refunds`` and ``/notes``.

Sourced quirks kept: deleting a note without ``force`` answers "Webhooks do not support
trashing." (a copy-paste in the order notes controller); deleting a refund changes nothing
on its order and fires no ``order.updated`` (``woocommerce_delete_order_refund`` joined that
topic's hooks in 11.2, issue #26532); ``refunded_by`` in a request is ignored (the refund is
the key's user's).
"""

from __future__ import annotations

from ...render import orders as render_orders
from ...render.view import View
from ...store import orders
from ...store.database import ADMIN_LOGIN
from ...store.models import Note, Order, Refund
from ...store.refund_paths import RefundAmountError, rest_refund
from ...store.refunds import RefundError
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


def _refund(call: Call) -> Refund | Order:
    """What ``get_object`` finds for the URL's id: ``wc_get_order`` gives refunds and orders
    alike ("Invalid ID." when neither has it)."""
    found = call.store.refunds.get(call.id()) or call.store.orders.get(call.id())
    if found is None:
        raise RestError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)
    return found


def _render_refund(call: Call, view: View, found: Refund | Order) -> dict[str, object]:
    """``prepare_object_for_response``: the order the URL names must exist (``wc_get_order``
    also finds a refund by its id) and be the refund's parent."""
    order_id = call.id("order_id")
    if order_id not in call.store.orders and order_id not in call.store.refunds:
        raise RestError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
    if not isinstance(found, Refund) or found.parent_id != order_id:
        raise RestError("woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.", 404)
    return render_orders.refund(view, found)


def _note(call: Call) -> Note:
    """The note the URL names (404 unless it is that order's)."""
    order = _note_order(call)
    note = call.store.notes.get(call.id())
    if note is None or note.order_id != order.id:
        raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return note


def list_refunds(call: Call) -> Reply:
    """``GET /orders/<order_id>/refunds``: the refunds whose parent is that id, newest first
    (an unknown order has none: ``get_items`` queries by ``post_parent__in`` and checks no
    order)."""
    page = page_params(call.params)
    view = dp_view(call)
    descending = call.params.enum("order", "desc", ("asc", "desc")) == "desc"
    call.params.check()
    call.permit()
    with call.store.lock:
        order_id = call.id("order_id")
        refunds = [r for r in call.store.refunds.values() if r.parent_id == order_id]
        ordered = order_by(
            refunds, "date", descending, {"date": lambda r: r.date_created}, [], lambda r: r.id
        )
        path = f"/orders/{order_id}/refunds"
        return listing(call, ordered, page, path, lambda r: render_orders.refund(view, r))


def get_refund(call: Call) -> Reply:
    """``GET /orders/<order_id>/refunds/<id>``."""
    view = dp_view(call)
    call.params.check()
    call.permit()
    with call.store.lock:
        return Reply(_render_refund(call, view, _refund(call)))


def create(call: Call) -> Reply:
    """``POST /orders/<order_id>/refunds`` (``refund_paths.rest_refund``)."""
    p = call.params
    p.boolean("api_refund", True)
    p.boolean("api_restock", True)
    p.check()
    body = dict(p.values)
    if p.has("api_refund"):
        body["api_refund"] = p.boolean("api_refund", True)
    call.permit()
    store = call.store
    with store.lock:
        order = _refund_order(call)
        try:
            refund = rest_refund(store, order, body, call.key.user_id if call.key else 0)
        except ValueError as error:
            raise RestError("rest_invalid_param", str(error), 400) from None
        except RefundAmountError as error:
            raise RestError("woocommerce_rest_invalid_order_refund", str(error), 400) from None
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
    """``DELETE /orders/<order_id>/refunds/<id>``: ``force`` defaults to true (the route's
    own default; false is 501, refunds cannot be trashed). ``delete_item`` renders the refund
    before deleting it and answers with what rendering gave: a refund named under another
    order is deleted all the same, and the answer is that error. Not modelled: an order's id
    here would delete that order; the sandbox only answers the error."""
    force = call.params.boolean("force", True)
    view = dp_view(call)
    call.params.check()
    call.permit()
    store = call.store
    with store.lock:
        refund = _refund(call)
        try:
            reply = Reply(_render_refund(call, view, refund))
        except RestError as error:
            reply = Reply(error.body(), error.status)
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported",
                "The shop_order_refund does not support trashing.",
                501,
            )
        if isinstance(refund, Refund):
            parent = store.orders.get(refund.parent_id)
            if parent is not None:
                parent.refund_ids.remove(refund.id)
            del store.refunds[refund.id]
        return reply


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
