"""What the server enforces around the settings: the module dependency chain, the tax mapping
being complete, settings that name things active in Xero, and manual-sync cooldowns.

Chain: Tax Rates sync → tax mapping complete → Items and Contacts → Invoices. The checks are
pure functions of the settings and cached reference rows; small readers fetch those rows.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from server.extensions import db
from server.mapping import reference as reference_data
from server.models import ReferenceKind, XeroReference
from server.redis_client import get_redis
from server.stores.settings import storage as settings_store
from server.stores.settings import tax_mapping
from server.stores.settings.schema import MODULE_PREREQUISITES, Modules, StoreSettings
from server.stores.settings.storage import SINGLE_ACCOUNTS
from server.stores.settings.tax_mapping import TaxMappingStatus, TaxNeeds, describe_unmapped

Rows = Sequence[Mapping[str, Any]]

MODULE_LABELS = {
    "tax_rates": "Tax Rates",
    "contacts": "Contacts",
    "items": "Items",
    "invoices": "Invoices",
}


class SyncScope(enum.StrEnum):
    """What a manual sync brings up to date (`POST /api/v1/stores/<id>/sync/<scope>`)."""

    TAX_RATES = "tax_rates"  # the reference data, with the store's WooCommerce tax rates
    CONTACTS = "contacts"
    ITEMS = "items"
    PUSH = "push"  # the outbox, flushed now
    PULL = "pull"  # what Xero changed
    DRIFT = "drift"  # every bound invoice compared with the store (server.pull.drift)


COOLDOWN_SECONDS = {
    SyncScope.TAX_RATES: 60, SyncScope.CONTACTS: 60, SyncScope.ITEMS: 60, SyncScope.PUSH: 5,
    SyncScope.PULL: 10,
    SyncScope.DRIFT: 300,  # a run reads every bound invoice
}  # fmt: skip
# The module a manual sync of each scope needs.
SCOPE_MODULES = {
    SyncScope.TAX_RATES: "tax_rates",
    SyncScope.CONTACTS: "contacts",
    SyncScope.ITEMS: "items",
    SyncScope.PUSH: "invoices",
    SyncScope.PULL: "invoices",
    SyncScope.DRIFT: "invoices",
}


class RuleError(Exception):
    """A change the chain refuses; the message says what is missing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CooldownError(Exception):
    """A manual sync of this scope ran too recently."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"try again in {retry_after} s")
        self.retry_after = retry_after


def prerequisites(module: str) -> set[str]:
    """Every module `module` needs, directly or not."""
    needed: set[str] = set()
    pending = list(MODULE_PREREQUISITES[module])
    while pending:
        current = pending.pop()
        if current not in needed:
            needed.add(current)
            pending.extend(MODULE_PREREQUISITES[current])
    return needed


NEEDS_TAX_MAPPING = frozenset(m for m in MODULE_PREREQUISITES if "tax_rates" in prerequisites(m))


def _on(modules: Modules) -> set[str]:
    return {module for module, on in modules.model_dump().items() if on}


def _names(modules: Iterable[str]) -> str:
    labels = [MODULE_LABELS[module] for module in MODULE_LABELS if module in set(modules)]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def resolve_modules(current: Modules, requested: Mapping[str, bool]) -> Modules:
    """`current` with the `requested` switches applied: a module switched on brings its
    prerequisites; switching off one that a module staying on needs is refused."""
    switched_off = {module for module, on in requested.items() if not on}
    wanted = _on(current) - switched_off
    wanted |= {module for module, on in requested.items() if on}
    resolved = wanted | {needed for module in wanted for needed in prerequisites(module)}
    for module in (module for module in MODULE_LABELS if module in switched_off):
        dependents = [other for other in resolved - switched_off if module in prerequisites(other)]
        if len(dependents) == 1:
            needs = MODULE_PREREQUISITES[dependents[0]]
            raise RuleError(
                f"{_names(dependents)} needs {_names(needs)}; turn {_names(dependents)} off first"
            )
        if dependents:
            raise RuleError(
                f"{_names(dependents)} need {MODULE_LABELS[module]}; turn them off first"
            )
    return Modules(**{module: module in resolved for module in MODULE_LABELS})


def check_tax_mapping(before: StoreSettings, after: StoreSettings, needs: TaxNeeds) -> None:
    """Refuse turning on a module that needs the tax mapping while it is incomplete, and
    unmapping keys while such a module is on."""
    status_before = needs.status(before)
    status_after = needs.status(after)
    on_after = _on(after.modules)
    if (on_after - _on(before.modules)) & NEEDS_TAX_MAPPING and not status_after.complete:
        raise RuleError(f"complete the tax mapping first: {status_after.describe()}")
    dependents = on_after & NEEDS_TAX_MAPPING
    lost = {
        key: label
        for key, label in status_after.unmapped.items()
        if key not in status_before.unmapped
    }
    if lost and dependents:
        names = _names(dependents)
        verb = "needs" if len(dependents) == 1 else "need"
        raise RuleError(
            f"{names} {verb} a complete tax mapping: "
            f"{describe_unmapped(lost)}; "
            f"keep the mapping complete or turn {names} off first"
        )


def apply_change(
    before: StoreSettings,
    candidate: StoreSettings,
    requested: Mapping[str, bool],
    needs: TaxNeeds,
) -> StoreSettings:
    """`candidate` (validated) with its modules resolved through the chain from `before`'s
    and the `requested` switches; RuleError if the chain refuses the change."""
    after = candidate.model_copy(update={"modules": resolve_modules(before.modules, requested)})
    check_tax_mapping(before, after, needs)
    return after


def blocking_reasons(
    settings: StoreSettings, status: TaxMappingStatus, module: str = "invoices"
) -> list[str]:
    """Why `module` may send nothing (empty if it may)."""
    off = (prerequisites(module) | {module}) - _on(settings.modules)
    reasons = [f"the {MODULE_LABELS[name]} module is off" for name in MODULE_LABELS if name in off]
    if module in NEEDS_TAX_MAPPING and not status.complete:
        reasons.append(f"the tax mapping is incomplete: {status.describe()}")
    return reasons


def reference_errors(
    settings: StoreSettings, cached: Mapping[ReferenceKind, Rows], sections: Collection[str]
) -> dict[str, str]:
    """Per-field errors of the `sections` whose codes and names are not active in the Xero
    organisation; a kind of reference data never cached is not checked. (The tax mapping's
    rows: `TaxNeeds.check_rows`, which also warns.)"""
    reference = reference_data.from_rows(
        cached.get(ReferenceKind.ORGANISATION, ()),
        cached.get(ReferenceKind.TAX_RATES, ()),
        cached.get(ReferenceKind.ACCOUNTS, ()),
        cached.get(ReferenceKind.TRACKING_CATEGORIES, ()),
        (),
    )
    errors: dict[str, str] = {}
    if "accounts" in sections and ReferenceKind.ACCOUNTS in cached:
        accounts = settings.accounts
        codes = {name: getattr(accounts, name) for name in SINGLE_ACCOUNTS}
        codes |= {f"products.{ref}": code for ref, code in accounts.products.items()}
        codes |= {f"categories.{ref}": code for ref, code in accounts.categories.items()}
        for field, code in codes.items():
            if code is not None and code not in reference.accounts:
                errors[f"accounts.{field}"] = f"no active Xero account with code {code}"
    if "payments" in sections and ReferenceKind.ACCOUNTS in cached:
        errors |= _payment_account_errors(settings, reference)
    if "refunds" in sections and ReferenceKind.ACCOUNTS in cached:
        code = settings.refunds.amount_only_account
        if code is not None and code not in reference.accounts:
            errors["refunds.amount_only_account"] = f"no active Xero account with code {code}"
    if "refunds" in sections and ReferenceKind.TAX_RATES in cached:
        tax_type = settings.refunds.amount_only_tax_type
        if tax_type is not None and tax_type not in reference.tax_rates:
            errors["refunds.amount_only_tax_type"] = f"no active Xero tax rate of type {tax_type}"
    if "tracking" in sections and ReferenceKind.TRACKING_CATEGORIES in cached:
        for index, rule in enumerate(settings.tracking):
            category = reference.tracking.get(rule.tracking_category.lower())
            if category is None:
                errors[f"tracking.{index}.tracking_category"] = (
                    f"no active Xero tracking category named '{rule.tracking_category}'"
                )
            elif rule.tracking_option.lower() not in category.options:
                errors[f"tracking.{index}.tracking_option"] = (
                    f"no active option '{rule.tracking_option}' in '{category.name}'"
                )
    return errors


def _payment_account_errors(
    settings: StoreSettings, reference: reference_data.Reference
) -> dict[str, str]:
    """Payments go into accounts Xero lets take them: bank accounts, or ones with payments
    enabled."""
    payments = settings.payments
    codes = {"payments.default_account": payments.default_account}
    codes |= {f"payments.by_gateway.{gateway}": code
              for gateway, code in payments.by_gateway.items()}  # fmt: skip
    return {
        field: f"Xero account {code} cannot take payments (a bank account, or one with "
        "payments enabled)"
        for field, code in codes.items()
        if code is not None and code not in reference.payment_accounts
    }


def payment_options(cached: Mapping[ReferenceKind, Rows]) -> dict[str, list[dict[str, Any]]]:
    """What the payments mapping chooses from: the store's gateways as WooCommerce reports
    them, and the Xero accounts that take payments (each empty until first read: the Tax
    Rates sync reads both)."""
    gateways = [
        {"id": str(row.get("id") or ""), "title": str(row.get("title") or row.get("id") or ""),
         "enabled": row.get("enabled") is True}
        for row in cached.get(ReferenceKind.WOO_PAYMENT_GATEWAYS, ())
        if row.get("id")
    ]  # fmt: skip
    accounts = [
        {"code": str(row["Code"]), "name": str(row.get("Name") or ""),
         "type": str(row.get("Type") or "")}
        for row in cached.get(ReferenceKind.ACCOUNTS, ())
        if row.get("Code") and row.get("Status", "ACTIVE") == "ACTIVE"
        and (row.get("Type") == "BANK" or row.get("EnablePaymentsToAccount") is True)
    ]  # fmt: skip
    return {"gateways": gateways, "accounts": accounts}


# What settings refer to: every kind but the items (thousands of rows no setting names).
SETTINGS_KINDS = tuple(kind for kind in ReferenceKind if kind is not ReferenceKind.ITEMS)


def cached_references(
    store_id: int, kinds: Collection[ReferenceKind] = SETTINGS_KINDS
) -> dict[ReferenceKind, Rows]:
    """The store's cached reference rows of `kinds` (those settings refer to unless told),
    by kind (kinds never read are absent)."""
    rows = db.session.execute(
        sa.select(XeroReference.kind, XeroReference.rows).where(
            XeroReference.store_id == store_id, XeroReference.kind.in_(kinds)
        )
    )
    return {kind: list(data or ()) for kind, data in rows}


def why_not_syncing(
    store_id: int, module: str = "invoices", settings: StoreSettings | None = None
) -> list[str]:
    """Why `module` of the store may send nothing now (empty if it may). `settings`: the
    store's, when the caller has loaded them already."""
    if settings is None:
        settings = settings_store.load(store_id)
    return blocking_reasons(settings, tax_mapping.needs_of(store_id).status(settings), module)


def _cooldown_key(store_id: int, scope: SyncScope) -> str:
    return f"wooxero:cooldown:{store_id}:{scope}"


def claim_cooldown(store_id: int, scope: SyncScope) -> None:
    """Start the cooldown of a manual sync of `scope`; CooldownError if it is running."""
    key = _cooldown_key(store_id, scope)
    if not get_redis().set(key, "1", nx=True, ex=COOLDOWN_SECONDS[scope]):
        raise CooldownError(max(1, cooldown_left(store_id, scope)))


def cooldown_left(store_id: int, scope: SyncScope) -> int:
    """Whole seconds until a manual sync of `scope` may start again; 0 if it may now."""
    remaining_ms = int(get_redis().pttl(_cooldown_key(store_id, scope)))  # type: ignore[arg-type]
    return max(0, math.ceil(remaining_ms / 1000))  # no key (-2) or no expiry (-1): none runs
