"""The operator's sync settings page: the store's Settings form, posted with the CSRF token
and saved through the same change as the store's own page; the sync, backfill and replay
buttons beside it."""

from __future__ import annotations

from typing import Any

import pytest

from server.models import ReferenceKind, Store
from server.stores.settings import storage as settings_store
from tests.integration.web.dashboard.api.conftest import cache_reference, make_store
from tests.integration.web.dashboard.pages.test_settings import (
    ACCOUNTS,
    error_of,
    form_values,
    options_of,
)
from tests.support.web import log_in, make_operator


@pytest.fixture
def store(app_context: Any) -> Store:
    store = make_store()
    cache_reference(store, ReferenceKind.ACCOUNTS, ACCOUNTS)
    return store


@pytest.fixture
def operator(client: Any) -> Any:
    make_operator()
    assert log_in(client).status_code == 302
    return client


def page_of(client: Any, store: Store) -> str:
    answer = client.get(f"/admin/sync_settings/?store={store.public_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def save(client: Any, store: Store, values: dict[str, str]) -> Any:
    return client.post(f"/admin/sync_settings/save?store={store.public_id}", data=values)


def test_the_admin_shows_the_same_form_with_the_organisations_accounts(operator, store):
    text = page_of(operator, store)
    assert 'class="settings-form"' in text and 'name="csrf_token"' in text
    assert options_of(text, "accounts.sales") == ["200", "210", "260"]
    assert "sync_settings.js" in text and 'data-scope="tax_rates"' in text
    assert 'id="start-backfill"' in text and 'id="replay"' in text
    assert operator.get("/static/sync_settings.js").status_code == 200
    assert operator.get("/admin/sync_settings/?store=nope").status_code == 404


def test_the_admin_form_saves_through_the_same_change(operator, store):
    values = form_values(page_of(operator, store)) | {
        "accounts.fees": "260",
        "contacts.phone": "mobile",
    }
    answer = save(operator, store, values)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Settings saved." in answer.get_data(as_text=True)
    stored = settings_store.load(store.id)
    assert stored.accounts.fees == "260" and stored.contacts.phone == "mobile"

    values = form_values(page_of(operator, store))  # the page again, as saved
    refused = save(operator, store, values | {"modules.invoices": "on"})
    assert refused.status_code == 422
    assert "complete the tax mapping first" in refused.get_data(as_text=True)
    assert settings_store.load(store.id).modules.invoices is False

    wrong = save(operator, store, values | {"refunds.credit_note_number": "CN"})
    assert "{n}" in error_of(wrong.get_data(as_text=True), "refunds.credit_note_number")


def test_the_admin_form_needs_its_csrf_token_and_an_operator(operator, store, app_context):
    values = form_values(page_of(operator, store))
    values.pop("csrf_token")
    assert save(operator, store, values | {"contacts.phone": "none"}).status_code == 400
    assert settings_store.load(store.id).contacts.phone == "default"
    anonymous = app_context.test_client()
    assert save(anonymous, store, {"contacts.phone": "none"}).status_code in (302, 400, 401, 403)
    assert settings_store.load(store.id).contacts.phone == "default"
