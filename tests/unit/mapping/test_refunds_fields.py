"""Focused tests of credit notes: numbers, dates, contact and header; refund lines as the
invoice's (accounts, items, tracking, tax types, WooCommerce's refund tax); amount-only
refunds spread over the order or booked to one account; amounts the lines do not explain;
rounding; and the refunds that cannot be represented. Expected values are worked out by hand.

The order: 2 beanies at 10.00 + 15 % GST (rate 1), gloves at 30.00 + GST and a 5 % levy
(rate 2: "1+2" is its own Xero tax type, LEVY at 20 %), courier 10.00 + GST, gift wrap 5.00
untaxed: 75.50. Refunds 605 and 610, listed newest first as WooCommerce does.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from server.mapping.orders import CannotMapError, MappedDocument, for_xero, map_order
from server.mapping.refunds import Booking, map_cancellation, map_refund, refund_position
from server.stores.settings.schema import (
    Accounts,
    Documents,
    Modules,
    StoreSettings,
    TaxMappingRow,
    TrackingRuleRow,
)
from tests.support.reference import woocommerce_sample
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

D = Decimal
TENANT = nz_tenant()
set_tax_type(TENANT, "LEVY", D(20))
NZ = reference_of(TENANT)
SETTINGS = StoreSettings(
    modules=Modules(items=True),
    documents=Documents(invoice_status="AUTHORISED"),
    accounts=Accounts(shipping="260", fees="260", categories={"5": "260"}),
    tax_mapping=[
        TaxMappingRow(woo_rates="1", xero_tax_type="OUTPUT2"),
        TaxMappingRow(woo_rates="1+2", xero_tax_type="LEVY"),
        TaxMappingRow(woo_rates="none", xero_tax_type="NONE"),
    ],
    tracking=[
        TrackingRuleRow(position=1, source="product_category", match_value="clothing",
                        tracking_category="Region", tracking_option="North"),
        TrackingRuleRow(position=2, source="billing_country", match_value="NZ",
                        tracking_category="Sales Channel", tracking_option="Online"),
    ],
)  # fmt: skip
PRODUCTS = {40: {"id": 40, "categories": [{"id": 5, "name": "Clothing", "slug": "clothing"}]}}


def taxes(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"id": rate, "total": amount, "subtotal": amount} for rate, amount in pairs]


def refunded(item_id: int) -> list[dict[str, Any]]:
    return [{"id": 1, "key": "_refunded_item_id", "value": str(item_id)}]


ORDER: dict[str, Any] = {
    "id": 501,
    "number": "1042",
    "status": "completed",
    "currency": "NZD",
    "prices_include_tax": False,
    "date_created_gmt": "2026-03-31T20:30:00",
    "date_paid_gmt": "2026-03-31T20:31:00",
    "customer_id": 26,
    "payment_method": "bacs",
    "billing": {"first_name": "Aroha", "last_name": "Ngata", "country": "NZ",
                "email": "aroha@example.com"},
    "line_items": [
        {"id": 1, "name": "Merino Beanie", "product_id": 40, "variation_id": 0, "quantity": 2,
         "subtotal": "20.00", "total": "20.00", "taxes": taxes((1, "3")), "sku": "BEANIE-01"},
        {"id": 2, "name": "Possum Gloves", "product_id": 41, "variation_id": 0, "quantity": 1,
         "subtotal": "30.00", "total": "30.00", "taxes": taxes((1, "4.5"), (2, "1.5")),
         "sku": "GLOVES"},
    ],
    "shipping_lines": [{"id": 3, "method_title": "Courier", "total": "10.00",
                        "taxes": taxes((1, "1.5"))}],
    "fee_lines": [{"id": 4, "name": "Gift wrap", "total": "5.00", "taxes": []}],
    "tax_lines": [{"rate_id": 1, "tax_total": "7.50", "shipping_tax_total": "1.50"},
                  {"rate_id": 2, "tax_total": "1.50", "shipping_tax_total": "0.00"}],
    "total": "75.50",
    "refunds": [{"id": 610, "reason": "", "total": "-28.00"},
                {"id": 605, "reason": "", "total": "-11.50"}],
}  # fmt: skip
ONE_BEANIE: dict[str, Any] = {  # the admin's refund of one beanie
    "id": 605,
    "date_created_gmt": "2026-04-02T23:30:00",
    "amount": "11.50",
    "reason": "Too small",
    "line_items": [
        {"id": 11, "name": "Merino Beanie", "product_id": 40, "variation_id": 0,
         "quantity": -1, "subtotal": "-10.00", "total": "-10.00",
         "taxes": taxes((1, "-1.5")), "meta_data": refunded(1), "sku": "BEANIE-01"},
    ],
    "shipping_lines": [],
    "fee_lines": [],
    "tax_lines": [{"rate_id": 1, "tax_total": "-1.50", "shipping_tax_total": "0.00"}],
}  # fmt: skip
CHARGES: dict[str, Any] = {  # a third of the gloves without the levy, the courier, the wrap
    "id": 610,
    "date_created_gmt": "2026-04-03T01:00:00",
    "amount": "28.00",
    "reason": "",
    "line_items": [
        {"id": 12, "name": "Possum Gloves", "product_id": 41, "variation_id": 0,
         "quantity": 0, "subtotal": "-10.00", "total": "-10.00",
         "taxes": taxes((1, "-1.5")), "meta_data": refunded(2), "sku": "GLOVES"},
    ],
    "shipping_lines": [{"id": 13, "method_title": "Courier", "total": "-10.00",
                        "taxes": taxes((1, "-1.5")), "meta_data": refunded(3)}],
    "fee_lines": [{"id": 14, "name": "Gift wrap", "total": "-5.00", "taxes": [],
                   "meta_data": refunded(4)}],
}  # fmt: skip


def amount_only(amount: str, **changes: Any) -> dict[str, Any]:
    """A refund of an amount alone (refund 610, as far as numbering goes)."""
    return {"id": 610, "date_created_gmt": "2026-04-03T01:00:00", "amount": amount,
            "reason": "", "line_items": []} | changes  # fmt: skip


def credit(
    refund: dict[str, Any],
    order: dict[str, Any] = ORDER,
    settings: StoreSettings = SETTINGS,
    **options: Any,
) -> MappedDocument:
    """The refund's credit note, checked against Xero's spec and priced by the sandbox Xero
    (no discounts): it must come to the refund's amount."""
    mapped = map_refund(refund, order, settings, NZ, PRODUCTS, **options)
    assert mapped is not None
    body = for_xero(mapped.document) | {"Contact": {"ContactID": str(uuid.uuid4())}}
    assert spec_errors("/CreditNotes", {"CreditNotes": [body]}, {"unitdp": "4"}) == []
    assert undeclared("CreditNote", body) == []
    set_items(TENANT, mapped.items)
    rows, errors = xero_lines(TENANT, mapped.document, "credit_note")
    assert errors == []
    assert xero_totals(rows, mapped.document)["Total"] == D(refund["amount"]) == mapped.total
    return mapped


def numbers(line: dict[str, Any]) -> tuple[str, ...]:
    return tuple(line.get(key, "") for key in ("Quantity", "UnitAmount", "TaxType", "TaxAmount"))


# -- the credit note's header -----------------------------------------------------------------


def test_the_credit_note_is_numbered_by_the_refunds_place_among_the_orders_refunds():
    assert refund_position(ORDER, 605) == 1  # the older one, though listed second
    assert refund_position(ORDER, 610) == 2
    assert refund_position(ORDER, 999) is None
    assert credit(ONE_BEANIE).number == "WC-1042-R1"
    second = credit(CHARGES)
    assert second.number == second.document["CreditNoteNumber"] == "WC-1042-R2"
    assert credit(CHARGES, number_template="CN{id}/{n}").number == "CN501/2"


def test_the_header_says_what_it_credits_and_when_in_the_organisations_timezone():
    document = credit(ONE_BEANIE).document
    header = {key: value for key, value in document.items() if key != "LineItems"}
    assert header == {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": "WC-1042-R1",
        "Reference": "1042",  # the order's number, as on its invoice
        "Date": "2026-04-03",  # 23:30 GMT is the next day in Auckland
        "CurrencyCode": "NZD",
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",  # as invoices are sent
    }
    la = replace(NZ, timezone="America/Los_Angeles")
    mapped = map_refund(ONE_BEANIE, ORDER, SETTINGS, la, PRODUCTS)
    assert mapped is not None and mapped.document["Date"] == "2026-04-02"


def test_the_credit_note_goes_to_the_orders_contact():
    invoice = map_order(ORDER, SETTINGS, NZ, PRODUCTS, store_url="https://shop.example")
    note = credit(ONE_BEANIE)
    assert invoice is not None
    assert (note.customer_key, note.contact) == (invoice.customer_key, invoice.contact)
    assert (note.kind, note.currency) == ("credit_note", "NZD")


# -- the refund's lines -----------------------------------------------------------------------


def test_refund_lines_are_the_invoices_lines_positive_with_woocommerces_refund_tax():
    note = credit(ONE_BEANIE)
    (line,) = note.document["LineItems"]
    assert line == {
        "Description": "Merino Beanie",
        "Quantity": "1.0000",
        "UnitAmount": "10.0000",
        "AccountCode": "260",  # its category's account, as on the invoice
        "TaxType": "OUTPUT2",
        "TaxAmount": "1.50",
        "ItemCode": "BEANIE-01",
        "Tracking": [{"Name": "Region", "Option": "North"},
                     {"Name": "Sales Channel", "Option": "Online"}],
    }  # fmt: skip
    assert [item["Code"] for item in note.items] == ["BEANIE-01"]
    assert note.explanation == []


def test_shipping_and_fees_are_credited_on_their_accounts_and_a_line_keeps_its_sale_tax_type():
    """The gloves' refund line carries rate 1 only (no levy refunded): it is still booked
    with the tax type of "1+2", as sold; its amount without a quantity is one unit."""
    gloves, courier, wrap = credit(CHARGES).document["LineItems"]
    assert numbers(gloves) == ("1.0000", "10.0000", "LEVY", "1.50")
    assert (courier["Description"], courier["AccountCode"]) == ("Courier", "260")
    assert numbers(courier) == ("1.0000", "10.0000", "OUTPUT2", "1.50")
    assert (wrap["Description"], wrap["AccountCode"]) == ("Gift wrap", "260")
    assert numbers(wrap) == ("1.0000", "5.0000", "NONE", "0.00")
    assert courier["Tracking"] == [{"Name": "Sales Channel", "Option": "Online"}]


def test_without_tax_lines_a_rates_refund_tax_is_its_lines_tax_rounded_per_line():
    """Two lines of -0.125 tax each: WooCommerce's refund tax is 0.13 + 0.13 (it rounds per
    line), the amount it computed 2.25 (rounded once): a rounding line takes the cent."""
    half_cents = copy.deepcopy(ONE_BEANIE)
    half_cents |= {"amount": "2.25", "tax_lines": []}
    line = half_cents["line_items"][0] | {"total": "-1.00", "taxes": taxes((1, "-0.125"))}
    half_cents["line_items"] = [line, line | {"id": 15}]
    note = credit(half_cents)
    first, second, rounding = note.document["LineItems"]
    assert (first["TaxAmount"], second["TaxAmount"]) == ("0.13", "0.13")
    assert numbers(rounding) == ("1", "-0.01", "NONE", "0.00")
    assert rounding["AccountCode"] == "860"
    assert note.explanation == [
        "rounding line -0.01 on account 860: Xero's per-line arithmetic gives 2.26, "
        "WooCommerce's total is 2.25"
    ]


def test_a_quantity_that_cannot_make_its_amount_without_a_discount_is_one_unit():
    """Credit notes take no discount: 300 units of 0.0333 come to 9.99, not 10.00."""
    many = copy.deepcopy(ONE_BEANIE)
    many["line_items"][0] |= {"quantity": -300, "taxes": taxes((1, "-1.50"))}
    note = credit(many)
    (line,) = note.document["LineItems"]
    assert numbers(line) == ("1.0000", "10.0000", "OUTPUT2", "1.50")
    assert "DiscountAmount" not in line
    assert note.explanation == [
        "'Merino Beanie': 300 units cannot come to 10.00 without a discount, which Xero "
        "does not take here; sent as 1 x 10.00"
    ]


def test_prices_with_tax_in_them_credit_the_gross_amount():
    inclusive = copy.deepcopy(ORDER) | {"prices_include_tax": True}
    note = credit(ONE_BEANIE, inclusive)
    assert note.document["LineAmountTypes"] == "Inclusive"
    (line,) = note.document["LineItems"]
    assert numbers(line) == ("1.0000", "11.5000", "OUTPUT2", "1.50")


# -- amounts the lines do not explain ---------------------------------------------------------


def test_an_amount_only_refund_is_spread_over_the_orders_lines_with_their_tax():
    """Half the order: each group (account, tax type, tracking) gets half its total with
    tax, and carries half its tax."""
    note = credit(amount_only("37.75", reason="Late delivery"))
    lines = note.document["LineItems"]
    assert [(line["AccountCode"], *numbers(line)) for line in lines] == [
        ("260", "1.0000", "10.0000", "OUTPUT2", "1.50"),  # beanies: 11.50 of 23.00
        ("200", "1.0000", "15.0000", "LEVY", "3.00"),  # gloves: 18.00 of 36.00
        ("260", "1.0000", "5.0000", "OUTPUT2", "0.75"),  # courier: 5.75 of 11.50
        ("260", "1.0000", "2.5000", "NONE", "0.00"),  # wrap: 2.50 of 5.00
    ]
    assert {line["Description"] for line in lines} == {"Refund: Late delivery"}
    assert lines[0]["Tracking"] == [{"Name": "Region", "Option": "North"},
                                    {"Name": "Sales Channel", "Option": "Online"}]  # fmt: skip
    assert "ItemCode" not in lines[0]
    (explanation,) = note.explanation
    assert explanation.startswith(
        "amount-only refund 37.75: spread over the order's lines by account, tax rates and "
        "tracking in proportion to their totals with tax, to the cent: 11.50 with tax 1.50 to "
        "account 260, rates 1 (the order's 23.00 of 75.50); "
    )


def test_an_amount_only_refund_can_be_booked_to_one_account_and_tax_type():
    note = credit(amount_only("37.75"), amount_only=Booking("200", "OUTPUT2"))
    (line,) = note.document["LineItems"]
    assert (line["AccountCode"], *numbers(line)) == ("200", "1.0000", "32.8300", "OUTPUT2", "4.92")
    assert note.explanation == [
        "amount-only refund 37.75: booked to account 200 with OUTPUT2 (15 %, tax 4.92)"
    ]
    inclusive = copy.deepcopy(ORDER) | {"prices_include_tax": True}
    note = credit(amount_only("37.75"), inclusive, amount_only=Booking("270", "NONE"))
    assert numbers(note.document["LineItems"][0]) == ("1.0000", "37.7500", "NONE", "0.00")


def test_what_a_refunds_lines_do_not_explain_is_booked_as_an_amount_only_refund():
    """One beanie (11.50) refunded with 20.00: the other 8.50 is spread like an amount-only
    refund; with less than the lines, the difference is taken back the same way."""
    more = credit(ONE_BEANIE | {"amount": "20.00"})
    assert len(more.document["LineItems"]) == 5
    assert more.explanation[0].startswith(
        "8.50 of the refund's 20.00 that its lines (11.50) do not explain: spread over"
    )
    less = credit(ONE_BEANIE | {"amount": "5.00"}, amount_only=Booking("260", "NONE"))
    _beanie, rest = less.document["LineItems"]
    assert numbers(rest) == ("1.0000", "-6.5000", "NONE", "0.00")


def test_a_refund_of_nothing_makes_no_credit_note():
    assert map_refund(amount_only("0.00"), ORDER, SETTINGS, NZ, PRODUCTS) is None


# -- refunds that cannot be represented -------------------------------------------------------


@pytest.mark.parametrize(
    ("refund", "settings", "reason"),
    [
        (CHARGES, SETTINGS.model_copy(update={"tax_mapping": SETTINGS.tax_mapping[:1]}),
         "WooCommerce tax rate(s) 1+2 is not mapped"),
        (ONE_BEANIE | {"amount": "-1.00"}, SETTINGS, "the refund amount -1.00 is negative"),
        (ONE_BEANIE | {"id": 999}, SETTINGS, "refund 999 is not among the order's refunds"),
        (ONE_BEANIE | {"date_created_gmt": "soon"}, SETTINGS, "the refund date 'soon' is not"),
        (ONE_BEANIE | {"amount": "lots"}, SETTINGS, "the refund amount 'lots' is not a number"),
        (ONE_BEANIE | {"line_items": "none"}, SETTINGS, "'line_items' is not a list"),
    ],
)  # fmt: skip
def test_a_refund_that_cannot_be_represented_is_held_with_the_reason(
    refund: dict[str, Any], settings: StoreSettings, reason: str
):
    with pytest.raises(CannotMapError) as raised:
        map_refund(refund, ORDER, settings, NZ, PRODUCTS)
    assert any(reason in r for r in raised.value.reasons), raised.value.reasons


def test_tax_refunded_without_its_amount_is_held_where_xero_cannot_take_it():
    """Exclusive prices: a line of 0.00 with 1.50 of tax is refused by Xero; inclusive, the
    1.50 is the line's amount and its tax, which Xero takes."""
    tax_only = copy.deepcopy(ONE_BEANIE) | {"amount": "1.50"}
    tax_only["line_items"][0] |= {"quantity": 0, "subtotal": "0.00", "total": "0.00"}
    with pytest.raises(CannotMapError, match=r"refunds tax 1\.50 on 0\.00"):
        map_refund(tax_only, ORDER, SETTINGS, NZ, PRODUCTS)
    inclusive = copy.deepcopy(ORDER) | {"prices_include_tax": True}
    (line,) = credit(tax_only, inclusive).document["LineItems"]
    assert numbers(line) == ("1.0000", "1.5000", "OUTPUT2", "1.50")


@pytest.mark.parametrize(
    ("booking", "reason"),
    [
        (Booking("210", "OUTPUT2"), "account 210 is not an active account"),
        (Booking("200", "GONE"), "tax type GONE is not active in Xero"),
    ],
)
def test_a_booking_to_an_account_or_tax_type_xero_lacks_is_held(booking: Booking, reason: str):
    with pytest.raises(CannotMapError, match=reason):
        map_refund(amount_only("10.00"), ORDER, SETTINGS, NZ, PRODUCTS, amount_only=booking)


def test_an_amount_only_refund_of_an_order_without_lines_cannot_be_spread():
    bare = ORDER | {"line_items": [], "shipping_lines": [], "fee_lines": [], "tax_lines": []}
    with pytest.raises(CannotMapError, match="the order has no lines to spread it over"):
        map_refund(amount_only("10.00"), bare, SETTINGS, NZ, PRODUCTS)


@pytest.mark.xero_spec
def test_the_spec_checks_catch_a_broken_credit_note():
    """The checks in `credit` can fail: a wrong type, a wrong enum, a misspelt field."""
    body = for_xero(credit(ONE_BEANIE).document) | {"Contact": {"ContactID": str(uuid.uuid4())}}
    line = body["LineItems"][0] | {"TaxAmount": "some"}
    broken = body | {"Type": "REFUND", "LineItems": [line]}
    errors = spec_errors("/CreditNotes", {"CreditNotes": [broken]}, {"unitdp": "4"})
    assert any("TaxAmount" in e for e in errors), errors
    assert any("Type" in e for e in errors), errors
    assert undeclared("CreditNote", body | {"CreditNumber": "x"}) == ["CreditNote.CreditNumber"]


# -- WooCommerce's documentation samples ------------------------------------------------------


@pytest.mark.woocommerce_samples
def test_the_sample_refunds_of_order_723_make_credit_notes_of_their_amounts():
    """Refund 724 takes back one album (9.00, untaxed), 726 is 10.00 alone."""
    orders = json.loads(woocommerce_sample("orders_list_v3_docs.json").read_text())
    order = next(order for order in orders if order["id"] == 723)
    refunds = json.loads(woocommerce_sample("order_refunds_list_v3_docs.json").read_text())
    notes = {refund["id"]: credit(refund, order) for refund in refunds}
    assert notes[724].number == "WC-723-R1"
    assert numbers(notes[724].document["LineItems"][0]) == ("1.0000", "9.0000", "NONE", "0.00")
    assert notes[726].number == "WC-723-R2"
    assert {line["Description"] for line in notes[726].document["LineItems"]} == {"Refund"}


def test_a_cancelled_paid_order_is_reversed_by_one_credit_note_of_what_is_left():
    """What its refunds left (55.50 here) spread over the order's lines as an amount-only
    refund is, numbered with `{n}` as "C", dated when the order last changed."""
    cancelled = {**ORDER, "status": "cancelled", "date_modified_gmt": "2026-04-05T22:00:00"}
    note = map_cancellation(cancelled, D("55.50"), SETTINGS, NZ, PRODUCTS)
    assert note is not None
    assert note.number == note.document["CreditNoteNumber"] == "WC-1042-RC"
    assert note.document["Date"] == "2026-04-06"  # in Auckland
    assert note.total == D("55.50")
    set_items(TENANT, note.items)
    rows, errors = xero_lines(TENANT, note.document, "credit_note")
    assert errors == [] and xero_totals(rows, note.document)["Total"] == D("55.50")
    assert {line["Description"] for line in note.document["LineItems"]} == {
        "Refund: Order cancelled"
    }
    assert map_cancellation(cancelled, D(0), SETTINGS, NZ, PRODUCTS) is None, "nothing left"
