"""``/wc/v3/products`` and ``/wc/v3/products/<product_id>/variations``."""

from __future__ import annotations

from ...render import resources as render_resources
from ...store import catalog
from ...store.models import Product
from ..collection import DateFilter, listing, order_by, page_params
from ..common import location
from ..errors import RestError
from ..router import CREATABLE, DELETABLE, EDITABLE, READABLE, Call, Reply, Router

STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")
ORDERBY = (
    "date",
    "id",
    "include",
    "title",
    "slug",
    "price",
    "popularity",
    "rating",
    "menu_order",
    "modified",
)


def _invalid(status: int = 404) -> RestError:
    return RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", status)


def _product(call: Call, name: str = "id", status: int = 404) -> Product:
    product = call.store.products.get(call.id(name))
    if product is None or product.parent_id:
        raise _invalid(status)
    return product


def _variation(call: Call, status: int = 404) -> tuple[Product, Product]:
    parent = _product(call, "product_id", status)
    variation = call.store.products.get(call.id())
    if variation is None or variation.parent_id != parent.id:
        raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)
    return parent, variation


def _check_sku(call: Call, exclude: int = 0) -> None:
    sku = call.params.raw("sku")
    if sku and catalog.sku_taken(call.store, str(sku), exclude):
        raise RestError("product_invalid_sku", "Invalid or duplicated SKU.", 400)


def list_products(call: Call) -> Reply:
    """``GET /products``."""
    p = call.params
    page = page_params(p)
    dates = DateFilter.read(p)
    status = p.enum("status", "any", STATUSES)
    orderby = p.enum("orderby", "date", ORDERBY)
    descending = p.enum("order", "desc", ("asc", "desc")) == "desc"
    include, exclude = p.id_list("include"), p.id_list("exclude")
    kind, sku, search = p.string("type"), p.string("sku"), p.string("search").lower()
    p.check()
    call.permit()
    with call.store.lock:
        found = [
            pr
            for pr in call.store.products.values()
            if not pr.parent_id
            and (pr.status == status or (status == "any" and pr.status != "trash"))
            and (not include or pr.id in include)
            and pr.id not in exclude
            and (not kind or pr.type == kind)
            and (not sku or pr.sku == sku)
            and (not search or search in pr.name.lower())
            and dates.keeps(call, pr.date_created, pr.date_modified)
        ]
        ordered = order_by(
            found,
            orderby,
            descending,
            {
                "date": lambda pr: pr.date_created,
                "modified": lambda pr: pr.date_modified,
                "title": lambda pr: pr.name.lower(),
                "slug": lambda pr: pr.slug,
                "price": lambda pr: float(pr.price or 0),
            },
            include,
            lambda pr: pr.id,
        )
        return listing(
            call, ordered, page, "/products", lambda pr: render_resources.product(call.view, pr)
        )


def get_product(call: Call) -> Reply:
    """``GET /products/<id>``."""
    call.permit()
    with call.store.lock:
        return Reply(render_resources.product(call.view, _product(call)))


def create_product(call: Call) -> Reply:
    """``POST /products``."""
    call.permit()
    with call.store.lock:
        _check_sku(call)
        product = catalog.create(call.store, call.params.values)
        return Reply(
            render_resources.product(call.view, product),
            201,
            location(call, f"/products/{product.id}"),
        )


def update_product(call: Call) -> Reply:
    """``PUT /products/<id>``."""
    call.permit()
    with call.store.lock:
        product = _product(call, status=400)
        _check_sku(call, product.id)
        catalog.update(call.store, product, call.params.values)
        return Reply(render_resources.product(call.view, product))


def delete_product(call: Call) -> Reply:
    """``DELETE /products/<id>``: trash, or delete for good with ``force``."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    with call.store.lock:
        product = _product(call)
        data = render_resources.product(call.view, product)
        if force:
            catalog.delete(call.store, product)
        elif product.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The product has already been deleted.", 410
            )
        else:
            catalog.trash(call.store, product)
        return Reply(data)


def list_variations(call: Call) -> Reply:
    """``GET /products/<product_id>/variations``."""
    page = page_params(call.params)
    descending = call.params.enum("order", "desc", ("asc", "desc")) == "desc"
    call.params.check()
    call.permit()
    with call.store.lock:
        parent = _product(call, "product_id")
        variations = [call.store.products[i] for i in parent.variation_ids]
        ordered = order_by(
            variations, "date", descending, {"date": lambda v: v.date_created}, [], lambda v: v.id
        )
        return listing(
            call,
            ordered,
            page,
            f"/products/{parent.id}/variations",
            lambda v: render_resources.variation(call.view, v, parent),
        )


def get_variation(call: Call) -> Reply:
    """``GET /products/<product_id>/variations/<id>``."""
    call.permit()
    with call.store.lock:
        parent, variation = _variation(call)
        return Reply(render_resources.variation(call.view, variation, parent))


def create_variation(call: Call) -> Reply:
    """``POST /products/<product_id>/variations``."""
    call.permit()
    with call.store.lock:
        parent = _product(call, "product_id")
        _check_sku(call)
        variation = catalog.create(call.store, call.params.values, parent)
        return Reply(
            render_resources.variation(call.view, variation, parent),
            201,
            location(call, f"/products/{parent.id}/variations/{variation.id}"),
        )


def update_variation(call: Call) -> Reply:
    """``PUT /products/<product_id>/variations/<id>``."""
    call.permit()
    with call.store.lock:
        parent, variation = _variation(call, 400)
        _check_sku(call, variation.id)
        catalog.update(call.store, variation, call.params.values)
        return Reply(render_resources.variation(call.view, variation, parent))


def register(router: Router) -> None:
    """Add the product and variation routes."""
    router.add("/wc/v3/products", READABLE, list_products, "list")
    router.add("/wc/v3/products", CREATABLE, create_product, "create")
    one = r"/wc/v3/products/(?P<id>[\d]+)"
    router.add(one, READABLE, get_product, "view")
    router.add(one, EDITABLE, update_product, "edit")
    router.add(one, DELETABLE, delete_product, "delete")
    variations = r"/wc/v3/products/(?P<product_id>[\d]+)/variations"
    router.add(variations, READABLE, list_variations, "list")
    router.add(variations, CREATABLE, create_variation, "create")
    router.add(rf"{variations}/(?P<id>[\d]+)", READABLE, get_variation, "view")
    router.add(rf"{variations}/(?P<id>[\d]+)", EDITABLE, update_variation, "edit")
