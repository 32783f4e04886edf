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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, request
from werkzeug.serving import make_server

from server.extensions import db
from server.models import Store


@dataclass
class FakeSite:
    """Holds the challenge of the activation it started, as the plugin keeps it."""

    url: str = ""
    challenge: str = ""
    answers: int = 0
    plugin_installed: bool = True
    asked: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    answer_instead: Callable[[], Any] | None = None  # a misbehaving site's own answer

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
        site.user_agents.append(request.headers.get("User-Agent", ""))
        if site.answer_instead is not None:
            return site.answer_instead()
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
    raw: bytes | None = None,
) -> Any:  # fmt: skip
    """A bridge call signed as the plugin signs it (`raw`: a body sent as it is)."""
    if raw is None:
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
    if raw:
        headers["Content-Type"] = "application/json"
    return client.open(path, method=method, data=raw, headers=headers)


def activate(client: Any, site: FakeSite, **overrides: Any) -> Any:
    return client.post("/api/bridge/v1/activate", json=consent(site, **overrides))


def store_of(url: str) -> Store:
    db.session.expire_all()
    return db.session.scalars(sa.select(Store).where(Store.url == url)).one()


def embed_url(client: Any, linked: dict[str, str], target: str) -> str:
    """A one-time embed URL for `target`, asked for with a signed call as the plugin does."""
    answer = signed(
        client, linked["store_id"], linked["signing_secret"], "POST", "/api/bridge/v1/embed",
        {"target": target},
    )  # fmt: skip
    assert answer.status_code == 200
    return answer.get_json()["url"]


def open_embed(client: Any, url: str) -> Any:
    """Follow an embed URL the server gave (its path and query, on the test client)."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def session_token(location: str) -> str:
    """The dashboard session token of the page an embed URL redirected to."""
    (token,) = parse_qs(urlsplit(location).query)["s"]
    return token
