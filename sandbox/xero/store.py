"""In-memory state of every seeded organisation, guarded by one re-entrant lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from . import seed
from .config import OrganisationSpec
from .formats import now_utc

Row = dict[str, Any]

COLLECTIONS = (
    "Contacts",
    "Items",
    "TaxRates",
    "Accounts",
    "TrackingCategories",
    "Invoices",
    "Quotes",
    "CreditNotes",
    "Payments",
    "Currencies",
)


@dataclass
class Tenant:
    """One organisation: its settings record and its collections keyed by id."""

    spec: OrganisationSpec
    tenant_id: str
    organisation: Row
    collections: dict[str, dict[str, Row]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    @property
    def currencies(self) -> set[str]:
        """The base currency and every currency added to the organisation."""
        return set(self.collections["Currencies"])

    def rows(self, collection: str) -> dict[str, Row]:
        """The rows of ``collection`` keyed by their id, in creation order."""
        return self.collections[collection]

    def next_number(self, prefix: str, taken: set[str]) -> str:
        """The next free ``PREFIX-0001``-style number (Xero's default numbering)."""
        value = self.sequences.get(prefix, 0)
        while True:
            value += 1
            candidate = f"{prefix}-{value:04d}"
            if candidate not in taken:
                self.sequences[prefix] = value
                return candidate


def _new_tenant(spec: OrganisationSpec) -> Tenant:
    now = now_utc()
    tenant_id = spec.resolved_tenant_id()
    tenant = Tenant(spec, tenant_id, seed.organisation(spec, tenant_id, now))
    tenant.collections = {name: {} for name in COLLECTIONS}
    for rate in seed.tax_rates(spec):
        tenant.collections["TaxRates"][rate["TaxType"]] = rate
    for account in seed.accounts(spec, tenant_id, now):
        tenant.collections["Accounts"][account["AccountID"]] = account
    for currency in seed.currencies(spec):
        tenant.collections["Currencies"][currency["Code"]] = currency
    for category in seed.tracking_categories(tenant_id):
        tenant.collections["TrackingCategories"][category["TrackingCategoryID"]] = category
    return tenant


class Ledger:
    """All tenants. Hold ``lock`` for any read-modify-write of their data."""

    def __init__(self, organisations: tuple[OrganisationSpec, ...]) -> None:
        self.lock = threading.RLock()
        self._organisations = organisations
        self.tenants: dict[str, Tenant] = {}
        self.reset()

    def reset(self) -> None:
        """Back to freshly seeded organisations."""
        with self.lock:
            self.tenants = {}
            for spec in self._organisations:
                tenant = _new_tenant(spec)
                self.tenants[tenant.tenant_id] = tenant

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant with this id, if any."""
        return self.tenants.get(tenant_id)
