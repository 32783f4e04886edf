"""The store's records, shaped like WooCommerce's data objects (not like their REST output)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from ..php.money import ZERO

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
)


def empty_billing() -> dict[str, str]:
    """A blank billing address (billing has email and phone)."""
    return dict.fromkeys((*ADDRESS_FIELDS, "email", "phone"), "")


def empty_shipping() -> dict[str, str]:
    """A blank shipping address (shipping has a phone since WooCommerce 5.6)."""
    return dict.fromkeys((*ADDRESS_FIELDS, "phone"), "")


@dataclass
class Meta:
    """One meta row: ``{id, key, value}``."""

    id: int
    key: str
    value: Any


@dataclass
class LineItem:
    """A product line (``line_item``) of an order or a refund. Amounts exclude tax."""

    id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    tax_class: str = ""
    tax_status: str = "taxable"
    subtotal: Decimal = ZERO
    total: Decimal = ZERO
    subtotal_taxes: dict[int, Decimal] = field(default_factory=dict)
    taxes: dict[int, Decimal] = field(default_factory=dict)
    meta: list[Meta] = field(default_factory=list)


@dataclass
class FeeLine:
    """A fee; negative fees are discounts."""

    id: int
    name: str
    amount: str
    total: Decimal
    tax_class: str = ""
    tax_status: str = "taxable"
    taxes: dict[int, Decimal] = field(default_factory=dict)
    meta: list[Meta] = field(default_factory=list)


@dataclass
class ShippingLine:
    """A shipping method line."""

    id: int
    method_title: str
    method_id: str
    instance_id: str
    total: Decimal
    taxes: dict[int, Decimal] = field(default_factory=dict)
    meta: list[Meta] = field(default_factory=list)


@dataclass
class CouponLine:
    """An applied coupon with the discount it gave (excluding tax) and the tax it removed."""

    id: int
    code: str
    discount: Decimal = ZERO
    discount_tax: Decimal = ZERO
    meta: list[Meta] = field(default_factory=list)


@dataclass
class TaxLine:
    """One tax rate's totals on an order."""

    id: int
    rate_id: int
    rate_code: str
    label: str
    compound: bool
    rate_percent: Decimal
    tax_total: Decimal = ZERO
    shipping_tax_total: Decimal = ZERO
    meta: list[Meta] = field(default_factory=list)


class Trashable(Protocol):
    """A post that can go to the trash and back (orders and products)."""

    id: int
    status: str
    trashed_status: str | None
    date_modified: datetime


@dataclass
class Order:
    """A ``shop_order``. ``trashed_status`` remembers the status before trashing."""

    id: int
    order_key: str
    number: str
    created_via: str
    version: str
    status: str
    currency: str
    prices_include_tax: bool
    date_created: datetime
    date_modified: datetime
    customer_id: int = 0
    parent_id: int = 0
    billing: dict[str, str] = field(default_factory=empty_billing)
    shipping: dict[str, str] = field(default_factory=empty_shipping)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    customer_note: str = ""
    cart_hash: str = ""
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    discount_total: Decimal = ZERO
    discount_tax: Decimal = ZERO
    shipping_total: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    cart_tax: Decimal = ZERO
    total: Decimal = ZERO
    total_tax: Decimal = ZERO
    meta: list[Meta] = field(default_factory=list)
    line_items: list[LineItem] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    fee_lines: list[FeeLine] = field(default_factory=list)
    coupon_lines: list[CouponLine] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)
    trashed_status: str | None = None


@dataclass
class Refund:
    """A ``shop_order_refund``: positive ``amount``; its items copy the order's refunded items
    with negative values, and its tax lines sum their taxes per rate (``update_taxes``)."""

    id: int
    parent_id: int
    date_created: datetime
    amount: Decimal
    reason: str
    refunded_by: int
    refunded_payment: bool
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    fee_lines: list[FeeLine] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)
    meta: list[Meta] = field(default_factory=list)


@dataclass
class Note:
    """An order note (a WordPress comment)."""

    id: int
    order_id: int
    author: str
    date_created: datetime
    content: str
    customer_note: bool = False


@dataclass
class Customer:
    """A WordPress user with the ``customer`` role."""

    id: int
    email: str
    first_name: str
    last_name: str
    username: str
    date_created: datetime
    date_modified: datetime
    billing: dict[str, str] = field(default_factory=empty_billing)
    shipping: dict[str, str] = field(default_factory=empty_shipping)
    is_paying_customer: bool = False
    role: str = "customer"
    meta: list[Meta] = field(default_factory=list)


@dataclass
class Product:
    """A product or a ``variation`` (``parent_id`` set, ``attributes`` as name → option)."""

    id: int
    name: str
    slug: str
    type: str
    date_created: datetime
    date_modified: datetime
    regular_price: str
    sale_price: str = ""
    sku: str = ""
    status: str = "publish"
    tax_status: str = "taxable"
    tax_class: str = ""
    virtual: bool = False
    downloadable: bool = False
    description: str = ""
    short_description: str = ""
    parent_id: int = 0
    image_id: int = 0
    categories: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    variation_ids: list[int] = field(default_factory=list)
    manage_stock: bool = False
    stock_quantity: int | None = None
    total_sales: int = 0
    meta: list[Meta] = field(default_factory=list)
    trashed_status: str | None = None

    @property
    def price(self) -> str:
        """The active price: the sale price when set."""
        return self.sale_price or self.regular_price


@dataclass
class Coupon:
    """A ``shop_coupon``: ``percent`` or ``fixed_cart``."""

    id: int
    code: str
    discount_type: str
    amount: Decimal


@dataclass
class Webhook:
    """A row of ``wc_webhooks``."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    user_id: int
    api_version: str
    date_created: datetime
    date_modified: datetime
    failure_count: int = 0

    @property
    def resource(self) -> str:
        """``order`` for ``order.updated``; ``action`` for custom topics."""
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        """``updated`` for ``order.updated``; the hook name for ``action.*`` topics."""
        return self.topic.split(".", 1)[1] if "." in self.topic else ""


@dataclass
class ApiKey:
    """A row of ``woocommerce_api_keys``; the plain consumer key is kept for inspection."""

    key_id: int
    user_id: int
    description: str
    permissions: str
    consumer_key: str
    consumer_key_hash: str
    consumer_secret: str
    nonces: dict[int, str] = field(default_factory=dict)
    last_access: datetime | None = None

    @property
    def truncated_key(self) -> str:
        """The last 7 characters WooCommerce shows in the admin."""
        return self.consumer_key[-7:]
