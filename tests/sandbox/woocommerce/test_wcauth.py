"""wc-auth: /wc-auth/v1/authorize, the grant page, the key POST and the redirects."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import requests
from woocommerce import API

from tests.support.waiting import HTTP_TIMEOUT

from .conftest import Receiver, control


def _params(callback: str, **extra: str) -> dict[str, str]:
    return {
        "app_name": "Wooxero",
        "scope": "read_write",
        "user_id": "tenant-42",
        "return_url": "https://app.example/return",
        "callback_url": callback,
        **extra,
    }


def _authorize(base: str, params: dict[str, str]) -> requests.Response:
    return requests.get(
        f"{base}/wc-auth/v1/authorize", params=params, allow_redirects=False, timeout=HTTP_TIMEOUT
    )


def test_validation_errors_are_wp_die_pages(base: str, receiver: Receiver):
    missing = _authorize(base, {"scope": "read"})
    assert missing.status_code == 401
    assert "<title>Access denied</title>" in missing.text
    assert "Error: Missing parameter app_name." in missing.text
    scope = _authorize(base, _params("https://cb.example/", scope="admin"))
    assert "Error: Invalid scope admin." in scope.text
    plain = _authorize(base, _params(receiver.url))
    assert "Error: The callback_url needs to be over SSL." in plain.text


def test_approve_posts_the_key_and_redirects(base: str, receiver: Receiver):
    control(base, "config", {"allow_http_callback": True})
    page = _authorize(base, _params(receiver.url))
    assert page.status_code == 200
    assert "View and manage orders and sales reports" in page.text
    approve = html.unescape(
        re.search(r'href="([^"]+)" class="button button-primary', page.text).group(1)
    )
    deny = html.unescape(
        re.search(r'href="([^"]+)" class="button wc-auth-deny', page.text).group(1)
    )
    assert parse_qs(urlsplit(deny).query) == {"success": ["0"], "user_id": ["tenant-42"]}
    granted = requests.get(approve, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert granted.status_code == 302
    assert granted.headers["Location"] == "https://app.example/return?success=1&user_id=tenant-42"
    posted = receiver.wait(1, signed=False)[0]
    assert posted["headers"]["Content-Type"] == "application/json;charset=UTF-8"
    data = json.loads(posted["body"])
    assert list(data) == ["key_id", "user_id", "consumer_key", "consumer_secret", "key_permissions"]
    assert (data["user_id"], data["key_permissions"]) == ("tenant-42", "read_write")
    assert re.fullmatch(r"ck_[0-9a-f]{40}", data["consumer_key"])
    assert re.fullmatch(r"cs_[0-9a-f]{40}", data["consumer_secret"])
    client = API(
        url=base, consumer_key=data["consumer_key"], consumer_secret=data["consumer_secret"]
    )
    assert client.get("system_status").json()["environment"]["version"] == "7.4.1"


def test_callback_must_answer_200(base: str, receiver: Receiver):
    control(base, "config", {"allow_http_callback": True, "auto_approve": True})
    receiver.status = 201
    before = len(requests.get(f"{base}/_sandbox/keys", timeout=HTTP_TIMEOUT).json())
    failed = _authorize(base, _params(receiver.url))
    assert failed.status_code == 401
    assert "unable to send the consumer data" in failed.text
    assert len(requests.get(f"{base}/_sandbox/keys", timeout=HTTP_TIMEOUT).json()) == before
    receiver.status = 200
    approved = _authorize(base, _params(receiver.url))
    assert approved.status_code == 302
    assert len(requests.get(f"{base}/_sandbox/keys", timeout=HTTP_TIMEOUT).json()) == before + 1
