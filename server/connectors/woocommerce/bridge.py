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

from server.connectors.base import AuthError, TransientError

# `?rest_route=` reaches the WordPress REST API with or without pretty permalinks.
CHALLENGE_ROUTE = "/?rest_route=/wooxero-bridge/v1/challenge"
MAX_ANSWER_BYTES = 4096


def proof(challenge: str, nonce: str) -> str:
    """The answer the plugin gives: hex HMAC-SHA256 of the nonce, keyed by the challenge."""
    return hmac.new(challenge.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def prove_control(
    session: requests.Session, site_url: str, challenge: str, *, timeout: float
) -> None:
    """Return if the site at `site_url` holds `challenge`; raise AuthError if it does not,
    TransientError if it could not be asked."""
    nonce = secrets.token_hex(16)
    try:
        response = session.post(
            site_url.rstrip("/") + CHALLENGE_ROUTE, json={"nonce": nonce},
            timeout=timeout, allow_redirects=False,
        )  # fmt: skip
    except requests.RequestException as error:
        raise TransientError(f"the site could not be reached ({type(error).__name__})") from None
    if response.status_code == 404:
        raise AuthError("the site does not run the bridge plugin's challenge route")
    if response.status_code != 200:
        raise AuthError(
            f"the site answered the ownership challenge with HTTP {response.status_code}"
        )
    answer = _answer(response)
    if not hmac.compare_digest(answer, proof(challenge, nonce)):
        raise AuthError("the site's answer does not match: this activation did not come from it")


def _answer(response: requests.Response) -> str:
    if len(response.content) > MAX_ANSWER_BYTES:
        raise AuthError("the site's answer to the challenge is too large")
    try:
        data = response.json()
    except ValueError:
        raise AuthError("the site's answer to the challenge is not JSON") from None
    value = data.get("proof") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise AuthError("the site's answer to the challenge has no proof")
    return value
