"""A store's settings document: read it, change sections of it; what its fields choose from;
and the CSRF token the dashboard sends back in `X-CSRFToken` with every write."""

from __future__ import annotations

from typing import Any

from flask_wtf.csrf import generate_csrf

from server.models import Store
from server.stores.settings import choices, rules, tax_mapping
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings
from server.web import inputs
from server.web.dashboard import actions
from server.web.dashboard.api import bp
from server.web.dashboard.sessions import store_for_request

Answer = tuple[dict[str, Any], int]


@bp.get("/csrf-token")
def csrf_token() -> dict[str, str]:
    return {"csrf_token": generate_csrf()}


def _document(store: Store, settings: StoreSettings, needs: tax_mapping.TaxNeeds) -> dict[str, Any]:
    status = needs.status(settings)
    options = rules.payment_options(rules.cached_references(store.id))
    return {
        **settings.model_dump(mode="json"),
        actions.POLLING: actions.polling_of(store).model_dump(mode="json"),
        "tax_mapping_status": status.as_json(),
        "payment_options": options,
    }


@bp.get("/stores/<public_id>/settings")
def get_settings(public_id: str) -> dict[str, Any]:
    store = store_for_request(public_id)
    return _document(store, settings_store.load(store.id), tax_mapping.needs_of(store.id))


@bp.patch("/stores/<public_id>/settings")
def patch_settings(public_id: str) -> dict[str, Any] | Answer:
    store = store_for_request(public_id)
    change = actions.change_settings(store, inputs.json_object())
    if change.refusal:
        return {"error": change.refusal}, 409
    if change.settings is None:
        return {"errors": change.errors}, 422
    document = _document(store, change.settings, tax_mapping.needs_of(store.id))
    return {**document, "warnings": change.warnings}


@bp.get("/stores/<public_id>/options")
def get_options(public_id: str) -> dict[str, Any]:
    """What the settings' fields choose from, as cached: accounts with their types and uses,
    tax rates with their percentages, tracking categories with their options, the store's
    gateways and the rate combinations the tax mapping needs."""
    store = store_for_request(public_id)
    status = tax_mapping.needs_of(store.id).status(settings_store.load(store.id))
    return choices.choices_of(store.id, status).as_json()
