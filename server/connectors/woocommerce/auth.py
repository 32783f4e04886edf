"""WooCommerce's app authorisation (wc-auth): the URL to send the store admin to, and the
keys WooCommerce posts back."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from server import untrusted

AUTHORIZE_PATH = "/wc-auth/v1/authorize"
CALLBACK_FIELDS = {
    "key_id": int, "user_id": str, "consumer_key": str, "consumer_secret": str,
    "key_permissions": str,
}  # fmt: skip


class InvalidKeyGrant(ValueError):  # noqa: N818 - a ValueError by nature
    pass


@dataclass(frozen=True)
class KeyGrant:
    key_id: int
    user_id: str
    consumer_key: str
    consumer_secret: str
    key_permissions: str


def authorization_url(
    store_url: str, *, app_name: str, user_id: str, return_url: str, callback_url: str
) -> str:
    query = urlencode({
        "app_name": app_name, "scope": "read_write", "user_id": user_id,
        "return_url": return_url, "callback_url": callback_url,
    })  # fmt: skip
    return f"{store_url}{AUTHORIZE_PATH}?{query}"


def parse_key_grant(raw_body: bytes) -> KeyGrant:
    """Exactly the JSON WooCommerce posts: five fields of the right types, keys that look
    like WooCommerce keys, read_write permissions."""
    try:
        data = untrusted.loads(raw_body)
    except untrusted.UntrustedJSONError as error:
        raise InvalidKeyGrant(f"the body is {error}") from None
    if not isinstance(data, dict) or set(data) != set(CALLBACK_FIELDS):
        raise InvalidKeyGrant(f"expected exactly the fields {sorted(CALLBACK_FIELDS)}")
    if isinstance(data["user_id"], int) and not isinstance(data["user_id"], bool):
        data["user_id"] = str(data["user_id"])
    for name, kind in CALLBACK_FIELDS.items():
        if not isinstance(data[name], kind) or isinstance(data[name], bool):
            raise InvalidKeyGrant(f"{name} is not a {kind.__name__}")
    if not 0 < data["key_id"] < 2**31:
        raise InvalidKeyGrant("key_id is out of range")
    if any(len(data[name]) > 100 for name in ("user_id", "consumer_key", "consumer_secret")):
        raise InvalidKeyGrant("a field is longer than WooCommerce makes it")
    if not data["consumer_key"].startswith("ck_") or not data["consumer_secret"].startswith("cs_"):
        raise InvalidKeyGrant("the keys do not look like WooCommerce keys (ck_…, cs_…)")
    if data["key_permissions"] != "read_write":
        raise InvalidKeyGrant(f"read_write access is needed, not {data['key_permissions']}")
    return KeyGrant(**data)
