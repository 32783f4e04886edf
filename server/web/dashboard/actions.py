"""What a store admin or an operator can do to a store, whichever way they ask (the JSON
API, the dashboard's forms, the admin panel): change its settings through the module chain,
start a manual sync behind its cooldown, start a backfill, replay failed and held orders,
repair its webhooks. Each answers a small result the caller turns into its own kind of answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.inbound import backfill
from server.jobs.tasks.inbound import check_store_webhooks
from server.jobs.tasks.push import enqueue_manual_sync, flush, run_backfill
from server.models import Backfill, Store
from server.push import outbox
from server.stores.settings import rules, tax_mapping
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import Polling, StoreSettings

# Parts of the settings document that are answers, not settings: ignored in a change.
READ_ONLY = frozenset({"tax_mapping_status", "payment_options", "warnings"})
POLLING = "polling"  # a section kept on the WooCommerce connection (schema.Polling)


@dataclass(frozen=True)
class SettingsChange:
    """A change kept (`settings`), or refused: by field (`errors`) or by the module chain
    (`refusal`, in words)."""

    settings: StoreSettings | None = None
    errors: dict[str, str] = field(default_factory=dict)
    refusal: str = ""
    warnings: dict[str, str] = field(default_factory=dict)


def field_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors by dotted path ("documents.invoice_status"), the first per field,
    in words a store admin reads (not "Input should be a valid string")."""
    errors: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"] if part != "[key]")
        errors.setdefault(path, _in_words(item))
    return errors


def _in_words(item: Mapping[str, Any]) -> str:
    kind, limits = item["type"], item.get("ctx") or {}
    if kind in ("missing", "string_type", "none_required") or (
        kind == "string_too_short" and limits.get("min_length") == 1
    ):
        return "Required: fill this in or choose one."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "A whole number, such as 30."
    if kind in ("greater_than_equal", "greater_than"):
        return f"At least {limits.get('ge', limits.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"At most {limits.get('le', limits.get('lt'))}."
    if kind == "string_too_long":
        return f"At most {limits.get('max_length')} characters."
    if kind == "too_long":
        return f"At most {limits.get('max_length')} rows."
    if kind == "bool_type":
        return "On or off."
    if kind == "literal_error":
        return f"Choose one of: {limits.get('expected', 'the choices offered')}."
    if kind == "string_pattern_mismatch":
        return "Not in the form expected here (letters, digits and - _ . : only)."
    return str(item["msg"]).removeprefix("Value error, ")


def merged(current: StoreSettings, patch: Mapping[str, Any]) -> StoreSettings:
    """`current` with the sections of `patch` replaced (modules: merged key by key)."""
    document = current.model_dump(mode="json")
    for section, value in patch.items():
        if section == "modules" and isinstance(value, dict):
            document[section] = {**document[section], **value}
        else:
            document[section] = value
    return StoreSettings.model_validate(document)


def change_settings(store: Store, patch: Mapping[str, Any]) -> SettingsChange:
    """Replace the sections of `patch` in the store's settings, if the document, the module
    chain and the organisation's codes all allow it; kept and committed, and the store's
    waiting orders set going, when they do."""
    patch = {section: value for section, value in patch.items() if section not in READ_ONLY}
    polling, polling_errors = (
        (None, {}) if POLLING not in patch else _polling(store, patch[POLLING])
    )
    patch.pop(POLLING, None)
    before = settings_store.load(store.id)
    try:
        candidate = merged(before, patch)
    except ValidationError as error:
        return SettingsChange(errors=polling_errors | field_errors(error))
    requested = {module: getattr(candidate.modules, module) for module in patch.get("modules", {})}
    needs = tax_mapping.needs_of(store.id)
    try:
        settings = rules.apply_change(before, candidate, requested, needs)
    except rules.RuleError as error:
        return SettingsChange(refusal=error.message)
    errors = rules.reference_errors(settings, rules.cached_references(store.id), patch.keys())
    warnings: dict[str, str] = {}
    if "tax_mapping" in patch:
        tax_errors, warnings = needs.check_rows(settings)
        errors |= tax_errors
    if errors or polling_errors:
        return SettingsChange(errors=polling_errors | errors)
    settings_store.save(store.id, settings)
    if polling is not None:
        _save_polling(store, polling)
    db.session.commit()
    if settings.modules.invoices:  # orders waiting for a prerequisite may go now
        flush.enqueue(store.id)
    return SettingsChange(settings=settings, warnings=warnings)


def polling_of(store: Store) -> Polling:
    connection = woo_access.connection_for_store(store.id)
    return Polling(interval_minutes=connection.poll_interval_minutes if connection else None)


def _polling(store: Store, value: Any) -> tuple[Polling | None, dict[str, str]]:
    """The `polling` section checked: its value, or its errors by dotted path."""
    try:
        polling = Polling.model_validate(value)
    except ValidationError as error:
        return None, {
            ".".join(filter(None, (POLLING, path))): text
            for path, text in field_errors(error).items()
        }
    no_connection = woo_access.connection_for_store(store.id) is None
    if no_connection and polling.interval_minutes is not None:
        return None, {
            f"{POLLING}.interval_minutes": "grant WooCommerce access first: the interval is "
            "kept with the store's WooCommerce connection"
        }
    return polling, {}


def _save_polling(store: Store, polling: Polling) -> None:
    connection = woo_access.connection_for_store(store.id)
    if connection is not None:
        connection.poll_interval_minutes = polling.interval_minutes


@dataclass(frozen=True)
class SyncStart:
    """A manual sync queued, or why not: its module is off (`refusal`), or its cooldown
    runs for `retry_after` more seconds."""

    scope: rules.SyncScope
    refusal: str = ""
    retry_after: int = 0

    @property
    def queued(self) -> bool:
        return not self.refusal and not self.retry_after


def start_sync(store: Store, scope: rules.SyncScope) -> SyncStart:
    module = rules.SCOPE_MODULES[scope]
    if not getattr(settings_store.load(store.id).modules, module):
        label = rules.MODULE_LABELS[module]
        return SyncStart(scope, refusal=f"the {label} module is off; turn it on first")
    try:
        rules.claim_cooldown(store.id, scope)
    except rules.CooldownError as error:
        return SyncStart(scope, retry_after=error.retry_after)
    enqueue_manual_sync(store.id, scope)
    return SyncStart(scope)


def start_backfill(store: Store, since: datetime) -> Backfill:
    """Every order created since `since` to Xero; BackfillError (in words) if it cannot
    start now."""
    if not settings_store.load(store.id).modules.invoices:
        raise backfill.BackfillError("the Invoices module is off; turn it on first")
    run = backfill.start(store.id, since)
    db.session.commit()
    run_backfill.enqueue(run.id)
    return run


def replay(store: Store, woo_order_id: str | None = None) -> int:
    """Failed and held orders (one, or all of the store's) back to the outbox; how many."""
    return replay_orders(store, [woo_order_id])


def replay_orders(store: Store, woo_order_ids: Iterable[str | None]) -> int:
    """These failed and held orders of the store (None: all of them) back to the outbox, in
    one commit and one flush; how many. Committed before the flush is enqueued: should Redis
    fail then, the per-minute flush of waiting work takes them up."""
    count = sum(outbox.replay(store.id, woo_order_id) for woo_order_id in woo_order_ids)
    db.session.commit()
    if count:
        flush.enqueue(store.id)
    return count


def repair_webhooks(store: Store) -> None:
    """Put back the webhooks WooCommerce turned off or someone removed, and poll the gap
    they may have left (a job: it calls the store)."""
    check_store_webhooks.enqueue(store.id)
