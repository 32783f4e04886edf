"""Who may use a store's API: operators (any store), a dashboard session (its own store
only), nobody else; and every write carries the CSRF token."""

from __future__ import annotations

from server.web.dashboard.sessions import DASHBOARD_STORE_KEY
from tests.integration.web.dashboard.api.conftest import ApiClient, make_store


def test_without_a_session_every_call_answers_401_in_json(client, store):
    api = ApiClient(client)
    for answer in (
        api.get_settings(store),
        api.patch_settings(store, {"contacts": {"phone": "none"}}),
        api.sync(store, "push"),
        client.get("/api/v1/stores/no-such-store/settings"),
    ):
        assert answer.status_code == 401
        assert "Location" not in answer.headers
        assert "error" in answer.get_json()


def test_a_dashboard_session_may_use_its_own_store_only(client, store):
    other = make_store("https://other.example.com")
    with client.session_transaction() as session:
        session[DASHBOARD_STORE_KEY] = store.id
    api = ApiClient(client)
    assert api.get_settings(store).status_code == 200
    changed = api.patch_settings(store, {"contacts": {"phone": "none"}})
    assert changed.status_code == 200
    assert changed.get_json()["contacts"]["phone"] == "none"
    assert api.get_settings(other).status_code == 401
    assert api.patch_settings(other, {"contacts": {"phone": "none"}}).status_code == 401
    assert client.get("/api/v1/stores/no-such-store/settings").status_code == 401


def test_writes_without_the_csrf_token_are_refused(api, store):
    url = f"/api/v1/stores/{store.public_id}/settings"
    missing = api.client.patch(url, json={"contacts": {"phone": "none"}})
    wrong = api.client.patch(
        url, json={"contacts": {"phone": "none"}}, headers={"X-CSRFToken": "forged"}
    )
    sync = api.client.post(f"/api/v1/stores/{store.public_id}/sync/tax_rates")
    for answer in (missing, wrong, sync):
        assert answer.status_code == 400
        assert "CSRF" in answer.get_json()["error"]
    assert api.get_settings(store).get_json()["contacts"]["phone"] == "default"


def test_a_token_from_another_session_is_refused(app_context, api, store):
    stranger = ApiClient(app_context.test_client())
    answer = api.client.patch(
        f"/api/v1/stores/{store.public_id}/settings",
        json={"contacts": {"phone": "none"}},
        headers={"X-CSRFToken": stranger.token()},
    )
    assert answer.status_code == 400
