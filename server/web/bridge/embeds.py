"""One-time embed tokens: the plugin asks (signed) for a URL that opens one dashboard page
in its iframe; the token in it is valid for 60 seconds, once, for one store, and becomes a
dashboard session bound to that store."""

from __future__ import annotations

import json
import secrets

from server.extensions import current_config
from server.models import Store
from server.redis_client import get_redis

TOKEN_SECONDS = 60
CONNECT_SECONDS = 600  # a connect button may wait on an open page a while
# tokens for the top-level windows (Xero's consent, WooCommerce's wc-auth, the payment
# provider's checkout and portal), not pages
CONNECT_XERO = "connect-xero"
CONNECT_WOOCOMMERCE = "connect-woocommerce"
PAYMENT = "payment"
CONNECTS = (CONNECT_XERO, CONNECT_WOOCOMMERCE, PAYMENT)


def _key(token: str) -> str:
    return f"wooxero:embed:{token}"


def issue(store: Store, target: str) -> str:
    token = secrets.token_urlsafe(32)
    value = json.dumps({"store_id": store.id, "target": target})
    seconds = CONNECT_SECONDS if target in CONNECTS else TOKEN_SECONDS
    get_redis().set(_key(token), value, ex=seconds)
    return token


def url(token: str) -> str:
    return f"{current_config().public_url}/dashboard/embed?token={token}"


def redeem(token: str) -> tuple[int, str] | None:
    """The store id and target of a token, once; None if unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    raw = get_redis().getdel(_key(token))
    if raw is None:
        return None
    data = json.loads(raw)
    return int(data["store_id"]), str(data["target"])
