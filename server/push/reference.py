"""Reference data read once and cached per store: the organisation, its tax rates,
accounts, tracking categories and items (five calls), and the store's WooCommerce tax rates
(for the tax mapping). Refreshed on schedule, on demand, and when missing or stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connectors.xero import resources
from server.connectors.xero.client import XeroClient
from server.extensions import db
from server.mapping import reference as reference_data
from server.mapping.reference import Reference
from server.models import ReferenceKind, Store, XeroConnection, XeroReference
from server.models.types import utcnow

MAX_AGE = timedelta(hours=24)
XERO_KINDS = {
    ReferenceKind.ORGANISATION: resources.ORGANISATION,
    ReferenceKind.TAX_RATES: resources.TAX_RATES,
    ReferenceKind.ACCOUNTS: resources.ACCOUNTS,
    ReferenceKind.TRACKING_CATEGORIES: resources.TRACKING_CATEGORIES,
    ReferenceKind.ITEMS: resources.ITEMS,
}


def cached(store_id: int) -> dict[ReferenceKind, XeroReference]:
    rows = db.session.scalars(sa.select(XeroReference).where(XeroReference.store_id == store_id))
    return {row.kind: row for row in rows}


def organisation(store_id: int) -> dict[str, Any]:
    """The organisation's record as last read ({} before): the connected tenant's, so that
    after a switch of organisation no page shows the old one's timezone, name or links."""
    return organisations([store_id]).get(store_id, {})


def organisations(store_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`organisation` for many stores in one query (stores not read yet left out)."""
    tenant = (
        sa.select(XeroConnection.tenant_id)
        .where(XeroConnection.store_id == XeroReference.store_id)
        .scalar_subquery()
    )
    found = db.session.execute(
        sa.select(XeroReference.store_id, XeroReference.rows).where(
            XeroReference.store_id.in_(store_ids),
            XeroReference.kind == ReferenceKind.ORGANISATION,
            XeroReference.tenant_id == sa.func.coalesce(tenant, XeroReference.tenant_id),
        )
    ).all()
    return {store_id: dict(rows[0]) for store_id, rows in found if rows}


def is_fresh(store_id: int, tenant_id: str) -> bool:
    rows = cached(store_id)
    oldest = utcnow() - MAX_AGE
    return all(
        kind in rows and rows[kind].tenant_id == tenant_id and rows[kind].fetched_at > oldest
        for kind in XERO_KINDS
    )


def refresh_xero(store_id: int, client: XeroClient) -> int:
    """Read every Xero kind and keep it, in the class of call the caller set (the flush:
    its own; the daily refresh: backfill's); returns the calls made. Commits."""
    fetched = {kind: client.get(resource, _params(kind)) for kind, resource in XERO_KINDS.items()}
    for kind, rows in fetched.items():
        keep(store_id, kind, rows, client.tenant_id)
    db.session.commit()
    return len(fetched)


def refresh_organisation(store_id: int, client: XeroClient) -> None:
    """The organisation alone (its lock dates, say), read again. Commits."""
    rows = client.get(resources.ORGANISATION)
    keep(store_id, ReferenceKind.ORGANISATION, rows, client.tenant_id)
    db.session.commit()


def _params(kind: ReferenceKind) -> dict[str, Any] | None:
    if kind is ReferenceKind.TRACKING_CATEGORIES:
        return {"includeArchived": True}
    return None


def refresh_woo_tax_rates(store: Store) -> int:
    """The store's WooCommerce tax rates (all pages) and its payment gateways, as the
    settings map them. Commits; answers the number of rates."""
    client = woo_access.client_for(store)
    rows = list(client.iterate("taxes"))
    gateways = [
        {key: gateway.get(key) for key in ("id", "title", "enabled", "method_title")}
        for gateway in client.payment_gateways()
    ]
    keep(store.id, ReferenceKind.WOO_TAX_RATES, rows, "")
    keep(store.id, ReferenceKind.WOO_PAYMENT_GATEWAYS, gateways, "")
    db.session.commit()
    return len(rows)


def keep(store_id: int, kind: ReferenceKind, rows: list[dict[str, Any]], tenant_id: str) -> None:
    row = db.session.scalar(
        sa.select(XeroReference).where(
            XeroReference.store_id == store_id, XeroReference.kind == kind
        )
    )
    if row is None:
        row = XeroReference(store_id=store_id, kind=kind)
        db.session.add(row)
    row.rows = _jsonable(rows)
    row.tenant_id = tenant_id
    row.fetched_at = utcnow()


def add_items(store_id: int, items: list[dict[str, Any]]) -> None:
    """Items just created join the cached list, so the next order needs no lookup."""
    row = cached(store_id).get(ReferenceKind.ITEMS)
    if row is not None and items:
        row.rows = [*row.rows, *_jsonable(items)]


def reference_for(store_id: int) -> Reference:
    rows = {kind: row.rows for kind, row in cached(store_id).items()}
    return reference_data.from_rows(
        rows.get(ReferenceKind.ORGANISATION, []),
        rows.get(ReferenceKind.TAX_RATES, []),
        rows.get(ReferenceKind.ACCOUNTS, []),
        rows.get(ReferenceKind.TRACKING_CATEGORIES, []),
        rows.get(ReferenceKind.ITEMS, []),
    )


def _jsonable(value: Any) -> Any:
    """Xero's rows with Decimal and datetime as strings, to be kept as JSON."""
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
