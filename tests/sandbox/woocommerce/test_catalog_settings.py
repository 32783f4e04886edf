"""Customers, products, variations, taxes, gateways and system status."""

from __future__ import annotations

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
