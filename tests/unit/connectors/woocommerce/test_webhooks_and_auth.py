import json
from datetime import UTC, datetime

import pytest

from server.connectors.woocommerce import auth, webhooks
from tests.support.reference import woocommerce_sample
from tests.support.woocommerce_documents import Delivery, store_documents


def sample_delivery() -> Delivery:
    """The signed delivery of WooCommerce's webhook_delivery_example.http: its headers, exact
    body bytes, and what the documentation says it carries."""
    lines = woocommerce_sample("webhook_delivery_example.http").read_bytes().split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(b"POST "))
    blank = lines.index(b"", start)
    headers = dict(line.decode().split(": ", 1) for line in lines[start + 1 : blank])
    return Delivery(
        headers=headers,
        body=lines[blank + 1],
        secret="test-secret",
        topic="order.updated",
        resource_id="727",
        delivery_id="2b2a0f6b5b1c0d4e8f7a6b5c4d3e2f10",
        modified_at=datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC),
    )


@pytest.fixture(
    params=[
        pytest.param("project", id="project"),
        pytest.param("sample", id="sample", marks=pytest.mark.woocommerce_samples),
    ]
)
def delivery(request: pytest.FixtureRequest) -> Delivery:
    """A delivery signed by the sandbox store, and WooCommerce's own sample when available."""
    return store_documents().delivery if request.param == "project" else sample_delivery()


def test_the_delivery_verifies_with_its_secret(delivery: Delivery):
    signature = delivery.headers["X-WC-Webhook-Signature"]
    assert webhooks.signature_is_valid(delivery.body, signature, delivery.secret)
    assert not webhooks.signature_is_valid(delivery.body, signature, "other-secret")


def test_changing_any_single_byte_breaks_the_signature(delivery: Delivery):
    body, secret = delivery.body, delivery.secret
    signature = delivery.headers["X-WC-Webhook-Signature"]
    for position in range(len(body)):  # every byte, with one bit flipped and replaced
        for change in (lambda byte: byte ^ 0x01, lambda byte: (byte + 0x80) % 256):
            changed = bytearray(body)
            changed[position] = change(changed[position])
            valid = webhooks.signature_is_valid(bytes(changed), signature, secret)
            assert not valid, position
    assert not webhooks.signature_is_valid(body + b" ", signature, secret)
    assert not webhooks.signature_is_valid(body[:-1], signature, secret)


def test_the_delivery_is_read(delivery: Delivery):
    read = webhooks.parse_delivery(delivery.body, delivery.headers)
    resource, event = delivery.topic.split(".")
    assert (read.topic, read.resource, read.event) == (delivery.topic, resource, event)
    assert read.resource_id == delivery.resource_id
    assert read.delivery_id == delivery.delivery_id
    assert read.modified_at == delivery.modified_at


def test_a_deletion_carries_only_an_id():
    delivery = webhooks.parse_delivery(b'{"id":5}', {"X-WC-Webhook-Topic": "order.deleted"})
    assert (delivery.resource_id, delivery.modified_at) == ("5", None)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"id": 5}', {}),
        (b'{"id": 5}', {"X-WC-Webhook-Topic": "nonsense"}),
        (b"not json", {"X-WC-Webhook-Topic": "order.updated"}),
        (b"[1, 2]", {"X-WC-Webhook-Topic": "order.updated"}),
        (b'{"id": "5"}', {"X-WC-Webhook-Topic": "order.updated"}),
        (b'{"id": 0}', {"X-WC-Webhook-Topic": "order.updated"}),
        (b'{"id": true}', {"X-WC-Webhook-Topic": "order.updated"}),
        (b'{"id": 99999999999999999999}', {"X-WC-Webhook-Topic": "order.updated"}),
        (b'{"id": 5}', {"X-WC-Webhook-Topic": "order." + "x" * 200}),
        (b'{"id": 5}', {"X-WC-Webhook-Topic": "order.up dated"}),
    ],
)
def test_bodies_that_are_not_deliveries_are_refused(body, headers):
    with pytest.raises(webhooks.InvalidDelivery):
        webhooks.parse_delivery(body, headers)


def test_the_ping_is_recognised_only_without_woocommerce_headers():
    assert webhooks.is_ping(b"webhook_id=142", {"User-Agent": "WooCommerce/7.4.1 Hookshot"})
    assert webhooks.is_ping(b"webhook_id=142\n", {})
    assert not webhooks.is_ping(b"webhook_id=142", {"X-WC-Webhook-Topic": "order.updated"})
    assert not webhooks.is_ping(b"webhook_id=abc", {})
    assert not webhooks.is_ping(b'{"id": 1}', {})


GRANT = {"key_id": 7, "user_id": "store-abc", "consumer_key": "ck_" + "a" * 40,
         "consumer_secret": "cs_" + "b" * 40, "key_permissions": "read_write"}  # fmt: skip


def test_the_key_grant_woocommerce_posts_is_read():
    grant = auth.parse_key_grant(json.dumps(GRANT).encode())
    assert grant == auth.KeyGrant(**GRANT)
    as_number = auth.parse_key_grant(json.dumps({**GRANT, "user_id": 12}).encode())
    assert as_number.user_id == "12"


@pytest.mark.parametrize(
    "body",
    [
        b"nope",
        json.dumps({**GRANT, "extra": 1}).encode(),
        json.dumps({k: v for k, v in GRANT.items() if k != "key_id"}).encode(),
        json.dumps({**GRANT, "key_id": "7"}).encode(),
        json.dumps({**GRANT, "consumer_key": "a" * 43}).encode(),
        json.dumps({**GRANT, "key_permissions": "read"}).encode(),
        json.dumps({**GRANT, "key_id": 2**40}).encode(),
        json.dumps({**GRANT, "key_id": 0}).encode(),
        json.dumps({**GRANT, "user_id": "u" * 101}).encode(),
        b"[" * 100_000,
        json.dumps({**GRANT, "key_id": 7}).encode().replace(b"7", b"NaN"),
    ],
)
def test_anything_else_is_refused(body):
    with pytest.raises(auth.InvalidKeyGrant):
        auth.parse_key_grant(body)


def test_the_authorisation_url():
    url = auth.authorization_url(
        "https://shop.example/store", app_name="wooxero", user_id="abc",
        return_url="https://wx.example/woocommerce/return/abc",
        callback_url="https://wx.example/woocommerce/auth-callback/token",
    )  # fmt: skip
    assert url.startswith("https://shop.example/store/wc-auth/v1/authorize?")
    assert "scope=read_write" in url and "user_id=abc" in url
    assert "callback_url=https%3A%2F%2Fwx.example%2Fwoocommerce%2Fauth-callback%2Ftoken" in url
