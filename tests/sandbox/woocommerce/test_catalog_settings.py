"""Customers, products, variations, taxes, gateways, setting options and system status."""

from __future__ import annotations

import requests

from sandbox.woocommerce import StoreConfig, create_app
from tests.support.waiting import HTTP_TIMEOUT

from .conftest import https, https_get


def test_customers(base: str):
    listed = https_get(base, "/customers", per_page=100)
    assert listed.headers["X-WP-Total"] == "8"
    names = [(c["first_name"], c["last_name"]) for c in listed.json()]
    assert names == sorted(names, key=lambda n: f"{n[0]} {n[1]}".lower())
    duplicate = https(base, "POST", "/customers", {"email": listed.json()[0]["email"]})
    assert duplicate.json()["code"] == "registration-error-email-exists"
    customer = listed.json()[0]
    assert https(base, "DELETE", f"/customers/{customer['id']}").json()["message"] == (
        "Customers do not support trashing."
    )
    assert https(base, "DELETE", f"/customers/{customer['id']}", force="true").status_code == 200
    assert https_get(base, f"/customers/{customer['id']}").json() == {
        "code": "woocommerce_rest_invalid_id",
        "message": "Invalid resource ID.",
        "data": {"status": 404},
    }


def test_products_and_variations(base: str):
    products = https_get(base, "/products", per_page=100).json()
    assert any(p["sku"] == "" for p in products)
    hoodie = next(p for p in products if p["type"] == "variable")
    variations = https_get(base, f"/products/{hoodie['id']}/variations").json()
    assert sorted(v["attributes"][0]["option"] for v in variations) == ["L", "M", "S"]
    assert {v["sku"] for v in variations} == {"HOODIE-S", "", "HOODIE-L"}
    one = https_get(base, f"/products/{hoodie['id']}/variations/{variations[0]['id']}").json()
    assert one["_links"]["up"][0]["href"].endswith(f"/products/{hoodie['id']}")
    clash = https(base, "POST", "/products", {"name": "Copy", "sku": "MUG-01"})
    assert clash.json() == {
        "code": "product_invalid_sku",
        "message": "Invalid or duplicated SKU.",
        "data": {"status": 400},
    }
    created = https(base, "POST", "/products", {"name": "Kete", "regular_price": "30"}).json()
    assert (created["price"], created["sku"], created["status"]) == ("30", "", "publish")


def test_taxes_classes_gateways_and_status(base: str):
    rates = https_get(base, "/taxes").json()
    assert [(r["country"], r["rate"], r["class"]) for r in rates[:4]] == [
        ("NZ", "15.0000", "standard"),
        ("NZ", "5.0000", "reduced-rate"),
        ("NZ", "0.0000", "zero-rate"),
        ("AU", "10.0000", "standard"),
    ]
    assert [r["id"] for r in https_get(base, "/taxes", **{"class": "zero-rate"}).json()] == [3]
    assert [c["slug"] for c in https_get(base, "/taxes/classes").json()] == [
        "standard",
        "reduced-rate",
        "zero-rate",
    ]
    gateways = https_get(base, "/payment_gateways").json()
    assert [g["id"] for g in gateways] == ["bacs", "cheque", "cod", "stripe", "paypal"]
    assert https_get(base, "/payment_gateways/stripe").json()["method_supports"] == [
        "products",
        "refunds",
    ]
    status = https_get(base, "/system_status").json()
    assert (status["environment"]["version"], status["environment"]["wp_version"]) == (
        "7.4.1",
        "6.1.9",
    )
    assert status["settings"]["currency"] == "NZD"


def test_system_status_settings_are_those_of_woocommerce_7_4(base: str):
    settings = https_get(base, "/system_status").json()["settings"]
    assert list(settings) == [
        "api_enabled", "force_ssl", "currency", "currency_symbol", "currency_position",
        "thousand_separator", "decimal_separator", "number_of_decimals", "geolocation_enabled",
        "taxonomies", "product_visibility_terms", "woocommerce_com_connected",
    ]  # fmt: skip
    assert (settings["currency_symbol"], settings["number_of_decimals"]) == ("&#36;", 2)
    assert settings["taxonomies"] == {
        "external": "external", "grouped": "grouped", "simple": "simple", "variable": "variable"
    }  # fmt: skip
    assert list(settings["product_visibility_terms"])[:4] == [
        "exclude-from-catalog", "exclude-from-search", "featured", "outofstock"
    ]  # fmt: skip


def test_prices_include_tax_setting_option(base: str):
    response = https_get(base, "/settings/tax/woocommerce_prices_include_tax")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "woocommerce_prices_include_tax",
        "label": "Prices entered with tax",
        "description": "",
        "type": "radio",
        "default": "no",
        "options": {
            "yes": "Yes, I will enter prices inclusive of tax",
            "no": "No, I will enter prices exclusive of tax",
        },
        "tip": "This option is important as it will affect how you input prices. Changing it"
        " will not update existing products.",
        "value": "yes",  # the default StoreConfig is a New Zealand store entering GST-inclusive
        "_links": {
            "self": [
                {"href": "https://" + base.split("://")[1]
                 + "/wp-json/wc/v3/settings/tax/woocommerce_prices_include_tax"}
            ],
            "collection": [
                {"href": "https://" + base.split("://")[1] + "/wp-json/wc/v3/settings/tax"}
            ],
        },
    }  # fmt: skip
    group = https_get(base, "/settings/tax").json()
    assert [s["id"] for s in group] == ["woocommerce_prices_include_tax"]
    assert https_get(base, "/settings/tax/nope").json() == {
        "code": "rest_setting_setting_invalid",
        "message": "Invalid setting.",
        "data": {"status": 404},
    }
    assert https_get(base, "/settings/nope/woocommerce_prices_include_tax").json() == {
        "code": "rest_setting_setting_group_invalid",
        "message": "Invalid setting group.",
        "data": {"status": 404},
    }
    anonymous = requests.get(
        f"{base}/wp-json/wc/v3/settings/tax/woocommerce_prices_include_tax", timeout=HTTP_TIMEOUT
    )
    assert (anonymous.status_code, anonymous.json()["code"]) == (
        401,
        "woocommerce_rest_cannot_view",
    )


def test_prices_include_tax_follows_the_store_config():
    config = StoreConfig(seed=2, orders=2, prices_include_tax=False)
    client = create_app(config, "https://shop.example").test_client()
    response = client.get(
        "/wp-json/wc/v3/settings/tax/woocommerce_prices_include_tax",
        auth=(config.consumer_key, config.consumer_secret),
        headers={"X-Forwarded-Proto": "https"},
    )
    assert (response.status_code, response.get_json()["value"]) == (200, "no")
