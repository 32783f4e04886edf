"""``/wc/v3/customers``."""

from __future__ import annotations

import re

from ...render import resources as render_resources
from ...store import people
from ...store.models import Customer
from ..collection import listing, order_by, page_params
from ..common import location
from ..errors import RestError, missing_params
from ..router import CREATABLE, DELETABLE, EDITABLE, READABLE, Call, Reply, Router

ROLES = (
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _get(call: Call) -> Customer:
    customer = call.store.customers.get(call.id())
    if customer is None:
        raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return customer


def list_customers(call: Call) -> Reply:
    """``GET /customers`` (default order: name, ascending)."""
    p = call.params
    page = page_params(p)
    orderby = p.enum("orderby", "name", ("id", "include", "name", "registered_date"))
    descending = p.enum("order", "asc", ("asc", "desc")) == "desc"
    role = p.enum("role", "customer", ROLES)
    include, exclude = p.id_list("include"), p.id_list("exclude")
    email = p.string("email").lower()
    search = p.string("search").lower()
    p.check()
    call.permit()
    with call.store.lock:
        found = [
            c
            for c in call.store.customers.values()
            if role in ("all", c.role)
            and (not include or c.id in include)
            and c.id not in exclude
            and (not email or c.email.lower() == email)
            and (
                not search
                or any(
                    search in v.lower() for v in (c.email, c.username, c.first_name, c.last_name)
                )
            )
        ]
        ordered = order_by(
            found,
            orderby,
            descending,
            {
                "name": lambda c: f"{c.first_name} {c.last_name}".lower(),
                "registered_date": lambda c: c.date_created,
            },
            include,
            lambda c: c.id,
        )
        return listing(
            call, ordered, page, "/customers", lambda c: render_resources.customer(call.view, c)
        )


def get_customer(call: Call) -> Reply:
    """``GET /customers/<id>``."""
    call.permit()
    with call.store.lock:
        return Reply(render_resources.customer(call.view, _get(call)))


def create_customer(call: Call) -> Reply:
    """``POST /customers``."""
    p = call.params
    if not p.has("email"):
        raise missing_params(["email"])
    email = p.string("email")
    p.check()
    call.permit()
    store = call.store
    with store.lock:
        if not _EMAIL.match(email):
            raise RestError(
                "registration-error-invalid-email", "Please provide a valid email address.", 400
            )
        if any(c.email.lower() == email.lower() for c in store.customers.values()):
            raise RestError(
                "registration-error-email-exists",
                'An account is already registered with your email address. <a href="#" '
                'class="showlogin">Please log in.</a>',
                400,
            )
        customer = people.create(
            store, email, p.string("first_name"), p.string("last_name"), p.string("username")
        )
        with store.muted():
            people.update(store, customer, p.values)
        return Reply(
            render_resources.customer(call.view, customer),
            201,
            location(call, f"/customers/{customer.id}"),
        )


def update_customer(call: Call) -> Reply:
    """``PUT /customers/<id>``."""
    call.permit()
    with call.store.lock:
        customer = _get(call)
        people.update(call.store, customer, call.params.values)
        return Reply(render_resources.customer(call.view, customer))


def delete_customer(call: Call) -> Reply:
    """``DELETE /customers/<id>?force=true``."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    with call.store.lock:
        customer = _get(call)
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501
            )
        data = render_resources.customer(call.view, customer)
        people.delete(call.store, customer)
        return Reply(data)


def register(router: Router) -> None:
    """Add the customer routes."""
    router.add("/wc/v3/customers", READABLE, list_customers, "list")
    router.add("/wc/v3/customers", CREATABLE, create_customer, "create")
    one = r"/wc/v3/customers/(?P<id>[\d]+)"
    router.add(one, READABLE, get_customer, "view")
    router.add(one, EDITABLE, update_customer, "edit")
    router.add(one, DELETABLE, delete_customer, "delete")
