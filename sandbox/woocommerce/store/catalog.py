"""Product changes shared by the REST API and ``/_sandbox`` (each fires its topic).

Variations fire ``product.*`` topics with the variation's id, as
``woocommerce_new_product_variation`` / ``woocommerce_update_product_variation`` do.
"""

from __future__ import annotations

import re
from typing import Any

from .database import Store
from .models import Product

_FIELDS = (
    "name",
    "sku",
    "regular_price",
    "sale_price",
    "tax_status",
    "tax_class",
    "description",
    "short_description",
    "status",
)
_FLAGS = ("virtual", "downloadable", "manage_stock")


def slugify(name: str) -> str:
    """``sanitize_title``, roughly."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"


def sku_taken(store: Store, sku: str, exclude: int = 0) -> bool:
    """Whether another product already uses ``sku``."""
    return bool(sku) and any(p.sku == sku and p.id != exclude for p in store.products.values())


def create(store: Store, values: dict[str, Any], parent: Product | None = None) -> Product:
    """Create a product, or a variation of ``parent`` (``product.created``)."""
    now = store.now()
    name = str(values.get("name") or (parent.name if parent else "Product"))
    product = Product(
        store.next_post_id(),
        name,
        slugify(name),
        "variation" if parent else str(values.get("type") or "simple"),
        now,
        now,
        "",
        parent_id=parent.id if parent else 0,
    )
    _assign(product, values)
    if parent is not None:
        product.attributes = [dict(a) for a in values.get("attributes") or []]
        parent.variation_ids.append(product.id)
    store.products[product.id] = product
    store.emit("product", "created", product.id)
    return product


def update(store: Store, product: Product, values: dict[str, Any]) -> None:
    """Change a product (``product.updated``)."""
    _assign(product, values)
    product.date_modified = store.now()
    store.emit("product", "updated", product.id)


def _assign(product: Product, values: dict[str, Any]) -> None:
    for name in _FIELDS:
        if values.get(name) is not None:
            setattr(product, name, str(values[name]))
    for name in _FLAGS:
        if values.get(name) is not None:
            setattr(product, name, bool(values[name]))
    if values.get("stock_quantity") is not None:
        product.stock_quantity = int(values["stock_quantity"])


def trash(store: Store, product: Product) -> None:
    """Move to the trash (``product.deleted``)."""
    store.trash("product", product)


def untrash(store: Store, product: Product) -> None:
    """Restore from the trash (``product.restored``)."""
    store.untrash("product", product, "publish")


def delete(store: Store, product: Product) -> None:
    """Delete for good, with its variations (no topic)."""
    for variation_id in product.variation_ids:
        store.products.pop(variation_id, None)
    parent = store.products.get(product.parent_id)
    if parent is not None:
        parent.variation_ids.remove(product.id)
    del store.products[product.id]
