"""Authentication as WC_REST_Authentication: Basic/query keys over https, OAuth 1.0a over http."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote

import requests
from woocommerce import API

from tests.support.waiting import HTTP_TIMEOUT

from .conftest import HTTPS, KEY, SECRET, control, https, https_get

CANNOT_LIST = {
    "code": "woocommerce_rest_cannot_view",
    "message": "Sorry, you cannot list resources.",
    "data": {"status": 401},
}


def _oauth_url(base: str, path: str, method: str, secret: str, algo: str, **extra: str) -> str:
    """A one-legged OAuth URL signed here, following RFC 5849 / WooCommerce's normalisation."""
    url = f"{base}/wp-json/wc/v3{path}"
    params = {
        "oauth_consumer_key": KEY,
        "oauth_nonce": extra.pop("nonce", f"n{time.time_ns()}"),
        "oauth_signature_method": f"HMAC-{algo.upper()}",
        "oauth_timestamp": extra.pop("timestamp", str(int(time.time()))),
        **extra,
    }
    pairs = "%26".join(
        quote(f"{quote(k, safe='')}={quote(v, safe='')}", safe="")
        for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{quote(url, safe='')}&{pairs}"
    digest = hashlib.sha1 if algo == "sha1" else hashlib.sha256
    signature = base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), digest).digest())
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"{url}?{query}&oauth_signature={quote(signature.decode(), safe='')}"


def test_woocommerce_package_over_http_uses_oauth(wc: API):
    response = wc.get("orders", params={"per_page": 3})
    assert response.status_code == 200, response.text
    assert len(response.json()) == 3
    assert response.headers["X-WP-Total"] == "23"  # 24 generated orders, one in the trash


def test_basic_and_query_keys_are_ignored_over_plain_http(base: str):
    basic = requests.get(f"{base}/wp-json/wc/v3/orders", auth=(KEY, SECRET), timeout=HTTP_TIMEOUT)
    query = requests.get(
        f"{base}/wp-json/wc/v3/orders",
        params={"consumer_key": KEY, "consumer_secret": SECRET},
        timeout=HTTP_TIMEOUT,
    )
    assert basic.status_code == query.status_code == 401
    assert basic.json() == query.json() == CANNOT_LIST


def test_basic_and_query_keys_work_over_https(base: str):
    assert https_get(base, "/orders").status_code == 200
    query = requests.get(
        f"{base}/wp-json/wc/v3/orders",
        params={"consumer_key": KEY, "consumer_secret": SECRET},
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    )
    assert query.status_code == 200
    assert query.json()[0]["_links"]["self"][0]["href"].startswith("https://")


def test_wrong_secret_over_https(base: str):
    response = requests.get(
        f"{base}/wp-json/wc/v3/orders", auth=(KEY, "cs_wrong"), headers=HTTPS, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="WooCommerce API.')


def test_unknown_key_over_https_is_just_unauthenticated(base: str):
    response = requests.get(
        f"{base}/wp-json/wc/v3/orders/12",
        auth=("ck_nope", "cs_nope"),
        headers=HTTPS,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Sorry, you cannot view this resource."


def test_oauth_sha1_and_sha256_signed_independently(base: str):
    for algo in ("sha1", "sha256"):
        url = _oauth_url(base, "/orders", "GET", SECRET, algo, per_page="2")
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, response.text
        assert len(response.json()) == 2


def test_oauth_failures(base: str):
    bad = requests.get(
        _oauth_url(base, "/orders", "GET", "cs_other", "sha256"), timeout=HTTP_TIMEOUT
    )
    assert bad.json()["message"] == "Invalid signature - provided signature does not match."
    old = str(int(time.time()) - 16 * 60)
    stale = requests.get(
        _oauth_url(base, "/orders", "GET", SECRET, "sha256", timestamp=old), timeout=HTTP_TIMEOUT
    )
    assert stale.json()["message"] == "Invalid timestamp."
    url = _oauth_url(base, "/orders", "GET", SECRET, "sha256", nonce="fixed-nonce")
    assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200
    replay = requests.get(url, timeout=HTTP_TIMEOUT)
    assert replay.status_code == 401
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."
    partial = requests.get(
        f"{base}/wp-json/wc/v3/orders?oauth_consumer_key={KEY}", timeout=HTTP_TIMEOUT
    )
    assert partial.json() == {
        "code": "woocommerce_rest_authentication_missing_parameter",
        "message": "Missing OAuth parameters oauth_timestamp, oauth_nonce, oauth_signature, "
        "oauth_signature_method",
        "data": {"status": 401},
    }


def test_read_only_key_cannot_write(base: str):
    key = control(base, "keys", {"permissions": "read"}).json()
    reader = API(url=base, consumer_key=key["consumer_key"], consumer_secret=key["consumer_secret"])
    assert reader.get("orders").status_code == 200
    response = reader.post("orders", {"status": "pending"})
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "The API key provided does not have write permissions.",
        "data": {"status": 401},
    }


def test_errors_in_wordpress_shape(base: str):
    missing = https_get(base, "/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "rest_no_route",
        "message": "No route was found matching the URL and request method.",
        "data": {"status": 404},
    }
    too_many = https_get(base, "/orders", per_page=101)
    assert too_many.status_code == 400
    assert too_many.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            "details": {
                "per_page": {
                    "code": "rest_out_of_bounds",
                    "message": "per_page must be between 1 (inclusive) and 100 (inclusive)",
                    "data": None,
                }
            },
        },
    }
    # WordPress validates parameters before it checks permission.
    anonymous = requests.get(f"{base}/wp-json/wc/v3/orders?per_page=0", timeout=HTTP_TIMEOUT)
    assert anonymous.json()["code"] == "rest_invalid_param"
    bad_json = requests.post(
        f"{base}/wp-json/wc/v3/orders",
        data="{oops",
        headers={**HTTPS, "Content-Type": "application/json"},
        auth=(KEY, SECRET),
        timeout=HTTP_TIMEOUT,
    )
    assert bad_json.json()["code"] == "rest_invalid_json"
    assert https(base, "GET", "/orders", status="shipped").json()["data"]["params"] == {
        "status": "status[0] is not one of any, trash, pending, processing, on-hold, completed,"
        " cancelled, refunded, failed, and checkout-draft."
    }
