"""A store's `StoreSettings` document read from and written to its tables.

Modules and options (documents, contacts, payments, refunds, from_xero, notifications) live in
`SyncSettings`; accounts, the tax mapping and the tracking rules in their own rows. `save`
never commits: the caller does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from server.extensions import db
from server.models import AccountMapping, SyncSettings, TaxMapping, TrackingRule
from server.stores.settings.schema import (
    Accounts,
    Notifications,
    StoreSettings,
    TrackingRuleRow,
)

# Accounts fields stored as one row each, the field's name as scope and woo_ref "".
SINGLE_ACCOUNTS = ("sales", "shipping", "fees", "discounts", "rounding")
# Accounts fields stored as one row per WooCommerce id (woo_ref), by scope.
PER_ID_ACCOUNTS = {"products": "product", "categories": "category"}


def load(store_id: int) -> StoreSettings:
    """The store's settings; defaults for whatever was never saved."""
    stored = db.session.get(SyncSettings, store_id)
    document: dict[str, Any] = {}
    if stored is not None:
        document["modules"] = stored.modules or {}
        document.update((stored.options or {}).items())
    document["accounts"] = _load_accounts(store_id)
    document["tax_mapping"] = [
        {"woo_rates": row.woo_rates, "xero_tax_type": row.xero_tax_type, "label": row.woo_label}
        for row in _rows(TaxMapping, store_id)
    ]
    document["tracking"] = [
        {field: getattr(row, field) for field in TrackingRuleRow.model_fields}
        for row in _rows(TrackingRule, store_id)
    ]
    return StoreSettings.model_validate(document)


def save(store_id: int, settings: StoreSettings) -> None:
    """Write `settings` as the store's whole document (rows are replaced, not merged)."""
    stored = db.session.get(SyncSettings, store_id)
    if stored is None:
        stored = SyncSettings(store_id=store_id)
        db.session.add(stored)
    stored.modules = settings.modules.model_dump(mode="json")
    stored.options = {
        "documents": settings.documents.model_dump(mode="json"),
        "contacts": settings.contacts.model_dump(mode="json"),
        "payments": settings.payments.model_dump(mode="json"),
        "refunds": settings.refunds.model_dump(mode="json"),
        "from_xero": settings.from_xero.model_dump(mode="json"),
        "notifications": settings.notifications.model_dump(mode="json"),
    }
    # Deleted by statement before the inserts: a flush would insert before deleting and
    # trip the unique constraints of rows that stay.
    for model in (AccountMapping, TaxMapping, TrackingRule):
        db.session.execute(sa.delete(model).where(model.store_id == store_id))
    db.session.add_all(_account_rows(store_id, settings.accounts))
    db.session.add_all(
        TaxMapping(
            store_id=store_id,
            woo_rates=row.woo_rates,
            woo_label=row.label,
            xero_tax_type=row.xero_tax_type,
        )
        for row in settings.tax_mapping
    )
    # Added in the document's order: their ids keep it.
    db.session.add_all(
        TrackingRule(store_id=store_id, **row.model_dump()) for row in settings.tracking
    )
    db.session.flush()


def notification_switches(store_ids: Iterable[int]) -> dict[int, Notifications]:
    """Each store's notification switches, read alone (the check reads many stores')."""
    ids = list(store_ids)
    stored = dict(
        db.session.execute(
            sa.select(SyncSettings.store_id, SyncSettings.options).where(
                SyncSettings.store_id.in_(ids)
            )
        ).all()
    )
    return {
        store_id: Notifications.model_validate(
            (stored.get(store_id) or {}).get("notifications", {})
        )
        for store_id in ids
    }


def _rows(model: Any, store_id: int) -> list[Any]:
    return list(
        db.session.scalars(sa.select(model).where(model.store_id == store_id).order_by(model.id))
    )


def _load_accounts(store_id: int) -> dict[str, Any]:
    per_id = {scope: field for field, scope in PER_ID_ACCOUNTS.items()}
    accounts: dict[str, Any] = {field: {} for field in PER_ID_ACCOUNTS}
    for row in _rows(AccountMapping, store_id):
        if row.scope in per_id:
            accounts[per_id[row.scope]][row.woo_ref] = row.account_code
        elif row.scope in SINGLE_ACCOUNTS:
            accounts[row.scope] = row.account_code
    return accounts


def _account_rows(store_id: int, accounts: Accounts) -> list[AccountMapping]:
    rows = [
        AccountMapping(store_id=store_id, scope=scope, woo_ref="", account_code=code)
        for scope in SINGLE_ACCOUNTS
        if (code := getattr(accounts, scope)) is not None
    ]
    for field, scope in PER_ID_ACCOUNTS.items():
        rows.extend(
            AccountMapping(store_id=store_id, scope=scope, woo_ref=woo_ref, account_code=code)
            for woo_ref, code in getattr(accounts, field).items()
        )
    return rows
