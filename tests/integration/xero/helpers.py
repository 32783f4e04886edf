"""Driving the Xero sandbox and the connect flow from tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from server.extensions import db
from server.models import Store, StoreState
from tests.helpers import csrf_token, log_in, make_operator


def configure(sandbox: Any, **knobs: Any) -> None:
    requests.post(f"{sandbox.base_url}/_sandbox/config", json=knobs, timeout=10).raise_for_status()


def tenants(sandbox: Any) -> dict[str, str]:
    """Organisation name → tenant id."""
    rows = requests.get(f"{sandbox.base_url}/_sandbox/tenants", timeout=10).json()
    return {row["name"]: row["tenantId"] for row in rows}


def objects(sandbox: Any, tenant_id: str, collection: str) -> list[dict[str, Any]]:
    url = f"{sandbox.base_url}/_sandbox/objects/{tenant_id}/{collection}"
    return requests.get(url, timeout=10).json()[collection]


def calls(sandbox: Any) -> dict[str, Any]:
    return requests.get(f"{sandbox.base_url}/_sandbox/calls", timeout=10).json()


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
    return requests.get(start.headers["Location"], allow_redirects=False, timeout=10)


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
