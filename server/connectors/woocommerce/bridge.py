"""The bridge plugin's side of activation: proving that whoever asks to link a site controls
it. The plugin sends a random challenge with its activation request and keeps it for a few
minutes; the server then asks the site itself (its REST route, found through the site's own
URL) to answer a fresh nonce with an HMAC keyed by that challenge. Only the site that made
the request can answer, and the challenge never travels back."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import requests

from server import untrusted
from server.connectors.base import AuthError, TransientError
from server.connectors.woocommerce import transport

# `?rest_route=` reaches the WordPress REST API with or without pretty permalinks.
CHALLENGE_ROUTE = "/?rest_route=/wooxero-bridge/v1/challenge"
MAX_ANSWER_BYTES = 4096
# Firewalls in front of WordPress (Wordfence, Cloudflare…) often refuse python-requests.
USER_AGENT = "wooxero-bridge-check/1.0 (ownership challenge of the Sync orders with Xero plugin)"


def proof(challenge: str, nonce: str) -> str:
    """The answer the plugin gives: hex HMAC-SHA256 of the nonce, keyed by the challenge."""
    return hmac.new(challenge.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def prove_control(
    session: requests.Session, site_url: str, challenge: str, *, timeout: float
) -> None:
    """Return if the site at `site_url` holds `challenge`; raise AuthError if it does not,
    TransientError if it could not be asked or did not answer within `timeout` in all,
    however slowly it sends its answer (at most MAX_ANSWER_BYTES of it are read)."""
    nonce = secrets.token_hex(16)
    with transport.deadline(timeout) as watch:
        try:
            with session.post(
                site_url.rstrip("/") + CHALLENGE_ROUTE, json={"nonce": nonce}, timeout=timeout,
                allow_redirects=False, stream=True, headers={"User-Agent": USER_AGENT},
            ) as response:  # fmt: skip
                _check_status(response)
                body = _read_capped(response)
        except requests.RequestException as error:
            if not watch.expired:
                kind = type(error).__name__
                raise TransientError(f"the site could not be reached ({kind})") from None
        if watch.expired:  # cut short: whatever was read is not the answer
            raise TransientError(f"the site did not answer within {timeout} s")
    if not hmac.compare_digest(_answer(body).encode(), proof(challenge, nonce).encode()):
        raise AuthError("the site's answer does not match: this activation did not come from it")


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        raise AuthError(
            f"the site redirects its REST API to {response.headers.get('Location', '?')!r}: "
            "set WordPress's Site Address to the address the site is really served from"
        )
    if status == 404:
        raise AuthError("the site does not run the bridge plugin's challenge route")
    if status != 200:
        raise AuthError(f"the site answered the ownership challenge with HTTP {status}")


def _read_capped(response: requests.Response) -> bytes:
    body = b""
    for chunk in response.iter_content(chunk_size=1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise AuthError("the site's answer to the challenge is too large")
    return body


def _answer(body: bytes) -> str:
    try:
        data = untrusted.loads(body)
    except untrusted.UntrustedJSONError as error:
        raise AuthError(f"the site's answer to the challenge is {error}") from None
    value = data.get("proof") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise AuthError("the site's answer to the challenge has no proof")
    return value
