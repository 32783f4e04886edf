"""Dispatch of Accounting API calls to the resource modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response

from ..store import Row
from .context import Context, ElementErrors
from .listing import Listing, list_rows
from .resources import allocations, contacts, currencies, documents, items, payments, settings
from .responses import (
    envelope,
    json_response,
    not_found,
    problem,
    query_parse_exception,
    validation_exception,
)
from .where import QueryParseError, Schemas
from .writing import write_batch


@dataclass
class Call:
    """One Accounting API request, already authorised and validated."""

    method: str
    parts: list[str]
    args: dict[str, str]
    if_modified_since: str | None
    body: Any
    ctx: Context
    provider: str
    schemas: Schemas

    @property
    def summarize(self) -> bool:
        """Xero summarises errors unless ``summarizeErrors=false``."""
        return self.args.get("summarizeErrors", "true").lower() != "false"

    def elements(self, collection: str) -> list[Any]:
        """The element list of a ``{"<Collection>": [...]}`` body."""
        if isinstance(self.body, dict):
            value = self.body.get(collection)
            if isinstance(value, list):
                return value
            if collection not in self.body and self.body:
                return [self.body]
        return []

    def ok(self, collection: str, rows: list[Row], **extra: Any) -> Response:
        """A 200 envelope."""
        return json_response(envelope(self.provider, collection, rows, **extra))


def _document_listing(ctx: Context, kind: documents.Kind) -> Listing:
    return Listing(
        kind.collection,
        kind.schema,
        lambda row, detail: documents.render(ctx, kind, row, detail),
        paged=True,
        sized=kind is not documents.QUOTE,
        list_detail="full" if kind is documents.QUOTE else "list",
    )


def _listings(call: Call) -> dict[str, Listing]:
    ctx = call.ctx
    include_archived = call.args.get("includeArchived", "").lower() == "true"
    return {
        "Invoices": _document_listing(ctx, documents.INVOICE),
        "CreditNotes": _document_listing(ctx, documents.CREDIT_NOTE),
        "Quotes": _document_listing(ctx, documents.QUOTE),
        "Contacts": Listing(
            "Contacts",
            "Contact",
            lambda row, detail: contacts.render(row, summary=detail == "summary"),
            paged=True,
            sized=True,
        ),
        "Payments": Listing(
            "Payments", "Payment", lambda row, _: payments.render(ctx, row), paged=True, sized=True
        ),
        "Items": Listing("Items", "Item", lambda row, _: items.render(row, ctx.unitdp)),
        "Accounts": Listing("Accounts", "Account", lambda row, _: dict(row)),
        "TaxRates": Listing("TaxRates", "TaxRate", lambda row, _: dict(row)),
        "Currencies": Listing("Currencies", "Currency", lambda row, _: currencies.render(row)),
        "TrackingCategories": Listing(
            "TrackingCategories",
            "TrackingCategory",
            lambda row, _: settings.render_tracking_category(row, include_archived),
        ),
    }


def _visible(call: Call, collection: str) -> list[Row]:
    rows = list(call.ctx.rows(collection).values())
    if call.args.get("includeArchived", "").lower() == "true":
        return rows
    if collection == "Contacts":
        return [r for r in rows if r["ContactStatus"] != "ARCHIVED"]
    if collection == "TrackingCategories":
        return [r for r in rows if r["Status"] == "ACTIVE"]
    return rows


def _find(call: Call, collection: str, key: str) -> Row | None:
    ctx = call.ctx
    finders: dict[str, Callable[[], Row | None]] = {
        "Invoices": lambda: documents.find(ctx, documents.INVOICE, key),
        "CreditNotes": lambda: documents.find(ctx, documents.CREDIT_NOTE, key),
        "Quotes": lambda: documents.find(ctx, documents.QUOTE, key),
        "Contacts": lambda: contacts.find(ctx, key),
        "Items": lambda: items.find(ctx, key),
        "Payments": lambda: ctx.rows("Payments").get(key.lower()),
        "Accounts": lambda: ctx.rows("Accounts").get(key.lower()),
        "TaxRates": lambda: next(
            (r for r in ctx.rows("TaxRates").values() if r["TaxType"].lower() == key.lower()),
            None,
        ),
        "TrackingCategories": lambda: ctx.rows("TrackingCategories").get(key.lower()),
    }
    finder = finders.get(collection)
    return finder() if finder else None


def _get(call: Call) -> Response:
    collection = call.parts[0]
    if collection == "Organisation" and len(call.parts) == 1:
        return call.ok("Organisations", [call.ctx.tenant.organisation])
    listing = _listings(call).get(collection)
    if listing is None or len(call.parts) > 2:
        return problem(501, "Not Implemented", "The Xero sandbox does not implement this call.")
    if len(call.parts) == 1:
        rows, pagination = list_rows(
            listing, _visible(call, collection), call.args, call.if_modified_since, call.schemas
        )
        return call.ok(collection, rows, pagination=pagination)
    row = _find(call, collection, call.parts[1])
    if row is None:
        return not_found()
    if collection == "TrackingCategories":
        return call.ok(collection, [settings.render_tracking_category(row, True)])
    return call.ok(collection, [listing.render(row, "full")])


def _document_write(call: Call, kind: documents.Kind) -> Response | None:
    ctx = call.ctx

    def render(row: Row) -> Row:
        return documents.render(ctx, kind, row)

    if len(call.parts) == 1:
        apply = (
            (lambda raw: documents.create(ctx, kind, raw))
            if call.method == "PUT"
            else (lambda raw: documents.upsert(ctx, kind, raw))
        )
        return write_batch(
            kind.collection,
            kind.id_field,
            call.elements(kind.collection),
            apply,
            render,
            call.summarize,
            call.provider,
        )
    row = documents.find(ctx, kind, call.parts[1])
    if row is None:
        return not_found()
    if kind is documents.CREDIT_NOTE and call.parts[2:] == ["Allocations"]:
        return write_batch(
            "Allocations",
            "AllocationID",
            call.elements("Allocations"),
            lambda raw: allocations.allocate(ctx, row, raw),
            lambda allocation: allocations.render(ctx, row, allocation),
            call.summarize,
            call.provider,
        )
    if len(call.parts) > 2:
        return None
    elements = call.elements(kind.collection)[:1] or [{}]
    return write_batch(
        kind.collection,
        kind.id_field,
        elements,
        lambda raw: documents.update(ctx, kind, row, raw),
        render,
        True,
        call.provider,
    )


def _simple_write(
    call: Call,
    collection: str,
    id_field: str,
    create: Callable[[Context, dict[str, Any]], Row],
    upsert: Callable[[Context, dict[str, Any]], Row],
    update: Callable[[Context, Row, dict[str, Any]], Row],
    render: Callable[[Row], Row],
) -> Response:
    ctx = call.ctx
    if len(call.parts) == 1:
        apply = create if call.method == "PUT" else upsert
        return write_batch(
            collection,
            id_field,
            call.elements(collection),
            lambda raw: apply(ctx, raw),
            render,
            call.summarize,
            call.provider,
        )
    row = _find(call, collection, call.parts[1])
    if row is None:
        return not_found()
    elements = call.elements(collection)[:1] or [{}]
    return write_batch(
        collection,
        id_field,
        elements,
        lambda raw: update(ctx, row, raw),
        render,
        True,
        call.provider,
    )


def _single(call: Call, collection: str, apply: Callable[[dict[str, Any]], Row]) -> Response:
    """A settings write whose body is one object (or a one-element envelope)."""
    elements = call.elements(collection)[:1] or [{}]
    try:
        row = apply(elements[0] if isinstance(elements[0], dict) else {})
    except ElementErrors as failure:
        return validation_exception(
            [{**elements[0], "ValidationErrors": [{"Message": m} for m in failure.messages]}]
            if isinstance(elements[0], dict)
            else []
        )
    return call.ok(collection, [row])


def _payments_write(call: Call) -> Response:
    ctx = call.ctx
    if len(call.parts) == 2:
        row = _find(call, "Payments", call.parts[1])
        if row is None:
            return not_found()
        return write_batch(
            "Payments",
            "PaymentID",
            call.elements("Payments")[:1] or [{}],
            lambda raw: payments.delete(ctx, row, raw),
            lambda r: payments.render(ctx, r),
            True,
            call.provider,
        )
    return write_batch(
        "Payments",
        "PaymentID",
        call.elements("Payments"),
        lambda raw: payments.create(ctx, raw),
        lambda r: payments.render(ctx, r),
        call.summarize if call.method == "PUT" else True,
        call.provider,
    )


def _settings_write(call: Call) -> Response | None:
    ctx = call.ctx
    collection, rest = call.parts[0], call.parts[1:]
    if collection == "Accounts":
        if call.method == "PUT" and not rest:
            return _single(call, "Accounts", lambda raw: settings.create_account(ctx, raw))
        if call.method == "POST" and len(rest) == 1:
            row = _find(call, "Accounts", rest[0])
            if row is None:
                return not_found()
            return _single(call, "Accounts", lambda raw: settings.update_account(ctx, row, raw))
    if collection == "TaxRates" and not rest:
        apply = settings.create_tax_rate if call.method == "PUT" else settings.update_tax_rate
        return write_batch(
            "TaxRates",
            "TaxType",
            call.elements("TaxRates"),
            lambda raw: apply(ctx, raw),
            dict,
            True,
            call.provider,
        )
    if collection == "TrackingCategories":
        return _tracking_write(call, rest)
    return None


def _tracking_write(call: Call, rest: list[str]) -> Response | None:
    ctx = call.ctx
    if call.method == "PUT" and not rest:
        return _single(
            call,
            "TrackingCategories",
            lambda raw: settings.render_tracking_category(
                settings.create_tracking_category(ctx, raw), True
            ),
        )
    category = _find(call, "TrackingCategories", rest[0]) if rest else None
    if category is None:
        return not_found()
    if call.method == "POST" and len(rest) == 1:
        return _single(
            call,
            "TrackingCategories",
            lambda raw: settings.render_tracking_category(
                settings.update_tracking_category(ctx, category, raw), True
            ),
        )
    if rest[1:2] != ["Options"]:
        return None
    if call.method == "PUT" and len(rest) == 2:
        return _single(call, "Options", lambda raw: settings.add_option(ctx, category, raw))
    option = next(
        (o for o in category["Options"] if len(rest) == 3 and o["TrackingOptionID"] == rest[2]),
        None,
    )
    if option is None:
        return not_found()
    return _single(call, "Options", lambda raw: settings.update_option(ctx, option, raw))


def _delete(call: Call) -> Response | None:
    ctx = call.ctx
    if call.parts[0] == "Items" and len(call.parts) == 2:
        row = _find(call, "Items", call.parts[1])
        if row is None:
            return not_found()
        del ctx.rows("Items")[row["ItemID"]]
        return Response(status=204)
    if call.parts[0] == "CreditNotes" and len(call.parts) == 4 and call.parts[2] == "Allocations":
        note = documents.find(ctx, documents.CREDIT_NOTE, call.parts[1])
        try:
            removed = allocations.remove(ctx, note, call.parts[3]) if note else None
        except ElementErrors as failure:
            return validation_exception(
                [{"ValidationErrors": [{"Message": m} for m in failure.messages]}]
            )
        if removed is None or note is None:
            return not_found()
        return call.ok("Allocations", [allocations.render(ctx, note, removed)])
    return None


def dispatch(call: Call) -> Response:
    """Route an authorised call to its handler."""
    collection = call.parts[0]
    response: Response | None = None
    if call.method == "GET":
        try:
            response = _get(call)
        except QueryParseError as exc:
            response = query_parse_exception(str(exc))
    elif call.method == "DELETE":
        response = _delete(call)
    elif collection in documents.KINDS:
        response = _document_write(call, documents.KINDS[collection])
    elif collection == "Contacts":
        response = _simple_write(
            call,
            "Contacts",
            "ContactID",
            contacts.create,
            contacts.upsert,
            contacts.update,
            contacts.render,
        )
    elif collection == "Items":
        response = _simple_write(
            call,
            "Items",
            "ItemID",
            items.create,
            items.upsert,
            items.update,
            lambda row: items.render(row, call.ctx.unitdp),
        )
    elif collection == "Payments":
        response = _payments_write(call)
    else:
        response = _settings_write(call)
    if response is None:
        return problem(501, "Not Implemented", "The Xero sandbox does not implement this call.")
    return response
