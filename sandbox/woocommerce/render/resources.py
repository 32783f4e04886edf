"""Customers, products, variations, taxes, gateways and webhooks as ``/wc/v3`` returns them.

Shapes follow the docs samples; product responses add ``low_stock_amount`` and
``has_options`` (present in 7.4, absent from the 3.x-era sample).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from ..config import GatewaySpec, TaxRateSpec
from ..php import dates
from ..store.models import Customer, Product, Webhook
from ..totals.taxes import TAX_CLASSES
from ..webhooks.topics import topic_hooks
from .orders import image_src
from .view import View, href, meta_rows


def _created_and_modified(view: View, record: Customer | Product | Webhook) -> dict[str, Any]:
    """The four dates customers, products, variations and webhooks list after ``id``."""
    return {
        "date_created": view.local(record.date_created),
        "date_created_gmt": dates.gmt(record.date_created),
        "date_modified": view.local(record.date_modified),
        "date_modified_gmt": dates.gmt(record.date_modified),
    }


def customer(view: View, record: Customer) -> dict[str, Any]:
    """A customer."""
    digest = hashlib.md5(record.email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return {
        "id": record.id,
        **_created_and_modified(view, record),
        "email": record.email,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "role": record.role,
        "username": record.username,
        "billing": dict(record.billing),
        "shipping": dict(record.shipping),
        "is_paying_customer": record.is_paying_customer,
        "avatar_url": f"https://secure.gravatar.com/avatar/{digest}?s=96&d=mm&r=g",
        "meta_data": meta_rows(record.meta),
        "_links": {
            "self": href(view.url(f"/customers/{record.id}")),
            "collection": href(view.url("/customers")),
        },
    }


def _image(view: View, product: Product) -> dict[str, Any]:
    created = dates.gmt(product.date_created)
    return {
        "id": product.image_id,
        "date_created": view.local(product.date_created),
        "date_created_gmt": created,
        "date_modified": view.local(product.date_created),
        "date_modified_gmt": created,
        "src": image_src(view, product.image_id),
        "name": product.slug,
        "alt": "",
    }


def _price_html(view: View, product: Product) -> str:
    symbol = "&#36;" if view.store.config.currency in ("NZD", "AUD", "USD", "CAD") else ""
    amount = view.money(Decimal(product.price)) if product.price else ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-'
        f'currencySymbol">{symbol}</span>{amount}</bdi></span>'
    )


def _prices(product: Product) -> dict[str, Any]:
    """The prices of a product or variation; the sandbox never schedules a sale."""
    return {
        "price": product.price,
        "regular_price": product.regular_price,
        "sale_price": product.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
    }


def _stock(product: Product) -> dict[str, Any]:
    return {
        "manage_stock": product.manage_stock,
        "stock_quantity": product.stock_quantity,
        "stock_status": "instock",
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
    }


def product(view: View, record: Product) -> dict[str, Any]:
    """A product (not a variation)."""
    permalink = f"{view.home}product/{record.slug}/"
    return {
        "id": record.id,
        "name": record.name,
        "slug": record.slug,
        "permalink": permalink,
        **_created_and_modified(view, record),
        "type": record.type,
        "status": record.status,
        "featured": False,
        "catalog_visibility": "visible",
        "description": record.description,
        "short_description": record.short_description,
        "sku": record.sku,
        **_prices(record),
        "price_html": _price_html(view, record),
        "on_sale": bool(record.sale_price),
        "purchasable": bool(record.price) or record.type == "variable",
        "total_sales": record.total_sales,
        "virtual": record.virtual,
        "downloadable": record.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": record.tax_status,
        "tax_class": record.tax_class,
        **{k: v for k, v in _stock(record).items() if k != "stock_status"},
        "low_stock_amount": None,
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": not record.virtual,
        "shipping_taxable": not record.virtual and record.tax_status == "taxable",
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "related_ids": [],
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": 0,
        "purchase_note": "",
        "categories": [dict(c) for c in record.categories],
        "tags": [],
        "images": [_image(view, record)] if record.image_id else [],
        "attributes": [dict(a) for a in record.attributes],
        "default_attributes": [],
        "variations": list(record.variation_ids),
        "grouped_products": [],
        "menu_order": 0,
        "meta_data": meta_rows(record.meta),
        "stock_status": "instock",
        "has_options": record.type == "variable",
        "_links": {
            "self": href(view.url(f"/products/{record.id}")),
            "collection": href(view.url("/products")),
        },
    }


def variation(view: View, record: Product, parent: Product) -> dict[str, Any]:
    """A product variation (``/products/<parent>/variations/<id>``)."""
    query = "&".join(f"attribute_{a['slug']}={a['option'].lower()}" for a in record.attributes)
    base = f"/products/{parent.id}"
    return {
        "id": record.id,
        **_created_and_modified(view, record),
        "description": record.description,
        "permalink": f"{view.home}product/{parent.slug}/?{query}",
        "sku": record.sku,
        **_prices(record),
        "on_sale": bool(record.sale_price),
        "status": record.status,
        "purchasable": bool(record.price),
        "virtual": record.virtual,
        "downloadable": record.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": record.tax_status,
        "tax_class": record.tax_class,
        **_stock(record),
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": _image(view, record) if record.image_id else None,
        "attributes": [
            {"id": a["id"], "name": a["name"], "option": a["option"]} for a in record.attributes
        ],
        "menu_order": 0,
        "meta_data": meta_rows(record.meta),
        "_links": {
            "self": href(view.url(f"{base}/variations/{record.id}")),
            "collection": href(view.url(f"{base}/variations")),
            "up": href(view.url(base)),
        },
    }


def tax_rate(view: View, rate: TaxRateSpec) -> dict[str, Any]:
    """A tax rate (rates are written with 4 decimals)."""
    return {
        "id": rate.rate_id,
        "country": rate.country,
        "state": rate.state,
        "postcode": "",
        "city": "",
        "postcodes": [],
        "cities": [],
        "rate": f"{rate.rate:.4f}",
        "name": rate.name,
        "priority": rate.priority,
        "compound": rate.compound,
        "shipping": rate.shipping,
        "order": rate.order,
        "class": rate.tax_class or "standard",
        "_links": {
            "self": href(view.url(f"/taxes/{rate.rate_id}")),
            "collection": href(view.url("/taxes")),
        },
    }


def tax_classes(view: View) -> list[dict[str, Any]]:
    """The tax classes."""
    return [
        {"slug": slug, "name": name, "_links": {"collection": href(view.url("/taxes/classes"))}}
        for slug, name in TAX_CLASSES
    ]


def gateway(view: View, spec: GatewaySpec, position: int) -> dict[str, Any]:
    """A payment gateway (``/payment_gateways/<id>``)."""
    supports = ["products", "refunds"] if spec.refunds else ["products"]
    return {
        "id": spec.gateway_id,
        "title": spec.title,
        "description": spec.description,
        "order": position,
        "enabled": spec.enabled,
        "method_title": spec.method_title,
        "method_description": spec.description,
        "method_supports": supports,
        "settings": {
            "title": {
                "id": "title",
                "label": "Title",
                "description": "This controls the title which the user sees during checkout.",
                "type": "text",
                "value": spec.title,
                "default": spec.method_title,
                "tip": "This controls the title which the user sees during checkout.",
                "placeholder": "",
            },
        },
        "needs_setup": False,
        "post_install_scripts": [],
        "settings_url": (
            f"{view.home}wp-admin/admin.php?page=wc-settings&tab=checkout&section={spec.gateway_id}"
        ),
        "connection_url": None,
        "setup_help_text": None,
        "required_settings_keys": [],
        "_links": {
            "self": href(view.url(f"/payment_gateways/{spec.gateway_id}")),
            "collection": href(view.url("/payment_gateways")),
        },
    }


def webhook(view: View, record: Webhook) -> dict[str, Any]:
    """A webhook (``secret`` is never returned)."""
    return {
        "id": record.id,
        "name": record.name,
        "status": record.status,
        "topic": record.topic,
        "resource": record.resource,
        "event": record.event,
        "hooks": topic_hooks(record.topic),
        "delivery_url": record.delivery_url,
        **_created_and_modified(view, record),
        "_links": {
            "self": href(view.url(f"/webhooks/{record.id}")),
            "collection": href(view.url("/webhooks")),
        },
    }
