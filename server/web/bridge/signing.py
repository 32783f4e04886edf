"""Signed bridge calls: HMAC-SHA256 with the store's secret over the method, path,
timestamp, a nonce and the SHA-256 of the body. A call is refused when the signature is
wrong, the timestamp is more than the allowed skew away, or its nonce was seen before."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

import sqlalchemy as sa
from flask import Request

from server.extensions import current_config, db
from server.models import Store
from server.redis_client import get_redis
from server.untrusted import INT64_MAX, ascii_int

STORE_HEADER = "X-Wooxero-Store"
TIMESTAMP_HEADER = "X-Wooxero-Timestamp"
NONCE_HEADER = "X-Wooxero-Nonce"
SIGNATURE_HEADER = "X-Wooxero-Signature"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SIGNATURE = re.compile(r"^[A-Fa-f0-9]{64}$")


class SignatureError(Exception):
    """A bridge call that is not signed as it must be (the message says how)."""


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = canonical(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(request: Request) -> Store:
    """The store that signed `request`, or SignatureError. The body is read first, so one
    over the size limit is a 413 whatever the headers (as for webhooks)."""
    body = request.get_data()
    public_id = request.headers.get(STORE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    nonce = request.headers.get(NONCE_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not (public_id and timestamp and nonce and signature):
        raise SignatureError(
            f"unsigned call: send {STORE_HEADER}, {TIMESTAMP_HEADER}, {NONCE_HEADER} "
            f"and {SIGNATURE_HEADER}"
        )
    seconds = ascii_int(timestamp, maximum=INT64_MAX)
    if seconds is None:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    skew = current_config().bridge.clock_skew_seconds
    off = seconds - int(time.time())
    if abs(off) > skew:
        raise SignatureError(
            f"the timestamp is {abs(off)} s off the server's clock (at most {skew})"
        )
    if not NONCE.fullmatch(nonce):
        raise SignatureError(f"{NONCE_HEADER} must be 16 to 64 letters, digits, - or _")
    if not SIGNATURE.fullmatch(signature):
        raise SignatureError(f"{SIGNATURE_HEADER} must be 64 hexadecimal digits")
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    secret = store.signing_secret if store is not None else None
    path = request.script_root + request.path  # as the plugin sees it, behind a path prefix
    expected = sign(secret or "", request.method, path, timestamp, nonce, body)
    if store is None or not secret or not hmac.compare_digest(expected, signature.lower()):
        raise SignatureError("the signature does not match this store's secret")
    if not get_redis().set(f"wooxero:bridge:nonce:{store.id}:{nonce}", "1", nx=True, ex=2 * skew):
        raise SignatureError("this call was already received (a replay)")
    return store
