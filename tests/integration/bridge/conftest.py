"""A WordPress site stand-in that answers the bridge plugin's ownership challenge (the real
plugin is tested in WordPress itself), and a client that signs bridge calls as the plugin
does."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.serving import make_server


@dataclass
class FakeSite:
    """Holds the challenge of the activation it started, as the plugin keeps it."""

    url: str = ""
    challenge: str = ""
    answers: int = 0
    plugin_installed: bool = True
    asked: list[str] = field(default_factory=list)

    def new_challenge(self) -> str:
        self.challenge = secrets.token_hex(32)
        return self.challenge


def _site_app(site: FakeSite) -> Flask:
    app = Flask("fake-wordpress")

    @app.post("/")
    def rest() -> Any:
        if (
            not site.plugin_installed
            or request.args.get("rest_route") != "/wooxero-bridge/v1/challenge"
        ):
            return {"code": "rest_no_route"}, 404
        nonce = (request.get_json(silent=True) or {}).get("nonce", "")
        site.asked.append(nonce)
        proof = hmac.new(site.challenge.encode(), nonce.encode(), hashlib.sha256).hexdigest()
        return {"proof": proof}

    return app


@pytest.fixture
def site() -> Iterator[FakeSite]:
    state = FakeSite()
    server = make_server("127.0.0.1", 0, _site_app(state), threaded=True)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


def consent(site: FakeSite, **overrides: Any) -> dict[str, Any]:
    return {
        "site_url": site.url, "admin_email": "owner@shop.example", "admin_username": "owner",
        "user_id": 1, "challenge": site.new_challenge(), "site_name": "Kiwi Shop",
        "plugin_version": "1.0.0", "wp_version": "6.1.9", "wc_version": "7.4.1",
    } | overrides  # fmt: skip


def signed(
    client: Any, store_id: str, secret: str, method: str, path: str,
    body: dict[str, Any] | None = None, *, timestamp: int | None = None, nonce: str | None = None,
) -> Any:  # fmt: skip
    """A bridge call signed as the plugin signs it."""
    raw = json.dumps(body).encode() if body is not None else b""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(16)
    # the documented scheme, written out here rather than borrowed from the server
    message = "\n".join([method, path, stamp, nonce, hashlib.sha256(raw).hexdigest()])
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-Wooxero-Store": store_id, "X-Wooxero-Timestamp": stamp, "X-Wooxero-Nonce": nonce,
        "X-Wooxero-Signature": signature,
    }  # fmt: skip
    if body is not None:
        headers["Content-Type"] = "application/json"
    return client.open(path, method=method, data=raw, headers=headers)
