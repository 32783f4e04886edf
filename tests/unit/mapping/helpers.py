"""The Xero side of the mapper tests: a sandbox organisation, the mapper's view of it
(`Reference`), the sandbox Xero's own line arithmetic applied to a mapped payload, and
Xero's OpenAPI document as the sandbox validates requests against it (when available)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from sandbox.xero.api import lines
from sandbox.xero.api.spec import SpecRequest, SpecValidator
from sandbox.xero.config import OrganisationSpec
from sandbox.xero.store import Ledger, Row, Tenant
from server.mapping.orders import for_xero
from server.mapping.reference import Reference, from_rows
from tests.support.reference import xero_spec_path

AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
INVOICE_UNITDP = 4  # the engine sends invoices and credit notes with ?unitdp=4
QUOTE_UNITDP = 2  # quotes take no unitdp


def nz_tenant() -> Tenant:
    """A freshly seeded sandbox organisation (NZ: OUTPUT2 15 %, NONE, ROUNDING account 860)."""
    ledger = Ledger((OrganisationSpec("Mapper Tests Ltd", "NZ", "NZD", currencies=("USD",)),))
    return next(iter(ledger.tenants.values()))


def set_tax_type(tenant: Tenant, tax_type: str, percent: Decimal) -> None:
    """Add (or replace) a sales tax type in the organisation, usable on any account."""
    tenant.rows("TaxRates")[tax_type] = {
        "Name": f"Tax {tax_type}",
        "TaxType": tax_type,
        "ReportTaxType": "OUTPUT",
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": True,
        "DisplayTaxRate": percent,
        "EffectiveRate": percent,
        "Status": "ACTIVE",
        "TaxComponents": [],
    }


def set_items(tenant: Tenant, items: Iterable[Mapping[str, Any]]) -> None:
    """Replace the organisation's items with these (as the engine would have created them)."""
    rows: dict[str, Row] = {}
    for item in items:
        item_id = str(uuid.uuid5(uuid.NAMESPACE_OID, item["Code"]))
        rows[item_id] = {"ItemID": item_id, **item}
    tenant.collections["Items"] = rows


def reference_of(tenant: Tenant) -> Reference:
    """What the mapper knows of the organisation, from its rows as Xero returns them."""
    return from_rows(
        [tenant.organisation],
        list(tenant.rows("TaxRates").values()),
        list(tenant.rows("Accounts").values()),
        list(tenant.rows("TrackingCategories").values()),
        list(tenant.rows("Items").values()),
    )


def xero_lines(
    tenant: Tenant, document: Mapping[str, Any], kind: str
) -> tuple[list[Row], list[str]]:
    """The lines as the sandbox Xero stores them, and its validation messages. Credit notes
    take no discount (Xero's spec: "ACCPAY invoices and credit notes in Xero do not support
    discounts"), whatever the sandbox allows."""
    unitdp = QUOTE_UNITDP if kind == "quote" else INVOICE_UNITDP
    rules = lines.LineRules(
        sales=True,
        discounts=kind != "credit_note",
        amount_types=amount_types(document),
        unitdp=unitdp,
        approving=kind != "quote" and document.get("Status") in {"AUTHORISED", "SUBMITTED"},
    )
    return lines.build_lines(tenant, for_xero(document["LineItems"]), rules, [])


def xero_totals(rows: list[Row], document: Mapping[str, Any]) -> dict[str, Decimal]:
    """SubTotal, TotalTax and Total as the sandbox Xero sums them."""
    return lines.totals(rows, amount_types(document))


def amount_types(document: Mapping[str, Any]) -> str:
    """LineAmountTypes as the sandbox Xero reads it (any case: quotes spell it in capitals)."""
    return AMOUNT_TYPES[str(document["LineAmountTypes"]).lower()]


# -- Xero's OpenAPI spec ------------------------------------------------------------------------

TENANT_HEADER = "xero-tenant-id"


@cache
def spec() -> SpecValidator | None:
    """The sandbox Xero's validator of requests against Xero's own OpenAPI document, or None
    without the document (the run then says once that these checks were skipped)."""
    path = xero_spec_path()
    return None if path is None else SpecValidator(path)


def encode(value: Any) -> str:
    """JSON with Decimals written as exact numbers, as the Xero client sends them."""
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def spec_errors(path: str, body: Mapping[str, Any], query: Mapping[str, str]) -> list[str]:
    """Why `PUT path` with this body breaks Xero's spec (empty when it conforms, or when the
    spec is not available)."""
    validator = spec()
    if validator is None:
        return []
    return validator.errors(
        SpecRequest(
            "PUT",
            path,
            dict(query),
            {TENANT_HEADER: str(uuid.uuid4()), "Content-Type": "application/json"},
            encode(body).encode(),
            "application/json",
        )
    )


ENUM_FIELDS = frozenset({"Type", "Status", "LineAmountTypes", "CurrencyCode"})
_CHECKED_FORMS: set[Any] = set()


def _form(value: Any, key: str = "") -> Any:
    """What the spec checks of a body: its names, the types of their values, and the values
    of its enums (not the amounts and texts, within the lengths the mapper keeps them to)."""
    if isinstance(value, Mapping):
        return tuple(sorted((name, _form(item, name)) for name, item in value.items()))
    if isinstance(value, list):
        return tuple(sorted({_form(item) for item in value}, key=repr))
    return value if key in ENUM_FIELDS else type(value).__name__


def spec_errors_once(path: str, body: Mapping[str, Any], query: Mapping[str, str]) -> list[str]:
    """`spec_errors`, once per form of body (see `_form`): a check takes some 20 ms, so
    property tests of hundreds of documents check each form the first time it comes."""
    form = (path, _form(body), tuple(sorted(query.items())))
    if form in _CHECKED_FORMS:
        return []
    errors = spec_errors(path, body, query)
    if not errors:
        _CHECKED_FORMS.add(form)
    return errors


def undeclared(schema_name: str, value: Any) -> list[str]:
    """Fields of `value` that the spec's schema does not declare (the spec itself allows
    any extra field, so a misspelt one would pass `spec_errors` and be ignored by Xero);
    empty when the spec is not available."""
    validator = spec()
    if validator is None:
        return []
    schemas = validator.document["components"]["schemas"]

    def resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def walk(schema: Mapping[str, Any], value: Any, where: str) -> Iterable[str]:
        schema = resolve(schema)
        if isinstance(value, Mapping):
            properties = schema.get("properties", {})
            for key, item in value.items():
                if key not in properties:
                    yield f"{where}.{key}"
                else:
                    yield from walk(properties[key], item, f"{where}.{key}")
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                yield from walk(schema["items"], item, f"{where}[{index}]")

    return list(walk(schemas[schema_name], value, schema_name))
