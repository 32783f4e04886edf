"""Driving the Xero sandbox and the connect flow from tests, and checking what was sent
against Xero's spec."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import sqlalchemy as sa
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from server.extensions import db
from server.models import Store, StoreState
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.web import csrf_token, log_in, make_operator


def configure(sandbox: Any, **knobs: Any) -> None:
    requests.post(
        f"{sandbox.base_url}/_sandbox/config", json=knobs, timeout=HTTP_TIMEOUT
    ).raise_for_status()


def tenants(sandbox: Any) -> dict[str, str]:
    """Organisation name → tenant id."""
    rows = requests.get(f"{sandbox.base_url}/_sandbox/tenants", timeout=HTTP_TIMEOUT).json()
    return {row["name"]: row["tenantId"] for row in rows}


def objects(sandbox: Any, tenant_id: str, collection: str) -> list[dict[str, Any]]:
    url = f"{sandbox.base_url}/_sandbox/objects/{tenant_id}/{collection}"
    return requests.get(url, timeout=HTTP_TIMEOUT).json()[collection]


def drop_answers(sandbox: Any, faults: dict[str, int], method: str = "PUT") -> None:
    """Xero applies the next `count` writes to each path and the answers are lost."""
    for path, count in faults.items():
        requests.post(
            f"{sandbox.base_url}/_sandbox/faults",
            json={"path": path, "method": method, "drop_response": True, "count": count},
            timeout=HTTP_TIMEOUT,
        ).raise_for_status()


def calls(sandbox: Any) -> dict[str, Any]:
    return requests.get(f"{sandbox.base_url}/_sandbox/calls", timeout=HTTP_TIMEOUT).json()


def make_store(url: str = "https://shop.example") -> Store:
    store = Store(url=url, name="Shop", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    return store


def signed_in_operator(client: Any) -> None:
    make_operator()
    log_in(client)


def start_connect(client: Any, store: Store) -> requests.Response:
    """Press "Connect Xero" and follow the browser to Xero's consent: Xero's answer."""
    page = client.get(f"/admin/store/details/?id={store.id}")
    start = client.post(
        f"/xero/connect/{store.public_id}", data={"csrf_token": csrf_token(page.text)}
    )
    assert start.status_code == 302, start.text
    return requests.get(start.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)


def follow_to_callback(client: Any, consent: requests.Response) -> Any:
    """Xero redirects the browser back to our callback; the test client takes it from there."""
    assert consent.status_code == 302, consent.text
    location = urlsplit(consent.headers["Location"])
    return client.get(f"{location.path}?{location.query}")


def connect(client: Any, store: Store, sandbox: Any, tenant_ids: list[str]) -> Any:
    configure(sandbox, auto_approve_tenants=tenant_ids)
    return follow_to_callback(client, start_connect(client, store))


def reload(store: Store) -> Store:
    db.session.expire_all()
    return db.session.scalar(sa.select(Store).where(Store.id == store.id))


class RecordingSession(requests.Session):
    """Keeps every request the connector sends, to check it against Xero's spec."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request.copy())
        return super().send(request, **kwargs)


def spec_problems(spec: OpenAPI, sent: list[requests.PreparedRequest]) -> list[str]:
    """Each accounting request, moved to Xero's own host, validated by openapi-core."""
    problems = []
    for request in sent:
        parts = urlsplit(request.url)
        if not parts.path.startswith("/api.xro/2.0/"):
            continue
        as_xero = request.copy()
        as_xero.url = urlunsplit(("https", "api.xero.com", parts.path, parts.query, ""))
        try:
            spec.validate_request(RequestsOpenAPIRequest(as_xero))
        except Exception as error:  # noqa: BLE001 - every kind of spec error is reported
            detail = getattr(error, "__cause__", None) or error
            problems.append(f"{request.method} {parts.path}: {type(error).__name__}: {detail}")
    return problems
