"""A store's settings document: read it, change sections of it; and the CSRF token the
dashboard sends back in `X-CSRFToken` with every write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf.csrf import generate_csrf
from pydantic import ValidationError

from server.extensions import db
from server.jobs.tasks.push import flush
from server.stores.settings import rules, tax_mapping
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings
from server.web import inputs
from server.web.dashboard.api import bp
from server.web.dashboard.sessions import store_for_request

# In answers; ignored in a PATCH.
READ_ONLY = frozenset({"tax_mapping_status", "payment_options", "warnings"})
Answer = tuple[dict[str, Any], int]


@bp.get("/csrf-token")
def csrf_token() -> dict[str, str]:
    return {"csrf_token": generate_csrf()}


def _document(
    store_id: int, settings: StoreSettings, needs: tax_mapping.TaxNeeds
) -> dict[str, Any]:
    status = needs.status(settings)
    options = rules.payment_options(rules.cached_references(store_id))
    return {
        **settings.model_dump(mode="json"),
        "tax_mapping_status": status.as_json(),
        "payment_options": options,
    }


@bp.get("/stores/<public_id>/settings")
def get_settings(public_id: str) -> dict[str, Any]:
    store = store_for_request(public_id)
    return _document(store.id, settings_store.load(store.id), tax_mapping.needs_of(store.id))


def field_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors by dotted path ("documents.invoice_status"), the first per field."""
    errors: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"] if part != "[key]")
        errors.setdefault(path, item["msg"].removeprefix("Value error, "))
    return errors


def merged(current: StoreSettings, patch: Mapping[str, Any]) -> StoreSettings:
    """`current` with the sections of `patch` replaced (modules: merged key by key)."""
    document = current.model_dump(mode="json")
    for section, value in patch.items():
        if section == "modules" and isinstance(value, dict):
            document[section] = {**document[section], **value}
        else:
            document[section] = value
    return StoreSettings.model_validate(document)


@bp.patch("/stores/<public_id>/settings")
def patch_settings(public_id: str) -> dict[str, Any] | Answer:
    store = store_for_request(public_id)
    patch = {
        section: value
        for section, value in inputs.json_object().items()
        if section not in READ_ONLY
    }
    before = settings_store.load(store.id)
    try:
        candidate = merged(before, patch)
    except ValidationError as error:
        return {"errors": field_errors(error)}, 422
    requested = {module: getattr(candidate.modules, module) for module in patch.get("modules", {})}
    needs = tax_mapping.needs_of(store.id)
    try:
        settings = rules.apply_change(before, candidate, requested, needs)
    except rules.RuleError as error:
        return {"error": error.message}, 409
    errors = rules.reference_errors(settings, rules.cached_references(store.id), patch.keys())
    warnings: dict[str, str] = {}
    if "tax_mapping" in patch:
        tax_errors, warnings = needs.check_rows(settings)
        errors |= tax_errors
    if errors:
        return {"errors": errors}, 422
    settings_store.save(store.id, settings)
    db.session.commit()
    if settings.modules.invoices:  # orders waiting for a prerequisite may go now
        flush.enqueue(store.id)
    return {**_document(store.id, settings, needs), "warnings": warnings}
