"""A store, an operator signed in, and a client that speaks the settings API (JSON, with
the CSRF token in `X-CSRFToken` as the dashboard sends it)."""

from __future__ import annotations

from typing import Any

import pytest

from server.extensions import db
from server.models import ReferenceKind, Store, StoreState, XeroReference
from tests.support.web import log_in, make_operator


class ApiClient:
    """Sends JSON to /api/v1 with a CSRF token fetched once per client session."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._token = ""

    def token(self) -> str:
        if not self._token:
            self._token = self.client.get("/api/v1/csrf-token").get_json()["csrf_token"]
        return self._token

    def get_settings(self, store: Store) -> Any:
        return self.client.get(f"/api/v1/stores/{store.public_id}/settings")

    def patch_settings(self, store: Store, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1/stores/{store.public_id}/settings",
            json=body,
            headers={"X-CSRFToken": self.token()},
        )

    def sync(self, store: Store, scope: str) -> Any:
        return self.client.post(
            f"/api/v1/stores/{store.public_id}/sync/{scope}", headers={"X-CSRFToken": self.token()}
        )


def make_store(url: str = "https://shop.example.com") -> Store:
    store = Store(url=url, name="Shop", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    return store


def cache_reference(store: Store, kind: ReferenceKind, rows: list[dict[str, Any]]) -> None:
    """Reference rows as the sync engine caches them (Xero's, or the store's Woo tax rates)."""
    db.session.add(XeroReference(store_id=store.id, kind=kind, rows=rows))
    db.session.commit()


@pytest.fixture
def store(app_context: Any) -> Store:
    return make_store()


@pytest.fixture
def api(client: Any) -> ApiClient:
    """An operator signed in."""
    make_operator()
    assert log_in(client).status_code == 302
    return ApiClient(client)
