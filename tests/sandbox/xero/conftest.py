"""A Xero sandbox served on loopback for the whole session, reset before every test."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sandbox.xero import RunningSandbox, SandboxConfig, serve_in_thread
from tests.support.reference import xero_spec_path
from tests.support.waiting import HTTP_TIMEOUT

REDIRECT_URI = "http://localhost:8765/xero/callback"
CLIENT_ID = "wooxero-sandbox"
CLIENT_SECRET = "sandbox-secret"
ALL_SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.payments "
    "accounting.contacts accounting.settings"
)


def decimal_json(response: requests.Response) -> Any:
    """A response body parsed with every non-integer number as Decimal."""
    return json.loads(response.text, parse_float=Decimal)


def encode(value: Any) -> str:
    """JSON with Decimals written as exact numbers (requests' ``json=`` cannot)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a compact JWT."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge, computed independently of the sandbox."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


class Xero:
    """A tiny client of the sandbox used by the tests."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.tokens: dict[str, Any] = {}
        self.tenant_id = ""

    def authorize_url_params(self, scope: str = ALL_SCOPES, **extra: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "state-123",
            **extra,
        }

    def authorize(self, **params: str) -> requests.Response:
        return self.http.get(
            f"{self.base}/identity/connect/authorize", params=params, allow_redirects=False
        )

    def code_from(self, response: requests.Response) -> str:
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return query["code"][0]

    def token(self, data: dict[str, str], auth: tuple[str, str] | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base}/identity/connect/token",
            data=data,
            auth=auth if auth is not None else (CLIENT_ID, CLIENT_SECRET),
        )

    def connect(self, scope: str = ALL_SCOPES, tenant: str = "Demo Company (NZ)") -> Xero:
        """Auto-approved consent, code exchange, and pick ``tenant``."""
        code = self.code_from(self.authorize(**self.authorize_url_params(scope)))
        response = self.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        )
        assert response.status_code == 200, response.text
        self.tokens = response.json()
        for connection in self.connections().json():
            if connection["tenantName"] == tenant:
                self.tenant_id = connection["tenantId"]
        return self

    def connections(self) -> requests.Response:
        return self.http.get(f"{self.base}/connections", headers=self.bearer())

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            **self.bearer(),
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **extra,
        }

    def get(self, path: str, **params: Any) -> requests.Response:
        headers = self.headers(**params.pop("headers", {}))
        return self.http.get(f"{self.base}/api.xro/2.0{path}", headers=headers, params=params)

    def put(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.write("PUT", path, body, **params)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.write("POST", path, body, **params)

    def write(self, method: str, path: str, body: Any, **params: Any) -> requests.Response:
        headers = self.headers(**{"Content-Type": "application/json", **params.pop("headers", {})})
        return self.http.request(
            method,
            f"{self.base}/api.xro/2.0{path}",
            headers=headers,
            params=params,
            data=encode(body).encode(),
        )

    def sandbox(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.http.request(method, f"{self.base}/_sandbox/{path}", json=body)


@pytest.fixture(scope="session")
def running() -> Iterator[RunningSandbox]:
    config = SandboxConfig(auto_approve=True, seed=7, spec_path=xero_spec_path())
    config = config.with_redirect_uris([REDIRECT_URI])
    with serve_in_thread(config) as served:
        yield served


@pytest.fixture
def xero(running: RunningSandbox) -> Iterator[Xero]:
    """A fresh client of a freshly reset sandbox with default limits and no faults."""
    defaults = SandboxConfig()
    requests.post(f"{running.base_url}/_sandbox/reset", timeout=HTTP_TIMEOUT).raise_for_status()
    knobs = {
        name: getattr(defaults, name)
        for name in (
            "concurrent_limit",
            "minute_limit",
            "minute_window_seconds",
            "daily_limit",
            "app_minute_limit",
            "refresh_grace_seconds",
            "idempotency_seconds",
            "error_rate",
            "throttle_rate",
            "throttle_retry_after",
            "server_error_rate",
            "latency_ms",
            "latency_spike_rate",
            "latency_spike_ms",
            "drop_response_rate",
            "granular_scopes_only",
            "webhook_url",
            "webhook_key",
        )
    } | {"auto_approve": True}
    requests.post(
        f"{running.base_url}/_sandbox/config", json=knobs, timeout=HTTP_TIMEOUT
    ).raise_for_status()
    client = Xero(running.base_url)
    yield client
    client.http.close()


@pytest.fixture
def nz(xero: Xero) -> Xero:
    """A client connected with every scope, acting on Demo Company (NZ)."""
    return xero.connect()


def line(description: str, quantity: str, unit: str, **extra: Any) -> dict[str, Any]:
    """A request line item; numbers are sent as JSON numbers."""
    return {
        "Description": description,
        "Quantity": Decimal(quantity),
        "UnitAmount": Decimal(unit),
        "AccountCode": "200",
        **extra,
    }


def invoice(contact: str = "Alice Shopper", **fields: Any) -> dict[str, Any]:
    """An ACCREC invoice request element."""
    return {
        "Type": "ACCREC",
        "Contact": {"Name": contact},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "LineItems": [line("Widget", "1", "10.00")],
        **fields,
    }
