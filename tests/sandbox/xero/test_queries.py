"""GET lists: paging, trimmed list form, where/order, batch reads, If-Modified-Since."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from .conftest import Xero, invoice, line


def _bulk(nz: Xero, count: int) -> list[dict]:
    body = {"Invoices": [invoice(Reference=f"R{n:03d}") for n in range(count)]}
    response = nz.put("/Invoices", body)
    assert response.status_code == 200
    return response.json()["Invoices"]


def test_pages_of_100_with_pagination_and_line_items(nz: Xero):
    _bulk(nz, 105)
    first = nz.get("/Invoices", page=1).json()
    second = nz.get("/Invoices", page=2).json()
    assert len(first["Invoices"]) == 100 and len(second["Invoices"]) == 5
    assert second["pagination"] == {"page": 2, "pageSize": 100, "pageCount": 2, "itemCount": 105}
    assert len(first["Invoices"][0]["LineItems"]) == 1


def test_page_size_is_clamped_to_1000(nz: Xero):
    _bulk(nz, 3)
    body = nz.get("/Invoices", page=1, pageSize=5000).json()
    small = nz.get("/Invoices", page=2, pageSize=2).json()
    assert body["pagination"]["pageSize"] == 1000
    assert len(small["Invoices"]) == 1 and small["pagination"]["pageCount"] == 2


def test_unpaged_invoice_list_has_no_line_items(nz: Xero):
    _bulk(nz, 2)
    body = nz.get("/Invoices").json()
    assert "pagination" not in body
    assert [i["LineItems"] for i in body["Invoices"]] == [[], []]
    summary = nz.get("/Invoices", summaryOnly="true").json()["Invoices"][0]
    assert "LineItems" not in summary and "Payments" not in summary


def test_where_order_and_query_parse_errors(nz: Xero):
    nz.put(
        "/Invoices",
        {
            "Invoices": [
                invoice(contact="Zed", Reference="b", LineItems=[line("x", "1", "30")]),
                invoice(
                    contact="Amy",
                    Reference="a",
                    Status="AUTHORISED",
                    LineItems=[line("x", "1", "10")],
                ),
                invoice(contact="Bob", Reference="c", LineItems=[line("x", "1", "20")]),
            ]
        },
    )

    def refs(**params: str) -> list[str]:
        response = nz.get("/Invoices", **params)
        assert response.status_code == 200, response.text
        return [i["Reference"] for i in response.json()["Invoices"]]

    assert refs(where='Status=="DRAFT"', order="Reference") == ["b", "c"]
    assert refs(where='Status=="DRAFT" OR Total < 12', order="Total DESC") == ["b", "c", "a"]
    assert refs(where='(Status=="DRAFT" AND Total > 25) OR Contact.Name.StartsWith("am")') == [
        "b",
        "a",
    ]
    assert refs(where='Contact.Name.ToLower().Contains("ob")') == ["c"]
    assert refs(
        where="Date >= DateTime(2026, 03, 01) AND Date < DateTime(2026, 03, 02)", order="Reference"
    ) == ["a", "b", "c"]
    assert refs(where="Date > DateTime(2026, 03, 01)") == []
    bad = nz.get("/Invoices", where='Status=="DRAFT" AND (')
    assert bad.status_code == 400
    assert bad.json()["Type"] == "QueryParseException" and bad.json()["ErrorNumber"] == 16


@pytest.mark.xero_spec
def test_fields_and_their_types_come_from_the_spec(nz: Xero):
    nz.put("/Items", {"Items": [{"Code": "A", "IsSold": True}]})
    unknown = nz.get("/Invoices", where='Colour=="red"').json()
    mismatch = nz.get("/Items", where='IsSold=="true"').json()
    assert unknown["Message"] == "No property or field 'Colour' exists in type 'Invoice'"
    assert (
        mismatch["Message"]
        == "Operator '==' incompatible with operand types 'Boolean' and 'String'"
    )


def test_guid_and_boolean_filters(nz: Xero):
    created = _bulk(nz, 2)
    contact_id = created[0]["Contact"]["ContactID"]
    by_guid = nz.get("/Invoices", where=f'Contact.ContactID==Guid("{contact_id}")').json()
    nz.put("/Items", {"Items": [{"Code": "A", "IsSold": True}, {"Code": "B", "IsSold": False}]})
    sold = nz.get("/Items", where="IsSold==true").json()["Items"]
    assert len(by_guid["Invoices"]) == 2
    assert [i["Code"] for i in sold] == ["A"]


def test_batch_reads_by_ids_numbers_contacts_and_statuses(nz: Xero):
    one, two, three = _bulk(nz, 3)
    nz.post(f"/Invoices/{two['InvoiceID']}", {"Invoices": [{"Status": "AUTHORISED"}]})
    by_ids = nz.get("/Invoices", IDs=f"{one['InvoiceID']},{three['InvoiceID']}").json()["Invoices"]
    by_numbers = nz.get("/Invoices", InvoiceNumbers=two["InvoiceNumber"]).json()["Invoices"]
    by_status = nz.get("/Invoices", Statuses="AUTHORISED").json()["Invoices"]
    by_contact = nz.get("/Invoices", ContactIDs=one["Contact"]["ContactID"]).json()["Invoices"]
    by_number_path = nz.get(f"/Invoices/{one['InvoiceNumber']}").json()["Invoices"]
    assert [i["InvoiceID"] for i in by_ids] == [one["InvoiceID"], three["InvoiceID"]]
    assert [i["InvoiceID"] for i in by_numbers] == [two["InvoiceID"]]
    assert [i["InvoiceID"] for i in by_status] == [two["InvoiceID"]]
    assert len(by_contact) == 3
    assert by_number_path[0]["InvoiceID"] == one["InvoiceID"]


def test_if_modified_since(nz: Xero):
    old = _bulk(nz, 1)[0]
    time.sleep(0.05)
    cutoff = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.05)
    nz.post(f"/Invoices/{old['InvoiceID']}", {"Invoices": [{"Reference": "touched"}]})
    new = _bulk(nz, 1)[0]
    changed = nz.get("/Invoices", headers={"If-Modified-Since": cutoff}).json()["Invoices"]
    assert {i["InvoiceID"] for i in changed} == {old["InvoiceID"], new["InvoiceID"]}
    later = datetime.now(UTC).isoformat()
    assert nz.get("/Invoices", headers={"If-Modified-Since": later}).json()["Invoices"] == []


def test_search_term_and_not_found(nz: Xero):
    nz.put("/Invoices", {"Invoices": [invoice(Reference="ORDER-77"), invoice(Reference="other")]})
    found = nz.get("/Invoices", searchTerm="order-7").json()["Invoices"]
    missing = nz.get("/Invoices/6f1f7b7c-3d5e-4a57-9d6e-1b1c2d3e4f50")
    assert [i["Reference"] for i in found] == ["ORDER-77"]
    assert missing.status_code == 404
    assert missing.text == "The resource you're looking for cannot be found"


def test_settings_lists(nz: Xero):
    accounts = nz.get("/Accounts", where='Status=="ACTIVE" AND Type=="BANK"').json()["Accounts"]
    rounding = nz.get("/Accounts", where='SystemAccount=="ROUNDING"').json()["Accounts"]
    rates = nz.get("/TaxRates").json()["TaxRates"]
    output2 = nz.get("/TaxRates/OUTPUT2").json()["TaxRates"]
    tracking = nz.get("/TrackingCategories").json()["TrackingCategories"]
    with_archived = nz.get("/TrackingCategories", includeArchived="true").json()[
        "TrackingCategories"
    ]
    organisation = nz.get("/Organisation").json()["Organisations"][0]
    assert {a["Code"] for a in accounts} == {"090", "091"}
    assert rounding[0]["Code"] == "860"
    assert {"OUTPUT2", "INPUT2", "NONE"} <= {r["TaxType"] for r in rates}
    assert output2[0]["EffectiveRate"] == 15.0
    assert [len(c["Options"]) for c in tracking] == [2, 2]
    assert [len(c["Options"]) for c in with_archived] == [3, 2]
    assert organisation["BaseCurrency"] == "NZD" and organisation["Class"] == "STANDARD"
