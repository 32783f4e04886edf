"""Deterministic store data per ``seed``: catalog, customers, coupons and varied orders.

The data exercise what integrations trip over: inclusive and exclusive pricing (store setting
plus orders placed under the other setting), standard, reduced and zero-rated lines, Canadian
orders with two taxes on a line (British Columbia: GST and PST, priorities 1 and 2, every
ninth order from the sixth) and, when the store has its rates, with a compound tax (Prince
Edward Island, every ninth order from the ninth), shipping with tax, positive and negative fees,
percent and fixed-cart coupons, guests and registered customers, foreign currencies,
variations, products without SKU and every order status; what happens after checkout is in
``history`` (payments, refunds). Timestamps are offsets before the moment the data is
generated (so only they differ between runs).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ..php.money import ZERO, round_dp
from ..totals.calculator import price_at_checkout
from . import history
from .database import Store
from .models import Coupon, CouponLine, Customer, FeeLine, LineItem, Order, Product, ShippingLine

RATES = {"NZD": Decimal(1), "AUD": Decimal("0.92"), "USD": Decimal("0.61")}
_FIRST = (
    "Aroha",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Finn",
    "Grace",
    "Hemi",
    "Isla",
    "Jack",
    "Kiri",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Tane",
)
_LAST = (
    "Ngata",
    "Smith",
    "Wilson",
    "Patel",
    "Brown",
    "Taylor",
    "Chen",
    "Walker",
    "Singh",
    "Martin",
    "Parata",
    "Young",
)
_ADDRESSES = (
    ("NZ", "AUK", "Auckland", "1010", "12 Queen Street"),
    ("NZ", "WGN", "Wellington", "6011", "4 Cuba Street"),
    ("NZ", "CAN", "Christchurch", "8011", "88 Colombo Street"),
    ("NZ", "OTA", "Dunedin", "9016", "3 George Street"),
    ("AU", "NSW", "Sydney", "2000", "200 George Street"),
    ("CA", "BC", "Vancouver", "V6B 1A1", "555 Granville Street"),
    ("US", "CA", "San Francisco", "94103", "969 Market"),
)
_PLACES = (*_ADDRESSES, ("CA", "PE", "Charlottetown", "C1A 4P3", "97 Queen Street"))
"""Where orders are shipped: the customers' addresses and one only orders use."""
_STATUS_CYCLE = (
    "processing",
    "completed",
    "pending",
    "on-hold",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "completed",
    "processing",
)
_PRODUCTS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("Merino Beanie", "BEANIE-01", "39.90", "", "", False),
    ("Flat White Beans 1kg", "COFFEE-1KG", "45.00", "", "reduced-rate", False),
    ("Gift Card", "", "50", "", "zero-rate", True),
    ("Sticker Pack", "", "4.50", "", "", False),
    ("Ceramic Mug", "MUG-01", "19.95", "17.50", "", False),
    ("Tea Towel", "TOWEL-01", "12", "", "", False),
    ("Notebook", "NOTE-A5", "8.99", "", "", False),
    ("Canvas Tote", "", "24", "", "", False),
)


@dataclass
class Basket:
    """What a shopper checks out."""

    lines: list[tuple[Product, int]]
    coupons: list[str] = field(default_factory=list)
    fees: list[tuple[str, Decimal, str]] = field(default_factory=list)
    shipping: tuple[str, str, str, Decimal] | None = None


def populate(store: Store) -> None:
    """Fill an empty store and register the configured API key."""
    cfg = store.config
    rng = random.Random(cfg.seed)  # noqa: S311 - test data
    anchor = store.now()
    store.add_key(cfg.consumer_key, cfg.consumer_secret, "read_write", "wooxero sandbox - API")
    with store.muted():
        _coupons(store)
        catalog = _catalog(store, rng, anchor - timedelta(days=120))
        people = _customers(store, rng, anchor - timedelta(days=90))
        placed = [_order(store, rng, anchor, index, catalog, people) for index in range(cfg.orders)]
        for order in sorted(placed, key=lambda o: o.date_created):
            history.after_sale(store, rng, order, anchor)


def _coupons(store: Store) -> None:
    for code, kind, amount in (
        ("save10", "percent", "10"),
        ("fiver", "fixed_cart", "5"),
        ("welcome15", "percent", "15"),
    ):
        store.coupons[code] = Coupon(store.next_post_id(), code, kind, Decimal(amount))


def _catalog(store: Store, rng: random.Random, born: datetime) -> list[Product]:
    products: list[Product] = []
    for index in range(store.config.products):
        when = born + timedelta(hours=index * 7)
        if index == 3:
            products += _hoodie(store, when)
            continue
        position = index - (index > 3)
        if position < len(_PRODUCTS):
            name, sku, price, sale, tax_class, virtual = _PRODUCTS[position]
        else:
            cents = rng.choice(("00", "50", "95"))
            name, sku, price = (
                f"Product {index}",
                f"SKU-{index:03d}",
                f"{rng.randint(5, 90)}.{cents}",
            )
            sale, tax_class, virtual = "", "", False
        product = Product(
            store.next_post_id(),
            name,
            name.lower().replace(" ", "-"),
            "simple",
            when,
            when,
            price,
            sale,
            sku,
            tax_class=tax_class,
            virtual=virtual,
            downloadable=virtual,
            image_id=0 if virtual else 900 + index,
        )
        product.categories = [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}]
        store.products[product.id] = product
        products.append(product)
    return products


def _hoodie(store: Store, when: datetime) -> list[Product]:
    parent = Product(
        store.next_post_id(),
        "Hoodie",
        "hoodie",
        "variable",
        when,
        when,
        "",
        sku="HOODIE",
        image_id=950,
    )
    parent.attributes = [
        {
            "id": 1,
            "name": "Size",
            "position": 0,
            "visible": True,
            "variation": True,
            "options": ["S", "M", "L"],
        }
    ]
    store.products[parent.id] = parent
    variations = []
    for size, price, sku in (("S", "79", "HOODIE-S"), ("M", "79", ""), ("L", "85", "HOODIE-L")):
        variation = Product(
            store.next_post_id(),
            "Hoodie",
            f"hoodie-{size.lower()}",
            "variation",
            when,
            when,
            price,
            sku=sku,
            parent_id=parent.id,
        )
        variation.attributes = [{"id": 1, "name": "Size", "slug": "pa_size", "option": size}]
        store.products[variation.id] = variation
        parent.variation_ids.append(variation.id)
        variations.append(variation)
    parent.regular_price = ""
    return variations


def _customers(store: Store, rng: random.Random, born: datetime) -> list[Customer]:
    people = []
    for index in range(store.config.customers):
        first, last = _FIRST[index % len(_FIRST)], rng.choice(_LAST)
        email = f"{first.lower()}.{last.lower()}{index}@example.com"
        when = born + timedelta(days=index * 3, minutes=rng.randint(0, 600))
        customer = Customer(
            store.next_user_id(), email, first, last, f"{first.lower()}{index}", when, when
        )
        country, state, city, postcode, street = _ADDRESSES[index % len(_ADDRESSES)]
        address = {
            "first_name": first,
            "last_name": last,
            "company": "",
            "address_1": street,
            "address_2": "",
            "city": city,
            "state": state,
            "postcode": postcode,
            "country": country,
        }
        customer.billing.update(address, email=email, phone=f"021{rng.randint(1000000, 9999999)}")
        customer.shipping.update(address)
        store.customers[customer.id] = customer
        people.append(customer)
    return people


def _pick_lines(rng: random.Random, catalog: list[Product]) -> list[tuple[Product, int]]:
    chosen = rng.sample(catalog, k=min(len(catalog), rng.choice((1, 1, 2, 2, 3))))
    return [(product, rng.choice((1, 1, 1, 2, 3))) for product in chosen]


def _order(
    store: Store,
    rng: random.Random,
    anchor: datetime,
    index: int,
    catalog: list[Product],
    people: list[Customer],
) -> Order:
    cfg = store.config
    created = anchor - timedelta(days=60) + timedelta(hours=index * 30, minutes=rng.randint(0, 59))
    customer = None if index % 4 == 3 else rng.choice(people)
    drawn = "CA" if index % 9 == 5 else rng.choice(("NZ", "NZ", "NZ", "AU", "US", "NZ"))
    pei = index % 9 == 8 and any(r.state == "PE" for r in cfg.tax_rates)
    country, state = ("CA", "PE") if pei else (drawn, "")
    currency = cfg.currency if index % 6 else rng.choice(("USD", "AUD"))
    basket = Basket(_pick_lines(rng, catalog))
    if index % 4 == 1:
        basket.coupons.append(rng.choice(sorted(store.coupons)))
    if index % 7 == 2:
        basket.fees.append(("Gift wrapping", Decimal(5), "taxable"))
    if index % 10 == 4:
        basket.fees.append(("Loyalty discount", Decimal(-3), "none"))
    if index % 8 != 6:
        cost = Decimal(8) if country == "NZ" else Decimal(15)
        basket.shipping = (
            ("Flat rate", "flat_rate", "1", cost)
            if index % 5
            else ("Free shipping", "free_shipping", "2", ZERO)
        )
    inclusive = cfg.prices_include_tax if index % 5 != 2 else not cfg.prices_include_tax
    gateways = [g for g in cfg.gateways if g.enabled] or list(cfg.gateways)
    gateway = gateways[index % len(gateways)]
    order = checkout(
        store,
        rng,
        created,
        customer,
        basket,
        currency,
        inclusive,
        gateway.gateway_id,
        country,
        "admin" if index % 11 == 10 else "checkout",
        state,
    )
    status = _STATUS_CYCLE[index] if index < len(_STATUS_CYCLE) else rng.choice(_STATUS_CYCLE[:7])
    order.meta.append(store.meta("_target_status", status))
    return order


def checkout(
    store: Store,
    rng: random.Random,
    when: datetime,
    customer: Customer | None,
    basket: Basket,
    currency: str,
    inclusive: bool,
    gateway_id: str,
    country: str = "",
    created_via: str = "checkout",
    state: str = "",
) -> Order:
    """Place a pending order the way checkout does (cart totals)."""
    cfg = store.config
    order_id = store.next_post_id()
    key = "wc_order_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(13))
    order = Order(
        order_id,
        key,
        store.next_order_number(order_id),
        created_via,
        cfg.woocommerce_version,
        "pending",
        currency,
        inclusive,
        when,
        when,
    )
    if cfg.order_number_prefix is not None:
        order.meta.append(store.meta("_order_number", order.number))
    _addresses(rng, order, customer, country, state)
    gateway = next(g for g in cfg.gateways if g.gateway_id == gateway_id)
    order.payment_method, order.payment_method_title = gateway.gateway_id, gateway.title
    if created_via == "checkout":
        order.customer_ip_address = f"203.0.113.{rng.randint(2, 254)}"
        order.customer_user_agent = (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"
        )
        order.cart_hash = f"{rng.getrandbits(128):032x}"
    rate = RATES.get(currency, Decimal(1)) / RATES.get(cfg.currency, Decimal(1))
    prices: dict[int, Decimal] = {}
    for product, quantity in basket.lines:
        parent = store.products.get(product.parent_id)
        item = LineItem(
            store.next_item_id(),
            _item_name(product, parent),
            parent.id if parent else product.id,
            product.id if parent else 0,
            quantity,
            product.tax_class,
            product.tax_status,
        )
        if parent:
            item.meta = [store.meta(a["slug"], a["option"].lower()) for a in product.attributes]
        order.line_items.append(item)
        prices[item.id] = round_dp(Decimal(product.price) * rate, cfg.decimals)
    for code in basket.coupons:
        order.coupon_lines.append(CouponLine(store.next_item_id(), code))
    for name, amount, tax_status in basket.fees:
        order.fee_lines.append(
            FeeLine(store.next_item_id(), name, str(amount), amount, tax_status=tax_status)
        )
    if basket.shipping:
        title, method, instance, cost = basket.shipping
        line = ShippingLine(
            store.next_item_id(), title, method, instance, round_dp(cost * rate, cfg.decimals)
        )
        names = ", ".join(f"{i.name} &times; {i.quantity}" for i in order.line_items)
        line.meta.append(store.meta("Items", names))
        order.shipping_lines.append(line)
    coupons = [store.coupons[c] for c in basket.coupons]
    price_at_checkout(order, prices, coupons, store.tax_context())
    order.meta.append(store.meta("is_vat_exempt", "no"))
    store.orders[order.id] = order
    return order


def _item_name(product: Product, parent: Product | None) -> str:
    if parent is None:
        return product.name
    return f"{parent.name} - {', '.join(a['option'] for a in product.attributes)}"


def _addresses(
    rng: random.Random, order: Order, customer: Customer | None, country: str, state: str
) -> None:
    if customer is not None:
        order.customer_id = customer.id
        order.billing.update(customer.billing)
        order.shipping.update({k: v for k, v in customer.shipping.items() if k in order.shipping})
    else:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        order.billing.update(
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@guest.example.com",
            phone=f"027{rng.randint(1000000, 9999999)}",
        )
        order.shipping.update(first_name=first, last_name=last)
    if country:
        match = next((a for a in _PLACES if a[0] == country and state in ("", a[1])), None)
        if match is None:
            raise ValueError(f"no address in {country} {state}".strip())
        place = dict(zip(("country", "state", "city", "postcode", "address_1"), match, strict=True))
        order.shipping.update(place)
        order.billing.update(place)
