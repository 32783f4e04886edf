"""OAuth scopes: which exist, and which grant each Accounting API collection.

Sourced: the granular scopes of apps created from 2 March 2026 (developer.xero.com/faq/
granular-scopes; mapping per notes §1: ``accounting.invoices`` covers Invoices, CreditNotes,
Quotes and Items, ``accounting.payments`` covers Payments) and the legacy broad scopes of the
spec (``accounting.transactions`` for Invoices, CreditNotes, Quotes and Payments;
``accounting.settings`` for Items, TaxRates, Accounts, TrackingCategories, Organisation and
Currencies).
Each write scope's ``.read`` variant allows GET.
"""

from __future__ import annotations

LEGACY = frozenset({"accounting.transactions", "accounting.transactions.read"})
KNOWN = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.invoices",
        "accounting.invoices.read",
        "accounting.payments",
        "accounting.payments.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.attachments",
        "accounting.attachments.read",
        *LEGACY,
    }
)
_WRITE_SCOPES: dict[str, frozenset[str]] = {
    "Invoices": frozenset({"accounting.invoices", "accounting.transactions"}),
    "CreditNotes": frozenset({"accounting.invoices", "accounting.transactions"}),
    "Quotes": frozenset({"accounting.invoices", "accounting.transactions"}),
    "Payments": frozenset({"accounting.payments", "accounting.transactions"}),
    "Contacts": frozenset({"accounting.contacts"}),
    "Items": frozenset({"accounting.settings", "accounting.invoices"}),
    "TaxRates": frozenset({"accounting.settings"}),
    "Accounts": frozenset({"accounting.settings"}),
    "TrackingCategories": frozenset({"accounting.settings"}),
    "Organisation": frozenset({"accounting.settings"}),
    "Currencies": frozenset({"accounting.settings"}),
}


def allowed(collection: str, write: bool, granted: set[str]) -> bool:
    """Whether ``granted`` scopes permit reading (or writing) ``collection``; a collection the
    sandbox does not serve is left to the spec check (404) and the router (501)."""
    if collection not in _WRITE_SCOPES:
        return True
    scopes = _WRITE_SCOPES[collection]
    if not write:
        scopes = scopes | {f"{scope}.read" for scope in scopes}
    return bool(scopes & granted)


def grants_tenant_access(scopes: set[str]) -> bool:
    """Whether a consent with these scopes connects organisations."""
    return any(s.startswith("accounting.") for s in scopes)
