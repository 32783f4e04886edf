import base64
import json
import random
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from server.connectors.woocommerce.client import WooClient, WooStoreConfig

HTTPS = "https://shop.example"
API = f"{HTTPS}/wp-json/wc/v3"


def client(url: str = HTTPS, sleeps: list | None = None, before=lambda: None) -> WooClient:
    config = WooStoreConfig(url=url, consumer_key="ck_key", consumer_secret="cs_secret", timeout=5)
    return WooClient(
        config, sleep=(sleeps if sleeps is not None else []).append, before_call=before
    )


@responses.activate
def test_https_uses_basic_auth():
    responses.get(f"{API}/orders/7", json={"id": 7})
    assert client().order(7) == {"id": 7}
    sent = responses.calls[0].request
    assert (
        sent.headers["Authorization"] == "Basic " + base64.b64encode(b"ck_key:cs_secret").decode()
    )
    assert "consumer_secret" not in sent.url


@responses.activate
def test_plain_http_signs_with_oauth1_in_the_query():
    responses.get("http://shop.example/wp-json/wc/v3/orders", json=[])
    client("http://shop.example").get("orders", {"status": "processing"})
    sent = responses.calls[0].request
    query = parse_qs(urlsplit(sent.url).query)
    assert "Authorization" not in sent.headers
    assert query["oauth_consumer_key"] == ["ck_key"]
    assert query["oauth_signature_method"] == ["HMAC-SHA256"]
    assert query["oauth_signature"] and query["status"][0] == "processing"
    assert "cs_secret" not in sent.url


@responses.activate
def test_iterate_follows_x_wp_totalpages():
    for page in (1, 2, 3):
        responses.get(
            f"{API}/orders",
            json=[{"id": page}],
            headers={"X-WP-TotalPages": "3", "X-WP-Total": "3"},
        )
    assert [order["id"] for order in client().iterate("orders")] == [1, 2, 3]
    pages = [parse_qs(urlsplit(c.request.url).query)["page"] for c in responses.calls]
    assert pages == [["1"], ["2"], ["3"]]
    assert parse_qs(urlsplit(responses.calls[0].request.url).query)["per_page"] == ["100"]


@responses.activate
def test_the_stores_clock_comes_from_the_date_header():
    responses.get(f"{API}/orders", json=[], headers={"Date": "Sun, 22 Nov 2026 10:00:05 GMT"})
    assert client().page("orders", {}, 1).server_time == datetime(
        2026, 11, 22, 10, 0, 5, tzinfo=UTC
    )


@responses.activate
def test_dates_are_sent_as_gmt_without_zone():
    responses.get(f"{API}/orders", json=[])
    client().get(
        "orders",
        {"modified_after": datetime(2026, 11, 22, 10, 0, tzinfo=UTC), "dates_are_gmt": True},
    )
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query["modified_after"] == ["2026-11-22T10:00:00"] and query["dates_are_gmt"] == ["true"]


@responses.activate
def test_the_caller_transaction_ends_before_each_call():
    responses.get(f"{API}/orders/1", json={"id": 1})
    calls = []
    client(before=lambda: calls.append("commit")).order(1)
    assert calls == ["commit"]


@responses.activate
def test_5xx_and_429_are_retried_with_backoff():
    sleeps: list[float] = []
    responses.get(f"{API}/orders/1", status=503, json={"code": "x", "message": "busy"})
    responses.get(
        f"{API}/orders/1",
        status=429,
        json={"code": "x", "message": "slow"},
        headers={"Retry-After": "20"},
    )
    responses.get(f"{API}/orders/1", json={"id": 1})
    assert client(sleeps=sleeps).order(1) == {"id": 1}
    assert len(sleeps) == 2 and sleeps[1] >= 20


@responses.activate
def test_after_the_retries_a_failing_store_is_transient():
    responses.get(
        f"{API}/orders/1", status=500, json={"code": "internal_server_error", "message": "boom"}
    )
    with pytest.raises(TransientError):
        client().order(1)
    assert len(responses.calls) == 4


@responses.activate
def test_a_post_whose_answer_is_lost_is_not_repeated():
    responses.post(f"{API}/orders/1/notes", body=requests.ReadTimeout("slow"))
    with pytest.raises(TransientError) as caught:
        client().add_order_note(1, "Invoice INV-1 created in Xero")
    assert caught.value.uncertain
    assert len(responses.calls) == 1


@responses.activate
def test_a_post_that_never_left_is_retried():
    responses.post(f"{API}/orders/1/notes", body=requests.ConnectTimeout("no route"))
    responses.post(f"{API}/orders/1/notes", json={"id": 9})
    assert client().add_order_note(1, "note") == {"id": 9}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            401,
            {
                "code": "woocommerce_rest_authentication_error",
                "message": "Consumer secret is invalid.",
                "data": {"status": 401},
            },
            AuthError,
        ),
        (
            403,
            {
                "code": "woocommerce_rest_cannot_create",
                "message": "Sorry, you are not allowed",
                "data": {"status": 403},
            },
            AuthError,
        ),
        (
            404,
            {
                "code": "woocommerce_rest_shop_order_invalid_id",
                "message": "Invalid ID.",
                "data": {"status": 404},
            },
            NotFoundError,
        ),
        (
            404,
            {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}},
            PermanentError,
        ),
        (
            400,
            {
                "code": "rest_invalid_param",
                "message": "Invalid parameter(s): per_page",
                "data": {"status": 400},
            },
            ValidationError,
        ),
    ],
)
@responses.activate
def test_each_answer_has_one_error_type(status, body, error):
    responses.get(f"{API}/orders/1", status=status, json=body)
    with pytest.raises(error) as caught:
        client().order(1)
    assert body["message"] in caught.value.message or error is PermanentError


@responses.activate
def test_a_web_page_instead_of_json_is_explained():
    responses.get(
        f"{API}/orders/1",
        status=403,
        body="<html>Blocked by a firewall</html>",
        content_type="text/html",
    )
    with pytest.raises(PermanentError, match="instead of JSON"):
        client().order(1)


@responses.activate
def test_persistent_429_is_a_rate_limit():
    responses.get(
        f"{API}/orders/1",
        status=429,
        json={"code": "x", "message": "slow down"},
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RateLimitError) as caught:
        client().order(1)
    assert caught.value.retry_after == 30


@responses.activate
def test_webhooks_are_created_active_with_our_secret_and_deleted_for_good():
    responses.post(f"{API}/webhooks", json={"id": 3, "status": "active"})
    responses.delete(f"{API}/webhooks/3", json={"id": 3})
    responses.delete(
        f"{API}/webhooks/4",
        status=404,
        json={"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."},
    )
    woo = client()
    woo.create_webhook(
        name="wooxero: order.updated",
        topic="order.updated",
        delivery_url="https://wx/hook",
        secret="s",
    )
    woo.delete_webhook(3)
    woo.delete_webhook(4)  # already gone: fine
    assert json.loads(responses.calls[0].request.body) == {
        "name": "wooxero: order.updated",
        "topic": "order.updated",
        "delivery_url": "https://wx/hook",
        "secret": "s",
        "status": "active",
    }
    assert parse_qs(urlsplit(responses.calls[1].request.url).query)["force"] == ["true"]


@responses.activate
def test_a_stripped_authorization_header_falls_back_to_keys_in_the_query():
    remembered: list[bool] = []
    responses.get(
        f"{API}/orders/7",
        status=401,
        json={"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot view this resource."},
        match=[responses.matchers.query_param_matcher({})],
    )  # fmt: skip
    responses.get(
        f"{API}/orders/7",
        json={"id": 7},
        match=[responses.matchers.query_param_matcher(
            {"consumer_key": "ck_key", "consumer_secret": "cs_secret"}
        )],
    )  # fmt: skip
    store = WooClient(
        WooStoreConfig(url=HTTPS, consumer_key="ck_key", consumer_secret="cs_secret"),
        sleep=lambda _: None, on_query_string_auth=lambda: remembered.append(True),
    )  # fmt: skip
    assert store.order(7) == {"id": 7}
    assert remembered == [True], "the caller is told, to remember it"
    assert store.order(7) == {"id": 7} and len(responses.calls) == 3, "no Basic attempt again"


@responses.activate
def test_wrong_keys_are_refused_both_ways_and_basic_auth_is_kept():
    responses.get(
        f"{API}/orders/7", status=401,
        json={"code": "woocommerce_rest_authentication_error", "message": "Consumer secret is invalid."},
    )  # fmt: skip
    store = client()
    with pytest.raises(AuthError, match="Consumer secret is invalid"):
        store.order(7)
    assert len(responses.calls) == 2
    assert "Authorization" in responses.calls[0].request.headers
    assert "consumer_key=ck_key" in responses.calls[1].request.url
    assert not store.api.query_string_auth


@responses.activate
def test_a_redirect_is_refused_not_followed():
    responses.get(
        f"{API}/system_status",
        status=301,
        headers={"Location": "http://127.0.0.1:9/latest/meta-data"},
    )
    responses.get("http://127.0.0.1:9/latest/meta-data", json={"secret": "internal"})
    with pytest.raises(
        PermanentError, match=r"redirects to http://127\.0\.0\.1:9/latest/meta-data"
    ):
        client().system_status(("environment.version",))
    assert len(responses.calls) == 1


@responses.activate
def test_only_the_fields_asked_for_are_requested_from_the_status_report():
    responses.get(f"{API}/system_status", json={"environment": {"version": "7.4.1"}})
    responses.get(
        f"{API}/settings/tax/woocommerce_prices_include_tax",
        json={"id": "woocommerce_prices_include_tax", "value": "yes"},
    )
    store = client()
    assert store.system_status(("environment.version", "settings.currency")) == {
        "environment": {"version": "7.4.1"}
    }
    assert parse_qs(urlsplit(responses.calls[0].request.url).query)["_fields"] == [
        "environment.version,settings.currency"
    ]
    assert store.setting("tax", "woocommerce_prices_include_tax") == "yes"


@responses.activate
def test_a_lost_answer_to_a_post_behind_a_proxy_is_uncertain():
    responses.post(f"{API}/orders/7/notes", status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(TransientError) as raised:
        client().add_order_note(7, "paid")
    assert raised.value.uncertain and len(responses.calls) == 1


@responses.activate
def test_without_paging_headers_pages_are_read_until_one_is_not_full():
    full = [{"id": n} for n in range(100)]
    responses.get(f"{API}/orders", json=full, match=[responses.matchers.query_param_matcher(
        {"page": "1", "per_page": "100"})])  # fmt: skip
    responses.get(f"{API}/orders", json=[{"id": 100}], match=[responses.matchers.query_param_matcher(
        {"page": "2", "per_page": "100"})])  # fmt: skip
    assert len(list(client().iterate("orders"))) == 101


@responses.activate
def test_an_answer_of_the_wrong_shape_is_refused_plainly():
    responses.get(f"{API}/orders/7", json=["not", "an", "order"])
    with pytest.raises(PermanentError, match="other than a JSON object"):
        client().order(7)


def test_an_unknown_host_never_left_and_is_passing():
    store = client("https://no-such-host.invalid", sleeps=[])
    with pytest.raises(TransientError, match="could not reach the store") as raised:
        store.order(7)
    assert not raised.value.uncertain


def _oauth_nonce(call: responses.Call) -> str:
    return parse_qs(urlsplit(call.request.url).query)["oauth_nonce"][0]


@responses.activate
def test_a_signature_refused_for_its_nonce_is_signed_again_even_for_a_post():
    """WooCommerce checks the nonce before anything else: the refused call did nothing."""
    url = "http://shop.example/wp-json/wc/v3/webhooks"
    refused = {"code": "woocommerce_rest_authentication_error",
               "message": "Invalid nonce - nonce has already been used.", "data": {"status": 401}}  # fmt: skip
    responses.post(url, status=401, json=refused)
    responses.post(url, status=201, json={"id": 5})
    created = client("http://shop.example").create_webhook(
        name="wooxero", topic="order.created", delivery_url="https://x.test/h", secret="s"
    )
    assert created == {"id": 5}
    assert len(responses.calls) == 2
    assert _oauth_nonce(responses.calls[0]) != _oauth_nonce(responses.calls[1])


@responses.activate
@pytest.mark.parametrize(
    "message", ["Invalid nonce - nonce has already been used.", "Invalid timestamp."]
)
def test_signatures_refused_again_and_again_never_ask_for_new_keys(message):
    responses.get(
        "http://shop.example/wp-json/wc/v3/orders/7", status=401,
        json={"code": "woocommerce_rest_authentication_error", "message": message},
    )  # fmt: skip
    with pytest.raises(TransientError, match="15 minutes") as raised:
        client("http://shop.example").order(7)
    assert not isinstance(raised.value, AuthError)
    assert len({_oauth_nonce(call) for call in responses.calls}) == len(responses.calls) > 1


@responses.activate
def test_nonces_owe_nothing_to_the_process_random_state():
    """A process that seeds `random` (a test, a harness, a fork that copied the state) must
    not sign two calls with one nonce: the store would refuse the second."""
    responses.get("http://shop.example/wp-json/wc/v3/orders/7", json={"id": 7})
    state = random.getstate()
    try:
        for _ in range(2):
            random.seed(1)
            client("http://shop.example").order(7)
    finally:
        random.setstate(state)
    assert _oauth_nonce(responses.calls[0]) != _oauth_nonce(responses.calls[1])
