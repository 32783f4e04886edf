"""Invoices: Xero's per-line arithmetic, numbering, validation, statuses and batch semantics.

Expected amounts are worked out by hand from Xero's documented rules (tax per line rounded to
2 dp, half away from zero, then summed).
"""

from __future__ import annotations

from decimal import Decimal

from .conftest import Xero, decimal_json, invoice, line

D = Decimal


def _created(response) -> dict:
    assert response.status_code == 200, response.text
    return decimal_json(response)["Invoices"][0]


def test_xero_rounding_guide_example_three_lines_at_15_percent(nz: Xero):
    body = invoice(
        LineItems=[
            line("Product A", "1", "25.06"),
            line("Product B", "1", "25.61"),
            line("Product C", "1", "25.63"),
        ]
    )
    created = _created(nz.put("/Invoices", {"Invoices": [body]}))
    assert [li["TaxAmount"] for li in created["LineItems"]] == [D("3.76"), D("3.84"), D("3.84")]
    assert created["SubTotal"] == D("76.30")
    assert created["TotalTax"] == D("11.44")
    assert created["Total"] == D("87.74")
    assert created["LineItems"][0]["TaxType"] == "OUTPUT2"


def test_tax_inclusive_lines(nz: Xero):
    body = invoice(
        LineAmountTypes="Inclusive",
        LineItems=[line("Small", "1", "10.00"), line("Large", "1", "115.00")],
    )
    created = _created(nz.put("/Invoices", {"Invoices": [body]}))
    assert [li["TaxAmount"] for li in created["LineItems"]] == [D("1.30"), D("15.00")]
    assert created["TotalTax"] == D("16.30")
    assert created["SubTotal"] == D("108.70")
    assert created["Total"] == D("125.00")


def test_discount_rate_and_half_up_tax_rounding(nz: Xero):
    body = invoice(LineItems=[line("Discounted", "3", "19.99", DiscountRate=D("10"))])
    created = _created(nz.put("/Invoices", {"Invoices": [body]}))
    (row,) = created["LineItems"]
    assert row["LineAmount"] == D("53.97")
    assert row["TaxAmount"] == D("8.10")
    assert created["Total"] == D("62.07")
    assert created["TotalDiscount"] == D("6.00")


def test_unit_amounts_keep_four_places_only_with_unitdp_4(nz: Xero):
    four = _created(
        nz.put("/Invoices", {"Invoices": [invoice(LineItems=[line("x", "3", "1.2345")])]}, unitdp=4)
    )
    two = _created(
        nz.put("/Invoices", {"Invoices": [invoice(LineItems=[line("x", "3", "1.2345")])]})
    )
    assert four["LineItems"][0]["UnitAmount"] == D("1.2345")
    assert four["LineItems"][0]["LineAmount"] == D("3.70")
    assert four["LineItems"][0]["TaxAmount"] == D("0.56")
    assert two["LineItems"][0]["UnitAmount"] == D("1.23")
    assert two["LineItems"][0]["LineAmount"] == D("3.69")
    assert two["LineItems"][0]["TaxAmount"] == D("0.55")
    plain = decimal_json(nz.get(f"/Invoices/{four['InvoiceID']}"))["Invoices"][0]
    precise = decimal_json(nz.get(f"/Invoices/{four['InvoiceID']}", unitdp=4))["Invoices"][0]
    assert plain["LineItems"][0]["UnitAmount"] == D("1.23")
    assert precise["LineItems"][0]["UnitAmount"] == D("1.2345")


def test_explicit_tax_amount_overrides_the_computed_tax(nz: Xero):
    body = invoice(LineItems=[line("Override", "1", "100.00", TaxAmount=D("14.99"))])
    created = _created(nz.put("/Invoices", {"Invoices": [body]}))
    assert created["TotalTax"] == D("14.99")
    assert created["Total"] == D("114.99")


def test_au_organisation_uses_output_at_10_percent_and_rounds_midpoints_up(xero: Xero):
    xero.connect(tenant="Demo Company (AU)")
    lines = [line("x", "1", "33.33"), line("y", "1", "12.25")]  # 3.333 -> 3.33; 1.225 -> 1.23
    created = _created(xero.put("/Invoices", {"Invoices": [invoice(LineItems=lines)]}))
    assert created["LineItems"][0]["TaxType"] == "OUTPUT"
    assert [li["TaxAmount"] for li in created["LineItems"]] == [D("3.33"), D("1.23")]
    assert created["TotalTax"] == D("4.56")
    assert created["CurrencyCode"] == "AUD"


def test_envelope_and_date_formats(nz: Xero):
    response = nz.put("/Invoices", {"Invoices": [invoice()]})
    body = response.json()
    assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "Invoices"}
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(") and body["DateTimeUTC"].endswith(")/")
    created = body["Invoices"][0]
    assert created["Date"] == "/Date(1772323200000+0000)/"  # 2026-03-01T00:00:00Z
    assert created["DateString"] == "2026-03-01T00:00:00"
    assert created["DueDateString"] == "2026-03-31T00:00:00"
    assert created["UpdatedDateUTC"].endswith("+0000)/")


def test_line_total_mismatch_is_rejected_with_xeros_message(nz: Xero):
    body = invoice(LineItems=[line("x", "2", "10.00", LineAmount=D("25.00"))])
    response = nz.put("/Invoices", {"Invoices": [body]})
    assert response.status_code == 400
    messages = [m["Message"] for m in response.json()["Elements"][0]["ValidationErrors"]]
    assert messages == ["The line total 25.00 does not match the expected line total 20.00"]


def test_auto_numbering_and_unique_accrec_numbers(nz: Xero):
    first = _created(nz.put("/Invoices", {"Invoices": [invoice()]}))
    second = _created(nz.put("/Invoices", {"Invoices": [invoice()]}))
    duplicate = nz.put("/Invoices", {"Invoices": [invoice(InvoiceNumber="INV-0001")]})
    bill_one = _created(
        nz.put("/Invoices", {"Invoices": [invoice(Type="ACCPAY", InvoiceNumber="B1")]})
    )
    bill_two = _created(
        nz.put("/Invoices", {"Invoices": [invoice(Type="ACCPAY", InvoiceNumber="B1")]})
    )
    assert (first["InvoiceNumber"], second["InvoiceNumber"]) == ("INV-0001", "INV-0002")
    assert duplicate.status_code == 400
    assert duplicate.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice # must be unique."}
    ]
    assert bill_one["InvoiceID"] != bill_two["InvoiceID"]


def test_default_summarised_errors_still_create_the_valid_elements(nz: Xero):
    batch = [
        invoice(InvoiceNumber="WC-1"),
        invoice(InvoiceNumber="WC-2", LineItems=[line("x", "1", "5", AccountCode="999")]),
    ]
    response = nz.put("/Invoices", {"Invoices": batch})
    body = response.json()
    assert response.status_code == 400
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10,
        "ValidationException",
        "A validation exception occurred",
    )
    assert [e["InvoiceNumber"] for e in body["Elements"]] == ["WC-2"]
    assert body["Elements"][0]["ValidationErrors"] == [
        {"Message": "Account code '999' is not a valid code for this document."}
    ]
    found = nz.get("/Invoices", InvoiceNumbers="WC-1,WC-2").json()["Invoices"]
    assert [i["InvoiceNumber"] for i in found] == ["WC-1"]


def test_summarize_errors_false_reports_every_element(nz: Xero):
    batch = [invoice(), invoice(Contact={})]
    response = nz.put("/Invoices", {"Invoices": batch}, summarizeErrors="false")
    ok, bad = response.json()["Invoices"]
    assert response.status_code == 200
    assert (ok["StatusAttributeString"], ok["HasErrors"], ok["ValidationErrors"]) == (
        "OK",
        False,
        [],
    )
    assert bad["StatusAttributeString"] == "ERROR" and bad["HasErrors"] is True
    assert bad["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert bad["ValidationErrors"] == [
        {
            "Message": "The Contact must contain at least 1 of the following elements to "
            "identify the contact: Name, ContactID, ContactNumber"
        }
    ]
    assert bad["Warnings"] == [] and ok["Warnings"] == []


def test_authorised_invoices_need_a_due_date_and_valid_accounts_and_tax(nz: Xero):
    no_due = invoice(Status="AUTHORISED")
    del no_due["DueDate"]
    archived = invoice(LineItems=[line("x", "1", "1", AccountCode="210")])
    wrong_tax = invoice(LineItems=[line("x", "1", "1", TaxType="INPUT2")])
    unknown_tax = invoice(LineItems=[line("x", "1", "1", TaxType="GST on Income")])
    bank = invoice(LineItems=[line("x", "1", "1", AccountCode="090")])
    response = nz.put(
        "/Invoices",
        {"Invoices": [no_due, archived, wrong_tax, unknown_tax, bank]},
        summarizeErrors="false",
    )
    messages = [[m["Message"] for m in i["ValidationErrors"]] for i in response.json()["Invoices"]]
    assert messages == [
        ["The document DueDate field must be specified."],
        [
            "Account code '210' has been archived, or has been deleted. Each line item must "
            "reference a valid account."
        ],
        ["The TaxType code 'INPUT2' cannot be used with account code '200'."],
        [
            "The TaxType code 'GST on Income' does not exist or cannot be used for this type "
            "of transaction."
        ],
        ["Account code '090' is not a valid code for this document."],
    ]


def test_tracking_must_match_active_categories_and_options(nz: Xero):
    good = invoice(
        LineItems=[
            line(
                "x",
                "1",
                "1",
                Tracking=[
                    {"Name": "Region", "Option": "North"},
                    {"Name": "Sales Channel", "Option": "Online"},
                ],
            )
        ]
    )
    archived_option = invoice(
        LineItems=[line("x", "1", "1", Tracking=[{"Name": "Region", "Option": "Old Town"}])]
    )
    three = invoice(
        LineItems=[line("x", "1", "1", Tracking=[{"Name": "Region", "Option": "North"}] * 3)]
    )
    response = nz.put(
        "/Invoices", {"Invoices": [good, archived_option, three]}, summarizeErrors="false"
    )
    results = response.json()["Invoices"]
    tracking = results[0]["LineItems"][0]["Tracking"]
    assert [(t["Name"], t["Option"]) for t in tracking] == [
        ("Region", "North"),
        ("Sales Channel", "Online"),
    ]
    assert all(t["TrackingCategoryID"] and t["TrackingOptionID"] for t in tracking)
    assert results[1]["StatusAttributeString"] == "ERROR"
    assert results[2]["StatusAttributeString"] == "ERROR"


def test_currencies_must_be_enabled(nz: Xero):
    usd = _created(
        nz.put("/Invoices", {"Invoices": [invoice(CurrencyCode="USD", CurrencyRate=D("0.6"))]})
    )
    gbp = nz.put("/Invoices", {"Invoices": [invoice(CurrencyCode="GBP")]})
    assert usd["CurrencyCode"] == "USD" and usd["CurrencyRate"] == D("0.6")
    assert gbp.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Organisation is not subscribed to currency GBP"}
    ]


def test_status_lifecycle(nz: Xero):
    draft = _created(nz.put("/Invoices", {"Invoices": [invoice()]}))
    approved = _created(
        nz.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "AUTHORISED"}]})
    )
    delete_approved = nz.post(
        f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]}
    )
    voided = _created(
        nz.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    )
    edit_voided = nz.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Reference": "x"}]})
    other = _created(nz.put("/Invoices", {"Invoices": [invoice(Status="SUBMITTED")]}))
    deleted = _created(
        nz.post(f"/Invoices/{other['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    )
    paid_on_create = nz.put("/Invoices", {"Invoices": [invoice(Status="PAID")]})
    assert approved["Status"] == "AUTHORISED"
    assert delete_approved.status_code == 400
    assert voided["Status"] == "VOIDED"
    assert edit_voided.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice not of valid status for modification"}
    ]
    assert deleted["Status"] == "DELETED"
    assert paid_on_create.status_code == 400


def test_zero_total_authorised_invoice_is_paid_at_once(nz: Xero):
    body = invoice(Status="AUTHORISED", LineItems=[line("Free sample", "1", "0.00")])
    assert _created(nz.put("/Invoices", {"Invoices": [body]}))["Status"] == "PAID"


def test_update_replaces_lines_and_drops_omitted_ones(nz: Xero):
    created = _created(
        nz.put(
            "/Invoices",
            {"Invoices": [invoice(LineItems=[line("a", "1", "1"), line("b", "1", "2")])]},
        )
    )
    keep = created["LineItems"][1]
    updated = _created(
        nz.post(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "InvoiceID": created["InvoiceID"],
                        "LineItems": [
                            {
                                "LineItemID": keep["LineItemID"],
                                "Description": "b",
                                "Quantity": 1,
                                "UnitAmount": 2,
                                "AccountCode": "200",
                            }
                        ],
                    }
                ]
            },
        )
    )
    assert [li["LineItemID"] for li in updated["LineItems"]] == [keep["LineItemID"]]
    assert updated["SubTotal"] == D("2.00")


def test_contact_by_name_is_matched_or_created_and_archived_contacts_are_refused(nz: Xero):
    first = _created(nz.put("/Invoices", {"Invoices": [invoice(contact="New Person")]}))
    second = _created(nz.put("/Invoices", {"Invoices": [invoice(contact="new person")]}))
    contacts = nz.get("/Contacts", where='Name=="New Person"').json()["Contacts"]
    contact_id = first["Contact"]["ContactID"]
    nz.post(f"/Contacts/{contact_id}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    refused = nz.put("/Invoices", {"Invoices": [invoice(Contact={"ContactID": contact_id})]})
    assert second["Contact"]["ContactID"] == contact_id
    assert len(contacts) == 1 and contacts[0]["IsCustomer"] is True
    assert refused.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Unable to assign an Archived contact."}
    ]


def test_invalid_invoice_does_not_create_its_new_contact(nz: Xero):
    bad = invoice(contact="Ghost", LineItems=[line("x", "1", "1", AccountCode="999")])
    nz.put("/Invoices", {"Invoices": [bad]})
    assert nz.get("/Contacts", searchTerm="Ghost").json()["Contacts"] == []


def test_item_codes_fill_line_defaults(nz: Xero):
    nz.put(
        "/Items",
        {
            "Items": [
                {
                    "Code": "SKU-1",
                    "Name": "Mug",
                    "Description": "Blue mug",
                    "SalesDetails": {
                        "UnitPrice": D("12.50"),
                        "AccountCode": "200",
                        "TaxType": "OUTPUT2",
                    },
                }
            ]
        },
    )
    created = _created(
        nz.put(
            "/Invoices", {"Invoices": [invoice(LineItems=[{"ItemCode": "SKU-1", "Quantity": 2}])]}
        )
    )
    (row,) = created["LineItems"]
    assert (row["Description"], row["UnitAmount"], row["LineAmount"], row["TaxAmount"]) == (
        "Blue mug",
        D("12.50"),
        D("25.00"),
        D("3.75"),
    )
    assert row["Item"]["Code"] == "SKU-1"
