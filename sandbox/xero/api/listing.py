"""GET lists: explicit filters, ``where``, ``order``, ``If-Modified-Since`` and paging.

Sourced (spec and notes §8): ``page`` gives 100 records; ``pageSize`` (where the spec has it)
defaults to 100 and is clamped to 1000; responses of paged requests carry ``pagination``
``{page, pageSize, pageCount, itemCount}``; ``IDs``, ``InvoiceNumbers``, ``ContactIDs`` and
``Statuses`` batch reads; ``includeArchived``; ``summaryOnly``; ``searchTerm`` over
InvoiceNumber and Reference (invoices) or Name, FirstName, LastName, ContactNumber and
EmailAddress (contacts, case-insensitive). Assumed: without ``order`` rows come in creation
order; ``If-Modified-Since`` keeps rows with ``UpdatedDateUTC`` at or after the given time;
``pageSize`` alone means page 1; ``itemCount`` is the number of matching records.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..formats import parse_date, parse_http_date
from ..store import Row
from .where import Schemas, parse_order, parse_where, sort_rows

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
Renderer = Callable[[Row, str], Row]


@dataclass(frozen=True)
class Listing:
    """How one collection is listed."""

    collection: str
    schema: str
    render: Renderer
    paged: bool = False
    sized: bool = False
    list_detail: str = "full"


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _explicit_filters(rows: list[Row], args: dict[str, str]) -> list[Row]:
    ids = {i.lower() for i in _csv(args.get("IDs"))}
    if ids:
        rows = [
            r
            for r in rows
            if str(r.get("InvoiceID") or r.get("ContactID") or r.get("CreditNoteID")).lower() in ids
        ]
    numbers = set(_csv(args.get("InvoiceNumbers")))
    if numbers:
        rows = [r for r in rows if r.get("InvoiceNumber") in numbers]
    contact_ids = {i.lower() for i in _csv(args.get("ContactIDs"))}
    if contact_ids:
        rows = [r for r in rows if r["Contact"]["ContactID"].lower() in contact_ids]
    statuses = {s.upper() for s in _csv(args.get("Statuses"))}
    if statuses:
        rows = [r for r in rows if r.get("Status") in statuses]
    return rows


def _quote_filters(rows: list[Row], args: dict[str, str]) -> list[Row]:
    bounds = {
        "DateFrom": ("Date", 1),
        "DateTo": ("Date", -1),
        "ExpiryDateFrom": ("ExpiryDate", 1),
        "ExpiryDateTo": ("ExpiryDate", -1),
    }
    for arg, (field, direction) in bounds.items():
        bound = parse_date(args.get(arg) or "")
        if bound is not None:
            rows = [
                r
                for r in rows
                if r.get(field) is not None
                and (r[field] >= bound if direction == 1 else r[field] <= bound)
            ]
    if args.get("ContactID"):
        rows = [r for r in rows if r["Contact"]["ContactID"].lower() == args["ContactID"].lower()]
    if args.get("Status"):
        rows = [r for r in rows if r["Status"] == args["Status"].upper()]
    if args.get("QuoteNumber"):
        rows = [r for r in rows if r.get("QuoteNumber") == args["QuoteNumber"]]
    return rows


def _search(rows: list[Row], term: str, fields: tuple[str, ...]) -> list[Row]:
    needle = term.casefold()
    return [r for r in rows if any(needle in str(r.get(f) or "").casefold() for f in fields)]


_SEARCH_FIELDS = {
    "Invoices": ("InvoiceNumber", "Reference"),
    "Contacts": ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"),
}


def list_rows(
    listing: Listing,
    stored: list[Row],
    args: dict[str, str],
    if_modified_since: str | None,
    schemas: Schemas,
) -> tuple[list[Row], dict[str, int] | None]:
    """The rows a GET list returns and, for paged requests, its pagination."""
    pairs = [(row, listing.render(row, "full")) for row in stored]
    source = {id(rendered): row for row, rendered in pairs}
    rows = [rendered for _, rendered in pairs]
    if if_modified_since:
        since = parse_http_date(if_modified_since)
        if since is not None:
            rows = [r for r in rows if r.get("UpdatedDateUTC") and r["UpdatedDateUTC"] >= since]
    rows = _explicit_filters(rows, args)
    if listing.collection == "Quotes":
        rows = _quote_filters(rows, args)
    term = args.get("searchTerm")
    if term and listing.collection in _SEARCH_FIELDS:
        rows = _search(rows, term, _SEARCH_FIELDS[listing.collection])
    if args.get("where"):
        predicate = parse_where(args["where"], schemas, listing.schema)
        rows = [r for r in rows if predicate(r)]
    if args.get("order"):
        rows = sort_rows(rows, parse_order(args["order"], schemas, listing.schema))
    pagination = None
    paging = listing.paged and ("page" in args or (listing.sized and "pageSize" in args))
    if paging:
        page = max(1, int(args.get("page") or 1))
        size = PAGE_SIZE
        if listing.sized and args.get("pageSize"):
            size = min(MAX_PAGE_SIZE, max(1, int(args["pageSize"])))
        total = len(rows)
        pagination = {
            "page": page,
            "pageSize": size,
            "pageCount": math.ceil(total / size),
            "itemCount": total,
        }
        rows = rows[(page - 1) * size : page * size]
    level = "full" if paging else listing.list_detail
    if args.get("summaryOnly", "").lower() == "true":
        level = "summary"
    if level != "full":
        rows = [listing.render(source[id(r)], level) for r in rows]
    return rows, pagination
