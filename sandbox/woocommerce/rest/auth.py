"""``WC_REST_Authentication``: who a ``wc/*`` request is, or why it is refused.

Sourced (class-wc-rest-authentication.php): over SSL, ``consumer_key``/``consumer_secret``
query parameters, else HTTP Basic; an unknown key falls through (the request is then simply
unauthenticated), a known key with the wrong secret is "Consumer secret is invalid.". Then,
whatever the scheme, OAuth 1.0a one-legged from query, form body or an ``OAuth`` Authorization
header: HMAC-SHA1/SHA256 over ``METHOD&rawurlencode(home + path)&params`` with key
``secret&``, a 15-minute timestamp window and nonces remembered per timestamp. Over plain
http Basic and query keys are never looked at. Key permissions are checked per method.
Assumed: a request is "SSL" when it arrived over https or carries ``X-Forwarded-Proto:
https`` (the sandbox listens on plain http and stands in for a TLS-terminating proxy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ..store.database import Store
from ..store.models import ApiKey
from .errors import RestError

WINDOW_SECONDS = 15 * 60
_OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')


@dataclass
class Identity:
    """The outcome: an API key (or None) and the method that was tried."""

    key: ApiKey | None
    method: str
    error: RestError | None = None


def _auth_error(message: str) -> RestError:
    return RestError("woocommerce_rest_authentication_error", message, 401)


def rfc3986(value: str) -> str:
    """``wc_rest_urlencode_rfc3986``: PHP ``rawurlencode``."""
    return quote(value, safe="-_.~")


def _join(params: dict[str, Any], prefix: str = "") -> list[str]:
    """``join_with_equals_sign`` over normalised (rawurlencoded) keys and values."""
    pieces: list[str] = []
    for key, value in params.items():
        name = f"{prefix}%5B{key}%5D" if prefix else key
        if isinstance(value, dict):
            pieces += _join(value, name)
        else:
            pieces.append(rfc3986(f"{name}={value}"))
    return pieces


def _normalise(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, list):
            value = {str(i): v for i, v in enumerate(value)}
        out[rfc3986(key)] = _normalise(value) if isinstance(value, dict) else rfc3986(str(value))
    return out


def base_string(method: str, base_url: str, params: dict[str, Any]) -> str:
    """The OAuth string to sign (without ``oauth_signature``)."""
    ordered = {k: params[k] for k in sorted(params) if k != "oauth_signature"}
    return f"{method}&{rfc3986(base_url)}&{'%26'.join(_join(_normalise(ordered)))}"


def _header_params(header: str) -> dict[str, str]:
    if not header.startswith("OAuth "):
        return {}
    return {
        name: unquote(quoted or bare) for name, _, quoted, bare in _HEADER_PARAM.findall(header)
    }


def authenticate(
    store: Store,
    *,
    ssl: bool,
    method: str,
    base_url: str,
    query: dict[str, Any],
    form: dict[str, Any],
    authorization: str,
    basic: tuple[str, str] | None,
) -> Identity:
    """Authenticate a ``wc/*`` request."""
    if ssl:
        key_text, secret = "", ""
        if query.get("consumer_key") and query.get("consumer_secret"):
            key_text, secret = str(query["consumer_key"]), str(query["consumer_secret"])
        elif basic and basic[0] and basic[1]:
            key_text, secret = basic
        if key_text and secret:
            key = store.key_by_consumer_key(key_text)
            if key is not None:
                if hmac.compare_digest(key.consumer_secret, secret):
                    return Identity(key, "basic_auth")
                return Identity(None, "basic_auth", _auth_error("Consumer secret is invalid."))
    return _oauth(
        store, method, base_url, {**query, **form, **_header_params(authorization.strip())}
    )


def _oauth(store: Store, method: str, base_url: str, params: dict[str, Any]) -> Identity:
    missing = [name for name in _OAUTH_PARAMS if not params.get(name)]
    if len(missing) == len(_OAUTH_PARAMS):
        return Identity(None, "oauth1")
    if missing:
        plural = "parameters" if len(missing) > 1 else "parameter"
        return Identity(
            None,
            "oauth1",
            RestError(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {plural} {', '.join(missing)}",
                401,
            ),
        )
    key = store.key_by_consumer_key(str(params["oauth_consumer_key"]))
    if key is None:
        return Identity(None, "oauth1", _auth_error("Consumer key is invalid."))
    signature_method = params["oauth_signature_method"]
    if signature_method not in ("HMAC-SHA1", "HMAC-SHA256"):
        return Identity(
            None, "oauth1", _auth_error("Invalid signature - signature method is invalid.")
        )
    digest = hashlib.sha1 if signature_method == "HMAC-SHA1" else hashlib.sha256
    to_sign = base_string(method, base_url, params)
    expected = base64.b64encode(
        hmac.new(f"{key.consumer_secret}&".encode(), to_sign.encode(), digest).digest()
    ).decode()
    given = unquote(str(params["oauth_signature"]).replace(" ", "+"))
    if not hmac.compare_digest(expected, given):
        return Identity(
            None, "oauth1", _auth_error("Invalid signature - provided signature does not match.")
        )
    return _check_nonce(store, key, str(params["oauth_timestamp"]), str(params["oauth_nonce"]))


def _check_nonce(store: Store, key: ApiKey, timestamp_text: str, nonce: str) -> Identity:
    now = int(time.time())
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        timestamp = 0
    if timestamp < now - WINDOW_SECONDS or timestamp > now + WINDOW_SECONDS:
        return Identity(None, "oauth1", _auth_error("Invalid timestamp."))
    with store.lock:
        if nonce in key.nonces.values():
            return Identity(
                None, "oauth1", _auth_error("Invalid nonce - nonce has already been used.")
            )
        key.nonces[timestamp] = nonce
        for stamp in [s for s in key.nonces if s < now - WINDOW_SECONDS]:
            del key.nonces[stamp]
    return Identity(key, "oauth1")


def check_permissions(key: ApiKey, method: str) -> RestError | None:
    """``check_permissions``: read keys may GET/HEAD, write keys may POST/PUT/PATCH/DELETE."""
    if method in ("HEAD", "GET"):
        if key.permissions not in ("read", "read_write"):
            return _auth_error("The API key provided does not have read permissions.")
    elif method in ("POST", "PUT", "PATCH", "DELETE"):
        if key.permissions not in ("write", "read_write"):
            return _auth_error("The API key provided does not have write permissions.")
    elif method != "OPTIONS":
        return _auth_error("Unknown request method.")
    return None


def parse_basic(header: str) -> tuple[str, str] | None:
    """``PHP_AUTH_USER``/``PHP_AUTH_PW`` from a Basic Authorization header."""
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password
