"""The Xero resources wooxero uses, declared as data (paths and parameters from the spec)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

BATCH_WRITE_SIZE = 50  # Xero's recommended maximum per request


class DocumentStatus(enum.StrEnum):
    """The statuses of Xero's sales documents (invoices, credit notes and quotes), as Xero
    spells them. A StrEnum: equal to the string Xero sends and the binding stores."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"
    DELETED = "DELETED"
    SENT = "SENT"  # quotes
    DECLINED = "DECLINED"
    ACCEPTED = "ACCEPTED"
    INVOICED = "INVOICED"


@dataclass(frozen=True)
class Resource:
    path: str  # under the API base, e.g. "Invoices"
    collection: str  # the envelope key of the response
    list_params: frozenset[str] = frozenset()  # GET query parameters besides paging
    paged: bool = False  # `page` (100 a page)
    page_size: bool = False  # `pageSize` (up to 1000 a page)
    modified_since: bool = False  # If-Modified-Since
    write_params: frozenset[str] = frozenset()  # PUT/POST query parameters

    @property
    def summarises_errors(self) -> bool:
        return "summarizeErrors" in self.write_params


def _params(*names: str) -> frozenset[str]:
    return frozenset(names)


ORGANISATION = Resource("Organisation", "Organisations")
CONTACTS = Resource(
    "Contacts", "Contacts",
    list_params=_params("where", "order", "IDs", "includeArchived", "summaryOnly", "searchTerm"),
    paged=True, page_size=True, modified_since=True,
    write_params=_params("summarizeErrors"),
)  # fmt: skip
ITEMS = Resource(
    "Items", "Items",
    list_params=_params("where", "order", "unitdp"),
    modified_since=True,
    write_params=_params("summarizeErrors", "unitdp"),
)  # fmt: skip
TAX_RATES = Resource("TaxRates", "TaxRates", list_params=_params("where", "order"))
ACCOUNTS = Resource(
    "Accounts", "Accounts", list_params=_params("where", "order"), modified_since=True
)
TRACKING_CATEGORIES = Resource(
    "TrackingCategories", "TrackingCategories",
    list_params=_params("where", "order", "includeArchived"),
)  # fmt: skip
INVOICES = Resource(
    "Invoices", "Invoices",
    list_params=_params(
        "where", "order", "IDs", "InvoiceNumbers", "ContactIDs", "Statuses", "includeArchived",
        "createdByMyApp", "unitdp", "summaryOnly", "searchTerm",
    ),
    paged=True, page_size=True, modified_since=True,
    write_params=_params("summarizeErrors", "unitdp"),
)  # fmt: skip
QUOTES = Resource(
    "Quotes", "Quotes",
    list_params=_params(
        "DateFrom", "DateTo", "ExpiryDateFrom", "ExpiryDateTo", "ContactID", "Status", "order",
        "QuoteNumber",
    ),
    paged=True, modified_since=True,
    write_params=_params("summarizeErrors"),
)  # fmt: skip
CREDIT_NOTES = Resource(
    "CreditNotes", "CreditNotes",
    list_params=_params("where", "order", "unitdp"),
    paged=True, page_size=True, modified_since=True,
    write_params=_params("summarizeErrors", "unitdp"),
)  # fmt: skip
PAYMENTS = Resource(
    "Payments", "Payments",
    list_params=_params("where", "order"),
    paged=True, page_size=True, modified_since=True,
    write_params=_params("summarizeErrors"),
)  # fmt: skip
ALLOCATIONS = Resource("Allocations", "Allocations", write_params=_params("summarizeErrors"))
