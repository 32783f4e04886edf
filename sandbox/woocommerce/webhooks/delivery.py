"""One HTTP delivery as ``WC_Webhook::deliver`` sends it, and the WordPress URL safety check.

Sourced: POST, 60 s timeout, redirects not followed, ``Content-Type: application/json``,
user agent ``WooCommerce/<wc> Hookshot (WordPress/<wp>)``, the ``X-WC-Webhook-*`` headers,
signature = base64(HMAC-SHA256(body, ``wp_specialchars_decode(secret)``)), delivery id =
``wp_hash(id . time())`` (HMAC-MD5, so one second's deliveries of a webhook share it).
Assumed: the request goes out as HTTP/1.1 (WordPress asks for 1.0).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

SAFE_PORTS = (80, 443, 8080)


@dataclass
class Outcome:
    """What came back: a status code, or an error like WordPress's ``WP_Error``."""

    status: int | None
    error: str
    body: str
    seconds: float

    @property
    def code(self) -> int:
        """``intval()`` of the response code (0 for an error)."""
        return self.status or 0


def signature(body: bytes, secret: str) -> str:
    """``X-WC-Webhook-Signature``."""
    key = html.unescape(secret).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def delivery_id(webhook_id: int, salt: bytes, moment: float) -> str:
    """``wp_hash( $id . strtotime( 'now' ) )``."""
    return hmac.new(salt, f"{webhook_id}{int(moment)}".encode(), hashlib.md5).hexdigest()


def user_agent(wc_version: str, wp_version: str) -> str:
    """The Hookshot user agent."""
    return f"WooCommerce/{wc_version} Hookshot (WordPress/{wp_version})"


def unsafe_reason(url: str, site_url: str) -> str:
    """``wp_http_validate_url``: why WordPress would refuse ``url`` ('' if it would not)."""
    parts = urlsplit(url)
    site = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "A valid URL was not provided."
    same_host = parts.hostname == site.hostname
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        address = None
    if address is not None and not same_host and (address.is_private or address.is_loopback):
        return "A valid URL was not provided."
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port not in SAFE_PORTS and not (same_host and port == (site.port or 80)):
        return "A valid URL was not provided."
    return ""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST without following redirects."""
    started = time.monotonic()
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        return Outcome(None, f"cURL error: {exc.__class__.__name__}: {exc}", "", _since(started))
    return Outcome(response.status_code, "", response.text[:2000], _since(started))


def _since(started: float) -> float:
    return round(time.monotonic() - started, 4)
