"""The store's settings: site, money, taxes, gateways, generated data, keys, delivery, faults
and the quirks of the host in front of the store."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal


@dataclass(frozen=True)
class TaxRateSpec:
    """One row of WooCommerce > Settings > Tax (``tax_class`` "" is the standard class)."""

    rate_id: int
    country: str
    rate: Decimal
    name: str
    tax_class: str = ""
    state: str = ""
    priority: int = 1
    compound: bool = False
    shipping: bool = True
    order: int = 0


@dataclass(frozen=True)
class GatewaySpec:
    """An installed payment gateway; ``refunds`` says whether it supports API refunds."""

    gateway_id: str
    title: str
    method_title: str
    description: str
    enabled: bool = True
    refunds: bool = False


def _default_tax_rates() -> tuple[TaxRateSpec, ...]:
    """New Zealand's GST (standard, reduced, zero), Australia's GST and British Columbia's two
    rates on a line (GST and PST side by side, priorities 1 and 2, PST not on shipping)."""
    return (
        TaxRateSpec(1, "NZ", Decimal("15"), "GST"),
        TaxRateSpec(2, "NZ", Decimal("5"), "GST reduced", tax_class="reduced-rate", order=1),
        TaxRateSpec(3, "NZ", Decimal("0"), "Zero rated", tax_class="zero-rate", order=2),
        TaxRateSpec(4, "AU", Decimal("10"), "GST", order=3),
        TaxRateSpec(5, "CA", Decimal("5"), "GST", state="BC", order=4),
        TaxRateSpec(6, "CA", Decimal("7"), "PST", state="BC", priority=2, shipping=False, order=5),
    )


PRINCE_EDWARD_ISLAND_RATES = (
    TaxRateSpec(7, "CA", Decimal("5"), "GST", state="PE", order=6),
    TaxRateSpec(8, "CA", Decimal("10"), "PST", state="PE", priority=2, compound=True, order=7),
)
"""A compound rate, opt-in: Prince Edward Island as it was before 2013, PST compounded on the
price with GST (on shipping too). Add them to ``tax_rates`` (``--compound-rate`` on the
command line) and the seed ships every ninth order from the ninth there. Not among the
defaults: a store's every rate must be mapped before wooxero syncs, and the server's tests
map the default ones."""


def _default_gateways() -> tuple[GatewaySpec, ...]:
    return (
        GatewaySpec(
            "bacs",
            "Direct bank transfer",
            "Direct bank transfer",
            "Make your payment directly into our bank account.",
        ),
        GatewaySpec(
            "cheque",
            "Check payments",
            "Check payments",
            "Please send a check to Store Name, Store Street, Store Town, Store State / County,"
            " Store Postcode.",
            enabled=False,
        ),
        GatewaySpec("cod", "Cash on delivery", "Cash on delivery", "Pay with cash upon delivery."),
        GatewaySpec(
            "stripe",
            "Credit Card (Stripe)",
            "Stripe",
            "Pay with your credit card via Stripe.",
            refunds=True,
        ),
        GatewaySpec(
            "paypal", "PayPal", "PayPal Standard", "Pay via PayPal.", enabled=False, refunds=True
        ),
    )


@dataclass
class StoreConfig:
    """Everything the sandbox store can be told. Defaults model a New Zealand store.

    ``site_url`` empty means "the sandbox's own base URL" (WordPress home is that plus "/").
    ``order_number_prefix`` set turns on sequential order numbers stored in ``_order_number``
    meta (as the Sequential Order Numbers plugin does), so ``number`` differs from ``id``.
    ``enforce_safe_urls`` applies WordPress's ``wp_http_validate_url`` to deliveries and the
    wc-auth callback (real stores refuse loopback/private hosts and ports other than 80, 443,
    8080); it is off by default so loopback receivers work.

    Host quirks (runtime knobs): ``strip_authorization_header`` drops the ``Authorization``
    header before the store sees it (Apache running PHP as CGI/FastCGI without a rewrite
    rule), so Basic auth and OAuth in a header fail as if no credentials were sent while
    ``consumer_key``/``consumer_secret`` in the query string still work over https;
    ``redirect_rest_to`` non-empty answers every ``/wp-json`` request ``301`` to that base URL
    plus the original path and query, before authentication (a site whose home URL moved);
    ``omit_total_headers`` removes ``X-WP-Total``/``X-WP-TotalPages`` from list responses (a
    CDN or proxy that strips them).
    """

    site_url: str = ""
    site_name: str = "Sandbox Store"
    timezone: str = "Pacific/Auckland"
    woocommerce_version: str = "7.4.1"
    wordpress_version: str = "6.1.9"
    currency: str = "NZD"
    decimals: int = 2
    prices_include_tax: bool = True
    store_country: str = "NZ"
    tax_rates: tuple[TaxRateSpec, ...] = field(default_factory=_default_tax_rates)
    gateways: tuple[GatewaySpec, ...] = field(default_factory=_default_gateways)
    order_number_prefix: str | None = None
    seed: int = 1
    orders: int = 40
    customers: int = 12
    products: int = 10
    consumer_key: str = "ck_b6b30e94e3021ba3a6e440e02bba4a36ab72cc40"
    consumer_secret: str = "cs_2432520338a7faa0502db157e701f93f2c6d80c8"  # noqa: S105
    auto_approve: bool = False
    allow_http_callback: bool = False
    delivery_delay_seconds: float = 0.0
    delivery_timeout_seconds: float = 60.0
    max_delivery_failures: int = 5
    enforce_safe_urls: bool = False
    fail_all_deliveries: bool = False
    error_rate: float = 0.0
    latency_ms: int = 0
    strip_authorization_header: bool = False
    redirect_rest_to: str = ""
    omit_total_headers: bool = False


RUNTIME_KNOBS: frozenset[str] = frozenset(
    {
        "auto_approve",
        "allow_http_callback",
        "delivery_delay_seconds",
        "delivery_timeout_seconds",
        "max_delivery_failures",
        "enforce_safe_urls",
        "fail_all_deliveries",
        "error_rate",
        "latency_ms",
        "strip_authorization_header",
        "redirect_rest_to",
        "omit_total_headers",
    }
)
"""The settings ``POST /_sandbox/config`` may change while the sandbox runs."""

CONFIG_FIELDS: frozenset[str] = frozenset(f.name for f in fields(StoreConfig))
