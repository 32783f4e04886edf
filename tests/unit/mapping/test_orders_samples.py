"""Every WooCommerce order at hand maps to a document that Xero's OpenAPI spec accepts and
whose total, summed by the sandbox Xero's own arithmetic, is the order's total: the project's
own orders (priced by the sandbox store: listed, read, placed at checkout, recalculated,
delivered by webhook) and, when available, every order in WooCommerce's documentation samples
(REST responses, batch results, webhook bodies)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from server.mapping.orders import CannotMapError, MappedDocument, for_xero, map_order
from server.mapping.reference import Reference
from server.stores.settings.schema import (
    Accounts,
    Documents,
    Modules,
    StoreSettings,
    TaxMappingRow,
    TrackingRuleRow,
)
from tests.support.reference import WOOCOMMERCE_SAMPLES, woocommerce_sample
from tests.support.woocommerce_documents import TAX_RATES, store_documents
from tests.unit.mapping.helpers import (
    nz_tenant,
    reference_of,
    set_items,
    set_tax_type,
    spec_errors,
    undeclared,
    xero_lines,
    xero_totals,
)

STORE_URL = "https://example.com"
D = Decimal
STATUSES = ("pending", "processing", "completed")  # the ones that make a document here
# WooCommerce rate id → percent: the samples' US state tax and the project store's rates
PERCENTS = {"75": D("7.5")} | {str(spec.rate_id): spec.rate for spec in TAX_RATES}
TAX_TYPES = {rate: f"TAX{rate}" for rate in PERCENTS}  # each rate its own Xero tax type


def _orders_in(value: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        if {"line_items", "total", "status"} <= value.keys():
            yield where, value
        for key, item in value.items():
            yield from _orders_in(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _orders_in(item, f"{where}/{index}")


def _documents(path: Path) -> Iterator[Any]:
    if path.suffix == ".json":
        yield json.loads(path.read_text())
    else:  # an HTTP transcript: every JSON body in it
        for line in path.read_text().splitlines():
            if line.startswith("{"):
                yield json.loads(line)


def sample_orders() -> list[tuple[str, dict[str, Any]]]:
    """(where, order) for every order inside every sample file; none without the samples."""
    directory = WOOCOMMERCE_SAMPLES.path()
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(directory.iterdir()) if directory else ():
        for number, document in enumerate(_documents(path)):
            found += _orders_in(document, f"{path.name}#{number}")
    return found


def _sample_products() -> dict[int, dict[str, Any]]:
    """The product sample's categories, under the parent product id the sample orders use."""
    product = json.loads(woocommerce_sample("product_retrieve_v3_docs.json").read_text())
    return {22: {**product, "id": 22}}


SAMPLES = sample_orders()
SAMPLE_PRODUCTS = _sample_products() if SAMPLES else {}
PROJECT = store_documents()
PROJECT_ORDERS = [(where, order) for where, order in PROJECT.orders if order["status"] in STATUSES]
ORDERS = [
    pytest.param(order, PROJECT.products, id=f"project:{where}") for where, order in PROJECT_ORDERS
] + [
    pytest.param(order, SAMPLE_PRODUCTS, id=where, marks=pytest.mark.woocommerce_samples)
    for where, order in SAMPLES
]


@pytest.mark.woocommerce_samples
def test_the_samples_hold_orders_of_every_kind_of_file() -> None:
    """The collection finds the orders of lists, single responses, batches and webhooks."""
    files = {where.split("#")[0] for where, _ in SAMPLES}
    assert {
        "orders_list_v3_docs.json",
        "order_retrieve_v3_docs.json",
        "orders_batch_response_v3_docs.json",
        "webhook_delivery_example.http",
    } <= files
    assert len(SAMPLES) >= 8


def test_the_project_orders_cover_what_the_samples_do_and_more() -> None:
    """Lists, single reads, checkout, recalculation and a delivery; several rates, untaxed
    lines, coupons, shipping, both price settings and other currencies."""
    orders = [order for _, order in PROJECT_ORDERS]
    assert len(orders) >= 15
    assert {rate for o in orders for rate in (t["rate_id"] for t in o["tax_lines"])} >= {1, 2, 4}
    assert any(not line["taxes"] for o in orders for line in o["line_items"])
    assert any(o["coupon_lines"] for o in orders) and any(o["shipping_lines"] for o in orders)
    assert {o["prices_include_tax"] for o in orders} == {True, False}
    assert len({o["currency"] for o in orders}) >= 2


@pytest.fixture(scope="module")
def organisation() -> tuple[Any, Reference]:
    """The sandbox NZ organisation with a tax type for each rate of the orders: the samples'
    US state tax (rate 75, 7.5 %) and the project store's rates."""
    tenant = nz_tenant()
    for rate, tax_type in TAX_TYPES.items():
        set_tax_type(tenant, tax_type, PERCENTS[rate])
    return tenant, reference_of(tenant)


def _settings(kind: str) -> StoreSettings:
    return StoreSettings(
        modules=Modules(tax_rates=True, contacts=True, items=True, invoices=True),
        documents=Documents(
            by_status={status: kind for status in STATUSES}, invoice_status="AUTHORISED"
        ),
        accounts=Accounts(shipping="260", categories={"9": "260"}),
        tax_mapping=[
            *(TaxMappingRow(woo_rates=rate, xero_tax_type=tax_type)
              for rate, tax_type in TAX_TYPES.items()),
            TaxMappingRow(woo_rates="none", xero_tax_type="NONE"),
        ],
        tracking=[
            TrackingRuleRow(position=1, source="billing_country", match_value="US",
                            tracking_category="Region", tracking_option="North"),
            TrackingRuleRow(position=2, source="product_category", match_value="t-shirts",
                            tracking_category="Sales Channel", tracking_option="Online"),
        ],
    )  # fmt: skip


def _map(
    order: dict[str, Any], kind: str, reference: Reference, products: dict[int, dict[str, Any]]
) -> MappedDocument:
    mapped = map_order(order, _settings(kind), reference, products, store_url=STORE_URL)
    assert mapped is not None
    return mapped


def _request(mapped: MappedDocument) -> tuple[str, str, dict[str, str]]:
    """Endpoint, body schema and query the engine uses for the document's kind."""
    if mapped.kind == "invoice":
        return "/Invoices", "Invoice", {"unitdp": "4", "summarizeErrors": "false"}
    return "/Quotes", "Quote", {"summarizeErrors": "false"}


@pytest.mark.parametrize("kind", ["invoice", "quote"])
@pytest.mark.parametrize(("order", "products"), ORDERS)
def test_an_order_maps_to_a_document_xero_accepts_with_its_total(
    order: dict[str, Any],
    products: dict[int, dict[str, Any]],
    kind: str,
    organisation: tuple[Any, Reference],
) -> None:
    """Spec-valid with a Contact added, no undeclared field, the order's total, and the tax
    of each of its rates."""
    tenant, reference = organisation
    mapped = _map(order, kind, reference, products)
    assert mapped.kind == ("invoice" if kind == "invoice" or order["date_paid_gmt"] else "quote")
    path, schema, query = _request(mapped)
    document = for_xero(mapped.document) | {"Contact": {"ContactID": str(uuid.uuid4())}}

    assert spec_errors(path, {path.strip("/"): [document]}, query) == []
    assert undeclared(schema, document) == []

    set_items(tenant, mapped.items)
    rows, errors = xero_lines(tenant, mapped.document, mapped.kind)
    assert errors == []
    assert xero_totals(rows, mapped.document)["Total"] == D(order["total"])
    for tax_line in order["tax_lines"]:
        expected = D(tax_line["tax_total"]) + D(tax_line["shipping_tax_total"])
        tax_type = TAX_TYPES[str(tax_line["rate_id"])]
        assert sum((r["TaxAmount"] for r in rows if r["TaxType"] == tax_type), D(0)) == expected


@pytest.mark.xero_spec
@pytest.mark.parametrize(("order", "products"), ORDERS)
def test_the_contact_and_items_of_an_order_match_the_spec(
    order: dict[str, Any], products: dict[int, dict[str, Any]], organisation: tuple[Any, Reference]
) -> None:
    """The contact and items the engine creates for the order are spec-valid too."""
    mapped = _map(order, "invoice", organisation[1], products)
    contact = for_xero(mapped.contact)
    assert spec_errors("/Contacts", {"Contacts": [contact]}, {"summarizeErrors": "false"}) == []
    assert undeclared("Contact", contact) == []
    for item in for_xero(mapped.items):
        assert spec_errors("/Items", {"Items": [item]}, {"summarizeErrors": "false"}) == []
        assert undeclared("Item", item) == []


@pytest.mark.xero_spec
def test_the_spec_checks_catch_a_broken_document(organisation: tuple[Any, Reference]) -> None:
    """The checks above can fail: a wrong type, a wrong enum and a misspelt field are found."""
    _, order = PROJECT_ORDERS[0]
    mapped = _map(order, "invoice", organisation[1], PROJECT.products)
    document = for_xero(mapped.document) | {"Contact": {"ContactID": str(uuid.uuid4())}}
    line = document["LineItems"][0] | {"Quantity": "two"}
    broken = document | {"Status": "FINISHED", "LineItems": [line]}
    errors = spec_errors("/Invoices", {"Invoices": [broken]}, {"unitdp": "4"})
    assert any("Quantity" in e for e in errors), errors
    assert any("Status" in e for e in errors), errors
    assert undeclared("Invoice", document | {"Refrence": "x"}) == ["Invoice.Refrence"]


MALFORMED = [  # (where, what, whether the order is held: else it maps, ignoring the junk)
    (("total",), "1e400", True),
    (("line_items", 0, "quantity"), "1e400", True),
    (("line_items", 0, "taxes"), True, True),
    (("shipping_lines", 0, "taxes"), 1.5, True),
    (("date_created_gmt",), "yesterday", True),
    (("line_items", 0, "total"), "NaN", True),
    (("billing",), "abc", False),
    (("meta_data",), -1, False),
]


def _first_shipped(orders: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The first order with products and shipping, to break in every way above."""
    return next(order for _, order in orders if order["line_items"] and order["shipping_lines"])


BASES = [pytest.param(_first_shipped(PROJECT_ORDERS), PROJECT.products, id="project")]
if SAMPLES:
    BASES.append(
        pytest.param(_first_shipped(SAMPLES), SAMPLE_PRODUCTS, id="sample",
                     marks=pytest.mark.woocommerce_samples)
    )  # fmt: skip


@pytest.mark.parametrize(("base", "products"), BASES)
@pytest.mark.parametrize(("path", "value", "held"), MALFORMED)
def test_a_malformed_order_is_held_with_a_reason_never_a_crash(
    organisation: tuple[Any, Reference],
    base: dict[str, Any],
    products: dict[int, dict[str, Any]],
    path: tuple[Any, ...],
    value: Any,
    held: bool,
) -> None:
    """Whatever shape a store sends, the mapper maps the order or says why it cannot."""
    _tenant, reference = organisation
    order = json.loads(json.dumps(base))
    target = order
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    if held:
        with pytest.raises(CannotMapError) as raised:
            map_order(order, _settings("invoice"), reference, products, store_url=STORE_URL)
        assert raised.value.reasons
    else:
        mapped = map_order(order, _settings("invoice"), reference, products, store_url=STORE_URL)
        assert mapped is not None and mapped.document["LineItems"]
