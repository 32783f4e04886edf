"""``/wc-auth/v1/*``: the application authentication endpoint (``WC_Auth``).

Sourced (class-wc-auth.php): all five parameters are required; ``scope`` is read, write or
read_write; a URL without ``://`` gets ``https://``; ``callback_url`` must start with
``https://`` ("The callback_url needs to be over SSL"); approving creates ``ck_``/``cs_`` keys
(40 hex characters each), POSTs ``{key_id, user_id, consumer_key, consumer_secret,
key_permissions}`` as JSON to the callback and, only if that answers exactly 200, redirects to
``return_url?success=1&user_id=…`` (otherwise the key is deleted and the page dies with 401);
"Deny" links to ``success=0``. Errors are ``wp_die`` pages titled "Access denied" (401).
Assumed: the store administrator is already logged in, so ``login`` redirects to
``authorize``; ``allow_http_callback`` lifts the https rule for local testing.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import time
from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, Response, redirect, request

from . import pages
from .php import phpjson
from .state import Sandbox, sandbox
from .store.database import ADMIN_LOGIN
from .webhooks import delivery

blueprint = Blueprint("wc_auth", __name__)

PARAMS = ("app_name", "user_id", "return_url", "callback_url", "scope")
SCOPES = {"read": "Read", "write": "Write", "read_write": "Read/Write"}
PERMISSIONS = {
    "read": ["View coupons", "View customers", "View orders and sales reports", "View products"],
    "write": [
        "Create webhooks",
        "Create coupons",
        "Create customers",
        "Create orders",
        "Create products",
    ],
    "read_write": [
        "Create webhooks",
        "View and manage coupons",
        "View and manage customers",
        "View and manage orders and sales reports",
        "View and manage products",
    ],
}


POST_FAILED = (
    "An error occurred in the request and at the time were unable to send the consumer data"
)


class AuthError(Exception):
    """A failure ``WC_Auth`` reports with ``wp_die``."""


def _formatted(url: str) -> str:
    return url if "://" in url else "https://" + url


def _with_query(url: str, values: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(values)


def _rand_hash() -> str:
    return hashlib.sha1(secrets.token_bytes(32), usedforsecurity=False).hexdigest()


def _validate(args: dict[str, str], allow_http: bool) -> dict[str, str]:
    data = {}
    for name in PARAMS:
        if not args.get(name):
            raise AuthError(f"Missing parameter {name}")
        data[name] = args[name]
    if data["scope"] not in SCOPES:
        raise AuthError(f"Invalid scope {html.escape(data['scope'])}")
    for name in ("return_url", "callback_url"):
        parts = urlsplit(_formatted(data[name]))
        if not parts.scheme or not parts.netloc:
            raise AuthError(f"The {_formatted(data[name])} is not a valid URL")
    if not _formatted(data["callback_url"]).lower().startswith("https://") and not allow_http:
        raise AuthError("The callback_url needs to be over SSL")
    return data


def _die(message: str) -> Response:
    body = pages.wp_die("Access denied", f"Error: {html.escape(message)}.")
    return Response(body, 401, content_type="text/html; charset=utf-8")


@blueprint.route("/wc-auth/v1/<route>", methods=["GET", "POST"])
def endpoint(route: str) -> Response:
    """Serve one wc-auth step."""
    box = sandbox()
    box.ensure_seeded(request.host_url)
    config = box.config()
    try:
        data = _validate(request.values.to_dict(), config.allow_http_callback)
        route = route.lower()
        if route == "login":
            return redirect(_with_query(f"{box.store.home_url}wc-auth/v1/authorize", data), 302)
        if route == "authorize":
            if config.auto_approve:
                return _grant(box, data)
            return Response(_grant_page(box, data), 200, content_type="text/html; charset=UTF-8")
        if route == "access_granted":
            if request.args.get("wc_auth_nonce") not in box.auth_nonces:
                raise AuthError("Invalid nonce verification")
            return _grant(box, data)
        raise AuthError("You do not have permission to access this page")
    except AuthError as error:
        return _die(str(error))


def _grant(box: Sandbox, data: dict[str, str]) -> Response:
    store = box.store
    key = store.add_key(
        "ck_" + _rand_hash(),
        "cs_" + _rand_hash(),
        data["scope"],
        f"{data['app_name'][:170]} - API ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())})",
    )
    consumer = {
        "key_id": key.key_id,
        "user_id": data["user_id"],
        "consumer_key": key.consumer_key,
        "consumer_secret": key.consumer_secret,
        "key_permissions": key.permissions,
    }
    callback = _formatted(data["callback_url"])
    status, error = _post(box, callback, phpjson.encode(consumer))
    with store.lock:
        box.auth_log.append(
            {"key_id": key.key_id, "callback_url": callback, "status": status, "error": error}
        )
    if status != 200:
        with store.lock:
            del store.keys[key.key_id]
        return _die(error or POST_FAILED)
    target = _with_query(
        _formatted(data["return_url"]), {"success": "1", "user_id": data["user_id"]}
    )
    return redirect(target, 302)


def _post(box: Sandbox, url: str, body: bytes) -> tuple[int | None, str]:
    if box.config().enforce_safe_urls:
        reason = delivery.unsafe_reason(url, box.store.home_url)
        if reason:
            return None, reason
    try:
        response = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json;charset=UTF-8"},
            timeout=60,
        )
    except requests.RequestException as exc:
        return None, f"cURL error: {exc.__class__.__name__}"
    return response.status_code, ""


def _grant_page(box: Sandbox, data: dict[str, str]) -> str:
    nonce = secrets.token_hex(5)
    box.auth_nonces.add(nonce)
    base = f"{box.store.home_url}wc-auth/v1/"
    approve = _with_query(f"{base}access_granted", {**data, "wc_auth_nonce": nonce})
    deny = _with_query(_formatted(data["return_url"]), {"success": "0", "user_id": data["user_id"]})
    items = "".join(f"<li>{html.escape(p)}</li>" for p in PERMISSIONS[data["scope"]])
    app = html.escape(data["app_name"])
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Application '
        f'authentication request</title></head><body class="wc-auth wp-core-ui"><h1 id="wc-logo">'
        f'{html.escape(box.config().site_name)}</h1><div class="wc-auth-content"><p><strong>{app}'
        f'</strong> would like to connect to your store</p><p>This will give "<strong>{app}'
        f'</strong>" <strong>{SCOPES[data["scope"]]}</strong> access which will allow it to:</p>'
        f'<ul class="wc-auth-permissions">{items}</ul><div class="wc-auth-logged-in-as"><p>'
        f'Logged in as {ADMIN_LOGIN}</p></div></div><p class="wc-auth-actions">'
        f'<a href="{html.escape(approve)}" class="button button-primary wc-auth-approve">Approve'
        f'</a><a href="{html.escape(deny)}" class="button wc-auth-deny">Deny</a></p></body></html>'
    )
