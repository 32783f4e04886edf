"""``/wc/v3/orders``: list, get, create, update, delete (trash or force)."""

from __future__ import annotations

from typing import Any

from ...render import orders as render_orders
from ...store import orders, payments
from ...store.models import Order
from ...store.orders import order_key
from ..collection import DateFilter, listing, order_by, page_params
from ..common import dp_view, location
from ..errors import RestError
from ..router import CREATABLE, DELETABLE, EDITABLE, READABLE, Call, Reply, Router
from .order_writes import ORDER_STATUSES, apply

LIST_STATUSES = ("any", "trash", *ORDER_STATUSES)
ORDERBY = ("date", "id", "include", "title", "slug", "modified")


def _invalid_id(status: int) -> RestError:
    return RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)


def _get(call: Call, status: int) -> Order:
    order = call.store.orders.get(call.id())
    if order is None:
        raise _invalid_id(status)
    return order


def _matches_search(order: Order, term: str) -> bool:
    haystack = [
        *order.billing.values(),
        *order.shipping.values(),
        *(i.name for i in order.line_items),
        order.number,
        str(order.id),
    ]
    return any(term in value.lower() for value in haystack)


def list_orders(call: Call) -> Reply:
    """``GET /orders``."""
    p = call.params
    page = page_params(p)
    view = dp_view(call)
    dates = DateFilter.read(p)
    statuses = p.string_list("status", ["any"], LIST_STATUSES)
    orderby = p.enum("orderby", "date", ORDERBY)
    descending = p.enum("order", "desc", ("asc", "desc")) == "desc"
    include, exclude = p.id_list("include"), p.id_list("exclude")
    parents, parent_exclude = p.id_list("parent"), p.id_list("parent_exclude")
    customer = p.integer("customer", None)
    product = p.integer("product", None)
    search = p.string("search").lower()
    p.check()
    call.permit()
    with call.store.lock:
        found = []
        for order in call.store.orders.values():
            if "any" in statuses:
                if order.status == "trash" and "trash" not in statuses:
                    continue
            elif order.status not in statuses:
                continue
            if (include and order.id not in include) or order.id in exclude:
                continue
            if (parents and order.parent_id not in parents) or order.parent_id in parent_exclude:
                continue
            if customer is not None and order.customer_id != customer:
                continue
            if product is not None and all(
                product not in (i.product_id, i.variation_id) for i in order.line_items
            ):
                continue
            if search and not _matches_search(order, search):
                continue
            if dates.keeps(call, order.date_created, order.date_modified):
                found.append(order)
        ordered = order_by(
            found,
            orderby,
            descending,
            {
                "date": lambda o: o.date_created,
                "modified": lambda o: o.date_modified,
                "title": lambda o: o.date_created,
                "slug": lambda o: o.order_key,
            },
            include,
            lambda o: o.id,
        )
        return listing(call, ordered, page, "/orders", lambda o: render_orders.order(view, o))


def get_order(call: Call) -> Reply:
    """``GET /orders/<id>``."""
    view = dp_view(call)
    call.params.check()
    call.permit()
    with call.store.lock:
        return Reply(render_orders.order(view, _get(call, 404)))


def _validate(call: Call) -> dict[str, Any]:
    p = call.params
    if p.has("status"):
        p.enum("status", "pending", ORDER_STATUSES)
    if p.has("set_paid"):
        p.boolean("set_paid", False)
    p.check()
    body = dict(p.values)
    if "set_paid" in body:
        body["set_paid"] = p.boolean("set_paid", False)
    return body


def create_order(call: Call) -> Reply:
    """``POST /orders``."""
    if call.params.has("id"):
        raise RestError(
            "woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400
        )
    body = _validate(call)
    call.permit()
    store = call.store
    with store.lock:
        now = store.now()
        order_id = store.next_post_id()
        order = Order(
            order_id,
            order_key(),
            store.next_order_number(order_id),
            "rest-api",
            store.config.woocommerce_version,
            "pending",
            store.config.currency,
            store.config.prices_include_tax,
            now,
            now,
        )
        if store.config.order_number_prefix is not None:
            order.meta.append(store.meta("_order_number", order.number))
        with store.muted():
            set_paid = apply(store, order, body, True)
        store.orders[order.id] = order
        store.emit("order", "created", order.id)
        if set_paid:
            payments.payment_complete(store, order, str(body.get("transaction_id") or ""))
        return Reply(
            render_orders.order(dp_view(call), order), 201, location(call, f"/orders/{order.id}")
        )


def update_order(call: Call) -> Reply:
    """``PUT /orders/<id>``."""
    body = _validate(call)
    call.permit()
    store = call.store
    with store.lock:
        order = _get(call, 400)
        with store.muted():
            set_paid = apply(store, order, body, False)
        orders.saved(store, order)
        if set_paid and orders.needs_payment(order):
            payments.payment_complete(store, order, str(body.get("transaction_id") or ""))
        return Reply(render_orders.order(dp_view(call), order))


def delete_order(call: Call) -> Reply:
    """``DELETE /orders/<id>``: trash, or delete for good with ``force``."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    store = call.store
    with store.lock:
        order = _get(call, 404)
        data = render_orders.order(dp_view(call), order)
        if force:
            orders.delete(store, order)
        elif order.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410
            )
        else:
            orders.trash(store, order)
        return Reply(data)


def register(router: Router) -> None:
    """Add the order routes."""
    router.add("/wc/v3/orders", READABLE, list_orders, "list")
    router.add("/wc/v3/orders", CREATABLE, create_order, "create")
    one = r"/wc/v3/orders/(?P<id>[\d]+)"
    router.add(one, READABLE, get_order, "view")
    router.add(one, EDITABLE, update_order, "edit")
    router.add(one, DELETABLE, delete_order, "delete")
