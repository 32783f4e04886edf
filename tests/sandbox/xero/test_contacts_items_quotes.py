"""Contacts, items, quotes and settings writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import Xero, decimal_json, line

D = Decimal


def test_contact_names_are_unique_among_active_contacts(nz: Xero):
    first = nz.put("/Contacts", {"Contacts": [{"Name": "Buzz Lightyear"}]})
    duplicate = nz.put("/Contacts", {"Contacts": [{"Name": "Buzz Lightyear"}]})
    assert first.status_code == 200
    assert duplicate.json()["Elements"][0]["ValidationErrors"] == [
        {
            "Message": "The contact name Buzz Lightyear is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        }
    ]
    contact_id = first.json()["Contacts"][0]["ContactID"]
    nz.post(f"/Contacts/{contact_id}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    reused = nz.put("/Contacts", {"Contacts": [{"Name": "Buzz Lightyear"}]})
    assert reused.status_code == 200


def test_archived_contacts_are_hidden_unless_asked_for(nz: Xero):
    created = nz.put(
        "/Contacts", {"Contacts": [{"Name": "Old Customer"}, {"Name": "Current"}]}
    ).json()
    old_id = created["Contacts"][0]["ContactID"]
    nz.post(f"/Contacts/{old_id}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    visible = [c["Name"] for c in nz.get("/Contacts").json()["Contacts"]]
    everything = [c["Name"] for c in nz.get("/Contacts", includeArchived="true").json()["Contacts"]]
    by_id = nz.get(f"/Contacts/{old_id}").json()["Contacts"][0]
    assert visible == ["Current"]
    assert everything == ["Old Customer", "Current"]
    assert by_id["ContactStatus"] == "ARCHIVED"


def test_post_upserts_contacts_and_search_term(nz: Xero):
    nz.put(
        "/Contacts",
        {
            "Contacts": [
                {"Name": "Ann Lee", "ContactNumber": "WC-7", "EmailAddress": "ann@example.com"}
            ]
        },
    )
    updated = nz.post(
        "/Contacts", {"Contacts": [{"ContactNumber": "WC-7", "FirstName": "Ann"}]}
    ).json()
    created = nz.post("/Contacts", {"Contacts": [{"Name": "Bo Diddley"}]}).json()
    by_number = nz.get("/Contacts/WC-7").json()["Contacts"][0]
    found = nz.get("/Contacts", searchTerm="ANN@EXAMPLE").json()["Contacts"]
    assert updated["Contacts"][0]["FirstName"] == "Ann"
    assert by_number["Name"] == "Ann Lee"
    assert created["Contacts"][0]["Name"] == "Bo Diddley"
    assert [c["ContactNumber"] for c in found] == ["WC-7"]
    assert len(nz.get("/Contacts").json()["Contacts"]) == 2


def test_contacts_paging(nz: Xero):
    nz.put("/Contacts", {"Contacts": [{"Name": f"Person {n:03d}"} for n in range(120)]})
    page = nz.get("/Contacts", page=2, pageSize=50, order="Name DESC").json()
    assert page["pagination"] == {"page": 2, "pageSize": 50, "pageCount": 3, "itemCount": 120}
    assert page["Contacts"][0]["Name"] == "Person 069"


def test_item_codes_are_unique_and_at_most_30_characters(nz: Xero):
    first = nz.put("/Items", {"Items": [{"Code": "abc", "Name": "Thing"}]})
    duplicate = nz.put("/Items", {"Items": [{"Code": "abc"}]})
    too_long = nz.put("/Items", {"Items": [{"Code": "x" * 31}]})
    assert first.status_code == 200
    assert duplicate.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Price List Item with Code 'abc' already exists"}
    ]
    assert too_long.status_code == 400


@pytest.mark.xero_spec
def test_a_too_long_item_code_breaks_the_spec(nz: Xero):
    nz.put("/Items", {"Items": [{"Code": "x" * 31}]})
    violations = nz.sandbox("GET", "violations").json()
    assert violations[-1]["path"] == "/Items" and "too long" in " ".join(violations[-1]["reasons"])


def test_item_upsert_and_unit_price_precision(nz: Xero):
    body = {
        "Items": [{"Code": "P1", "SalesDetails": {"UnitPrice": D("9.8765"), "AccountCode": "200"}}]
    }
    stored = decimal_json(nz.put("/Items", body, unitdp=4))["Items"][0]
    nz.post("/Items", {"Items": [{"Code": "P1", "Name": "Renamed"}]})
    plain = decimal_json(nz.get("/Items/P1"))["Items"][0]
    precise = decimal_json(nz.get(f"/Items/{stored['ItemID']}", unitdp=4))["Items"][0]
    bad_account = nz.put(
        "/Items", {"Items": [{"Code": "P2", "SalesDetails": {"AccountCode": "999"}}]}
    )
    assert plain["Name"] == "Renamed" and plain["SalesDetails"]["UnitPrice"] == D("9.88")
    assert precise["SalesDetails"]["UnitPrice"] == D("9.8765")
    assert bad_account.status_code == 400


def test_quotes(nz: Xero):
    body = {
        "Quotes": [
            {
                "Contact": {"Name": "Quote Customer"},
                "Date": "2026-03-01",
                "ExpiryDate": "2026-03-15",
                "LineAmountTypes": "EXCLUSIVE",
                "LineItems": [line("Consulting", "2", "50.00", DiscountRate=D("10"))],
            }
        ]
    }
    created = decimal_json(nz.put("/Quotes", body))["Quotes"][0]
    sent = nz.post(f"/Quotes/{created['QuoteID']}", {"Quotes": [{"Status": "SENT"}]})
    accepted = nz.post(f"/Quotes/{created['QuoteID']}", {"Quotes": [{"Status": "ACCEPTED"}]})
    back_to_draft = nz.post(f"/Quotes/{created['QuoteID']}", {"Quotes": [{"Status": "DRAFT"}]})
    listed = nz.get("/Quotes", Status="ACCEPTED").json()["Quotes"]
    assert (created["QuoteNumber"], created["Status"], created["LineAmountTypes"]) == (
        "QU-0001",
        "DRAFT",
        "EXCLUSIVE",
    )
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (
        D("90.00"),
        D("13.50"),
        D("103.50"),
    )
    assert created["ExpiryDateString"] == "2026-03-15T00:00:00"
    assert sent.status_code == 200 and accepted.status_code == 200
    assert back_to_draft.status_code == 400
    assert [q["QuoteID"] for q in listed] == [created["QuoteID"]]


def test_settings_writes(nz: Xero):
    account = nz.put("/Accounts", {"Code": "201", "Name": "Web Sales", "Type": "REVENUE"})
    duplicate = nz.put("/Accounts", {"Code": "201", "Name": "Other", "Type": "REVENUE"})
    rate = nz.put(
        "/TaxRates",
        {"TaxRates": [{"Name": "Special", "TaxComponents": [{"Name": "GST", "Rate": D("12.5")}]}]},
    )
    category = nz.put("/TrackingCategories", {"Name": "Third"})
    archived = nz.post(
        f"/Accounts/{account.json()['Accounts'][0]['AccountID']}", {"Status": "ARCHIVED"}
    )
    assert account.status_code == 200 and account.json()["Accounts"][0]["Class"] == "REVENUE"
    assert duplicate.status_code == 400
    assert rate.json()["TaxRates"][0]["TaxType"] == "TAX001"
    assert category.status_code == 400  # already two active categories
    assert archived.json()["Accounts"][0]["Status"] == "ARCHIVED"
    option = nz.put(
        f"/TrackingCategories/{nz.get('/TrackingCategories').json()['TrackingCategories'][0]['TrackingCategoryID']}/Options",
        {"Name": "East"},
    )
    assert option.status_code == 200 and option.json()["Options"][0]["Name"] == "East"
    used = nz.put(
        "/Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"Name": "T"},
                    "LineItems": [line("x", "1", "8", TaxType="TAX001")],
                }
            ]
        },
    )
    assert decimal_json(used)["Invoices"][0]["TotalTax"] == D("1.00")


def test_a_new_contact_needs_a_name(nz: Xero):
    # Xero's reply quoted in xeroizer#380 for a contact sent with only a ContactNumber.
    response = nz.put("/Contacts", {"Contacts": [{"ContactNumber": "12345"}]})
    assert response.status_code == 400
    assert response.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Contact Name cannot be empty."}
    ]
