"""WordPress's ``_fields`` parameter and the host quirks: a stripped Authorization header, a
REST redirect after a move, and a proxy that drops the pagination totals."""

from __future__ import annotations

from urllib.parse import unquote

import requests

from tests.support.waiting import HTTP_TIMEOUT

from .conftest import HTTPS, KEY, SECRET, control, https, https_get

CANNOT_LIST = {
    "code": "woocommerce_rest_cannot_view",
    "message": "Sorry, you cannot list resources.",
    "data": {"status": 401},
}


def test_fields_filters_each_item_of_a_list(base: str):
    response = https_get(base, "/orders", per_page=3, _fields="id, status,billing.email")
    assert response.status_code == 200
    orders = response.json()
    assert len(orders) == 3
    for order in orders:
        assert list(order) == ["id", "status", "billing"]
        assert list(order["billing"]) == ["email"]
    # A list's items carry their _links as data, so they go unless asked for.
    with_links = https_get(base, "/orders", per_page=2, _fields="id,_links").json()
    assert [list(o) for o in with_links] == [["id", "_links"], ["id", "_links"]]
    # A dotted path into a list names indexes, as in _rest_array_intersect_key_recursive.
    items = https_get(base, "/orders", per_page=1, _fields="id,line_items.name").json()[0]
    assert items["line_items"] == []
    # A parent asked for whole wins over its sub-paths, in either order.
    both = https_get(base, "/orders", per_page=1, _fields="billing,billing.email").json()[0]
    assert "first_name" in both["billing"]
    both = https_get(base, "/orders", per_page=1, _fields="billing.email,billing").json()[0]
    assert "first_name" in both["billing"]
    # The PHP array form: _fields[]=id&_fields[]=number.
    array_form = requests.get(
        f"{base}/wp-json/wc/v3/orders?per_page=1&_fields[]=id&_fields[]=number",
        auth=(KEY, SECRET),
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    ).json()
    assert list(array_form[0]) == ["id", "number"]


def test_fields_on_single_objects_keeps_the_response_links(base: str):
    order_id = https_get(base, "/orders", per_page=1).json()[0]["id"]
    one = https_get(base, f"/orders/{order_id}", _fields="id,billing.email,billing.nope").json()
    assert list(one) == ["id", "billing", "_links"]
    assert one["billing"] == {"email": one["billing"]["email"]}
    emptied = https_get(base, f"/orders/{order_id}", _fields="shipping.nope").json()
    assert emptied["shipping"] == []  # an emptied PHP array encodes as a JSON list
    status = https_get(
        base, "/system_status", _fields="environment.version,settings.currency"
    ).json()
    assert status == {"environment": {"version": "7.4.1"}, "settings": {"currency": "NZD"}}
    root = requests.get(f"{base}/wp-json/", params={"_fields": "name"}, timeout=HTTP_TIMEOUT).json()
    assert list(root) == ["name", "_links"]
    setting = https_get(base, "/settings/tax/woocommerce_prices_include_tax", _fields="value")
    assert list(setting.json()) == ["value", "_links"]
    created = https(base, "POST", "/orders", {"status": "pending"}, _fields="id,status")
    assert created.status_code == 201
    assert list(created.json()) == ["id", "status", "_links"]


def test_fields_never_touches_errors(base: str):
    missing = https_get(base, "/orders/999999", _fields="id")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message", "data"}
    anonymous = requests.get(
        f"{base}/wp-json/wc/v3/orders", params={"_fields": "id"}, timeout=HTTP_TIMEOUT
    )
    assert anonymous.json() == CANNOT_LIST


def test_stripped_authorization_header_fails_like_missing_credentials(base: str):
    assert https_get(base, "/orders").status_code == 200
    assert control(base, "config", {"strip_authorization_header": True}).json() == {
        "strip_authorization_header": True
    }
    basic = https_get(base, "/orders")
    assert basic.status_code == 401
    assert basic.json() == CANNOT_LIST
    assert "WWW-Authenticate" not in basic.headers
    one = https_get(base, "/orders/12")
    assert one.json()["message"] == "Sorry, you cannot view this resource."
    query = requests.get(
        f"{base}/wp-json/wc/v3/orders",
        params={"consumer_key": KEY, "consumer_secret": SECRET, "per_page": 2},
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    )
    assert query.status_code == 200
    assert len(query.json()) == 2
    # OAuth parameters in an Authorization header are gone too (no header reaches PHP).
    header = requests.get(
        f"{base}/wp-json/wc/v3/orders",
        headers={"Authorization": f'OAuth oauth_consumer_key="{KEY}", oauth_nonce="x"'},
        timeout=HTTP_TIMEOUT,
    )
    assert header.json() == CANNOT_LIST
    control(base, "config", {"strip_authorization_header": False})
    assert https_get(base, "/orders").status_code == 200


def test_redirect_rest_to_answers_301_before_authentication(base: str):
    control(base, "config", {"redirect_rest_to": "https://new.example.com/"})
    for url, expected in (
        (
            f"{base}/wp-json/wc/v3/orders?per_page=5&status[]=processing",
            "https://new.example.com/wp-json/wc/v3/orders?per_page=5&status[]=processing",
        ),
        (f"{base}/wp-json/", "https://new.example.com/wp-json/"),
        (f"{base}/wp-json/wc/v3/nothing", "https://new.example.com/wp-json/wc/v3/nothing"),
    ):
        response = requests.get(
            url, allow_redirects=False, timeout=HTTP_TIMEOUT
        )  # no credentials at all
        assert response.status_code == 301, url
        # werkzeug percent-encodes what is not URI syntax ("[]" → "%5B%5D"): same request.
        assert unquote(response.headers["Location"]) == expected
    posted = requests.post(
        f"{base}/wp-json/wc/v3/orders",
        json={"status": "pending"},
        auth=(KEY, "cs_wrong"),
        headers=HTTPS,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert (posted.status_code, posted.headers["Location"]) == (
        301,
        "https://new.example.com/wp-json/wc/v3/orders",
    )
    # The sandbox's own control surface is not the store's REST API.
    assert requests.get(f"{base}/_sandbox/keys", timeout=HTTP_TIMEOUT).status_code == 200
    assert control(base, "config", {"redirect_rest_to": ""}).status_code == 200
    assert https_get(base, "/orders").status_code == 200


def test_omit_total_headers(base: str):
    full = https_get(base, "/orders", per_page=5)
    assert (full.headers["X-WP-Total"], full.headers["X-WP-TotalPages"]) == ("23", "5")
    control(base, "config", {"omit_total_headers": True})
    for path in ("/orders", "/customers", "/products", "/taxes"):
        stripped = https_get(base, path, per_page=5)
        assert stripped.status_code == 200
        assert "X-WP-Total" not in stripped.headers, path
        assert "X-WP-TotalPages" not in stripped.headers, path
    assert 'rel="next"' in https_get(base, "/orders", per_page=5).headers["Link"]
    control(base, "config", {"omit_total_headers": False})
    assert https_get(base, "/orders", per_page=5).headers["X-WP-Total"] == "23"


def test_knobs_are_validated(base: str):
    assert control(base, "config", {"strip_authorization_header": "yes"}).status_code == 400
    assert control(base, "config", {"omit_total_headers": 1}).status_code == 400
    assert control(base, "config", {"redirect_rest_to": "new.example.com"}).status_code == 400
    assert control(base, "config", {"redirect_rest_to": None}).status_code == 400
    unchanged = https_get(base, "/orders")  # the refused changes changed nothing
    assert (unchanged.status_code, unchanged.headers["X-WP-Total"]) == (200, "23")
