"""Taxes, tax classes, payment gateways, setting options, system status and the route indexes.

Sourced: the system status ``settings`` section has exactly the keys of WooCommerce 7.4's
``WC_REST_System_Status_V2_Controller::get_settings`` (``api_enabled`` … ``taxonomies``,
``product_visibility_terms``, ``woocommerce_com_connected``; the download-directory and HPOS
keys only reached the REST report in 7.7, woocommerce PR #37425); whether prices include tax
is read from ``GET /settings/tax/woocommerce_prices_include_tax`` (``WC_REST_Setting_Options``:
the setting as ``WC_Register_WP_Admin_Settings`` registers it, ``id, label, description,
type, default, options, tip, value`` plus ``self``/``collection`` links; unknown group 404
``rest_setting_setting_group_invalid``, unknown setting 404 ``rest_setting_setting_invalid``).
Assumed: a setting group lists only the settings the sandbox models (the tax group has just
``woocommerce_prices_include_tax``); the indexes list every sandbox route with its methods but
no argument schemas; the rest of the system status report carries the sections integrations
read (environment, settings, active plugins, security, pages) with values of a plain
WordPress 6.1 / WooCommerce 7.4 site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...render import resources as render_resources
from ...render.view import CURRENCY_SYMBOLS, href
from ...state import sandbox
from ..collection import listing, page_params
from ..errors import RestError
from ..router import READABLE, Call, Reply, Router


def list_taxes(call: Call) -> Reply:
    """``GET /taxes`` (default order: ``order`` ascending)."""
    p = call.params
    page = page_params(p)
    orderby = p.enum("orderby", "order", ("id", "order", "priority"))
    descending = p.enum("order", "asc", ("asc", "desc")) == "desc"
    tax_class = p.string("class")
    p.check()
    call.permit()
    rates = [
        r
        for r in call.store.config.tax_rates
        if not tax_class or (r.tax_class or "standard") == tax_class
    ]
    keys = {"id": lambda r: r.rate_id, "order": lambda r: r.order, "priority": lambda r: r.priority}
    rates.sort(key=lambda r: (keys[orderby](r), r.rate_id), reverse=descending)
    return listing(call, rates, page, "/taxes", lambda r: render_resources.tax_rate(call.view, r))


def get_tax(call: Call) -> Reply:
    """``GET /taxes/<id>``."""
    call.permit()
    rate = next((r for r in call.store.config.tax_rates if r.rate_id == call.id()), None)
    if rate is None:
        raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return Reply(render_resources.tax_rate(call.view, rate))


def tax_classes(call: Call) -> Reply:
    """``GET /taxes/classes``."""
    call.permit()
    return Reply(render_resources.tax_classes(call.view))


def gateways(call: Call) -> Reply:
    """``GET /payment_gateways``."""
    call.permit()
    specs = call.store.config.gateways
    return Reply([render_resources.gateway(call.view, g, i) for i, g in enumerate(specs)])


def gateway(call: Call) -> Reply:
    """``GET /payment_gateways/<id>``."""
    call.permit()
    specs = call.store.config.gateways
    for position, spec in enumerate(specs):
        if spec.gateway_id == call.url_params["id"]:
            return Reply(render_resources.gateway(call.view, spec, position))
    raise RestError("woocommerce_rest_payment_gateway_invalid", "Invalid payment gateway ID.", 404)


_PRICES_INCLUDE_TAX_TIP = (
    "This option is important as it will affect how you input prices. Changing it will not"
    " update existing products."
)


def _setting_groups(call: Call) -> dict[str, list[dict[str, Any]]]:
    """The modelled settings per group, with their current values, in admin-page order."""
    cfg = call.store.config
    return {
        "tax": [
            {
                "id": "woocommerce_prices_include_tax",
                "label": "Prices entered with tax",
                "description": "",
                "type": "radio",
                "default": "no",
                "options": {
                    "yes": "Yes, I will enter prices inclusive of tax",
                    "no": "No, I will enter prices exclusive of tax",
                },
                "tip": _PRICES_INCLUDE_TAX_TIP,
                "value": "yes" if cfg.prices_include_tax else "no",
            }
        ],
    }


def _setting_reply(call: Call, group_id: str, setting: dict[str, Any]) -> dict[str, Any]:
    base = f"/settings/{group_id}"
    return {
        **setting,
        "_links": {
            "self": href(call.view.url(f"{base}/{setting['id']}")),
            "collection": href(call.view.url(base)),
        },
    }


def _group(call: Call) -> list[dict[str, Any]]:
    group = _setting_groups(call).get(call.url_params["group_id"])
    if not group:
        raise RestError("rest_setting_setting_group_invalid", "Invalid setting group.", 404)
    return group


def setting_options(call: Call) -> Reply:
    """``GET /settings/<group_id>``."""
    call.permit()
    group_id = call.url_params["group_id"]
    return Reply([_setting_reply(call, group_id, s) for s in _group(call)])


def setting_option(call: Call) -> Reply:
    """``GET /settings/<group_id>/<id>``."""
    call.permit()
    group_id = call.url_params["group_id"]
    for setting in _group(call):
        if setting["id"] == call.url_params["id"]:
            return Reply(_setting_reply(call, group_id, setting))
    raise RestError("rest_setting_setting_invalid", "Invalid setting.", 404)


def system_status(call: Call) -> Reply:
    """``GET /system_status``."""
    call.permit()
    cfg = call.store.config
    home = call.store.home_url.rstrip("/")
    return Reply(
        {
            "environment": {
                "home_url": home,
                "site_url": home,
                "version": cfg.woocommerce_version,
                "wp_version": cfg.wordpress_version,
                "wp_multisite": False,
                "wp_memory_limit": 268435456,
                "wp_debug_mode": False,
                "wp_cron": True,
                "language": "en_US",
                "external_object_cache": None,
                "server_info": "Apache/2.4.57 (Debian)",
                "php_version": "8.2.7",
                "php_post_max_size": 8388608,
                "php_max_execution_time": 30,
                "php_max_input_vars": 1000,
                "curl_version": "7.88.1, OpenSSL/3.0.9",
                "suhosin_installed": False,
                "max_upload_size": 2097152,
                "mysql_version": "10.11.3",
                "mysql_version_string": "10.11.3-MariaDB-1",
                "default_timezone": "UTC",
                "fsockopen_or_curl_enabled": True,
                "soapclient_enabled": False,
                "domdocument_enabled": True,
                "gzip_enabled": True,
                "mbstring_enabled": True,
                "remote_post_successful": True,
                "remote_post_response": 200,
                "remote_get_successful": True,
                "remote_get_response": 200,
            },
            "database": {"wc_database_version": cfg.woocommerce_version, "database_prefix": "wp_"},
            "active_plugins": [
                {
                    "plugin": "woocommerce/woocommerce.php",
                    "name": "WooCommerce",
                    "version": cfg.woocommerce_version,
                    "version_latest": cfg.woocommerce_version,
                    "url": "https://woocommerce.com/",
                    "author_name": "Automattic",
                    "author_url": "https://woocommerce.com",
                    "network_activated": False,
                }
            ],
            "inactive_plugins": [],
            "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
            "theme": {"name": "Storefront", "version": "4.2.0", "is_child_theme": False},
            "settings": {
                "api_enabled": False,
                "force_ssl": False,
                "currency": cfg.currency,
                "currency_symbol": CURRENCY_SYMBOLS.get(cfg.currency, cfg.currency),
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": cfg.decimals,
                "geolocation_enabled": False,
                "taxonomies": {
                    "external": "external",
                    "grouped": "grouped",
                    "simple": "simple",
                    "variable": "variable",
                },
                "product_visibility_terms": {
                    term: term
                    for term in (
                        "exclude-from-catalog",
                        "exclude-from-search",
                        "featured",
                        "outofstock",
                        *(f"rated-{n}" for n in range(1, 6)),
                    )
                },
                "woocommerce_com_connected": "no",
            },
            "security": {"secure_connection": home.startswith("https"), "hide_errors": True},
            "pages": [],
            "post_type_counts": [
                {"type": "product", "count": str(len(call.store.products))},
                {"type": "shop_order", "count": str(len(call.store.orders))},
            ],
        }
    )


def _describe(call: Call, namespace: str | None) -> dict[str, Any]:
    routes: dict[str, Any] = {}
    base = call.store.home_url + "wp-json"
    for route in sandbox().router.routes:
        if namespace is not None and route.namespace != namespace:
            continue
        methods = sorted(route.endpoints, key=["GET", "POST", "PUT", "PATCH", "DELETE"].index)
        entry: dict[str, Any] = {
            "namespace": route.namespace,
            "methods": methods,
            "endpoints": [{"methods": [m], "args": {}} for m in methods],
        }
        if "(?P<" not in route.pattern:
            entry["_links"] = {"self": [{"href": base + route.pattern}]}
        routes[route.pattern] = entry
    return routes


def namespace_index(call: Call) -> Reply:
    """``GET /wp-json/wc/v3``."""
    return Reply(
        {
            "namespace": "wc/v3",
            "routes": _describe(call, "wc/v3"),
            "_links": {"up": [{"href": call.store.home_url + "wp-json/"}]},
        }
    )


def site_index(call: Call) -> Reply:
    """``GET /wp-json/``."""
    home = call.store.home_url.rstrip("/")
    offset = datetime.now(call.store.zone).utcoffset()
    return Reply(
        {
            "name": call.store.config.site_name,
            "description": "",
            "url": home,
            "home": home,
            "gmt_offset": int(offset.total_seconds() // 3600) if offset else 0,
            "timezone_string": call.store.config.timezone,
            "namespaces": ["oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2"],
            "authentication": [],
            "routes": _describe(call, None),
            "site_logo": 0,
            "site_icon": 0,
            "site_icon_url": "",
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }
    )


def register(router: Router) -> None:
    """Add the settings and index routes."""
    router.add("/", READABLE, site_index, "view", namespace="", public=True)
    router.add("/wc/v3", READABLE, namespace_index, "view", public=True)
    router.add("/wc/v3/taxes", READABLE, list_taxes, "list")
    router.add(r"/wc/v3/taxes/(?P<id>[\d]+)", READABLE, get_tax, "view")
    router.add("/wc/v3/taxes/classes", READABLE, tax_classes, "list")
    router.add("/wc/v3/payment_gateways", READABLE, gateways, "list")
    router.add(r"/wc/v3/payment_gateways/(?P<id>[\w-]+)", READABLE, gateway, "view")
    router.add(r"/wc/v3/settings/(?P<group_id>[\w-]+)", READABLE, setting_options, "list")
    router.add(
        r"/wc/v3/settings/(?P<group_id>[\w-]+)/(?P<id>[\w-]+)", READABLE, setting_option, "list"
    )
    router.add("/wc/v3/system_status", READABLE, system_status, "list")
