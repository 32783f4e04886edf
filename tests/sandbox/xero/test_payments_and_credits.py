"""Payments, payment deletion, credit notes and their allocations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from .conftest import Xero, decimal_json, invoice, line

D = Decimal


def _approved_invoice(nz: Xero, unit: str = "100.00", contact: str = "Payer") -> dict:
    body = invoice(contact=contact, Status="AUTHORISED", LineItems=[line("x", "1", unit)])
    return decimal_json(nz.put("/Invoices", {"Invoices": [body]}))["Invoices"][0]


def _pay(nz: Xero, invoice_id: str, amount: str, account: str = "090", **params: str):
    body = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": invoice_id},
                "Account": {"Code": account},
                "Date": "2026-03-05",
                "Amount": D(amount),
            }
        ]
    }
    return nz.put("/Payments", body, **params)


def _get_invoice(nz: Xero, invoice_id: str) -> dict:
    return decimal_json(nz.get(f"/Invoices/{invoice_id}"))["Invoices"][0]


def test_part_then_full_payment_marks_the_invoice_paid(nz: Xero):
    created = _approved_invoice(nz)  # 100.00 + 15% = 115.00
    part = _pay(nz, created["InvoiceID"], "15.00")
    middle = _get_invoice(nz, created["InvoiceID"])
    rest = _pay(nz, created["InvoiceID"], "100.00")
    done = _get_invoice(nz, created["InvoiceID"])
    assert part.status_code == 200
    assert part.json()["Payments"][0]["PaymentType"] == "ACCRECPAYMENT"
    assert (middle["Status"], middle["AmountDue"], middle["AmountPaid"]) == (
        "AUTHORISED",
        D("100.00"),
        D("15.00"),
    )
    assert rest.status_code == 200
    assert (done["Status"], done["AmountDue"]) == ("PAID", D("0.00"))
    assert done["FullyPaidOnDate"] == "/Date(1772668800000+0000)/"  # 2026-03-05
    assert [p["Amount"] for p in done["Payments"]] == [D("15.00"), D("100.00")]


def test_payment_rules(nz: Xero):
    approved = _approved_invoice(nz)
    draft = decimal_json(nz.put("/Invoices", {"Invoices": [invoice()]}))["Invoices"][0]
    too_much = _pay(nz, approved["InvoiceID"], "115.01", summarizeErrors="false")
    on_draft = _pay(nz, draft["InvoiceID"], "1.00", summarizeErrors="false")
    to_revenue = _pay(nz, approved["InvoiceID"], "1.00", account="200", summarizeErrors="false")
    to_clearing = _pay(nz, approved["InvoiceID"], "1.00", account="615")
    statuses = [
        r.json()["Payments"][0]["StatusAttributeString"] for r in (too_much, on_draft, to_revenue)
    ]
    assert statuses == ["ERROR", "ERROR", "ERROR"]
    # Texts: the spec's PUT /Payments example (no full stop); Workato/Actionstep support
    # articles quote the "Authorised documents" message together with the "exceeds" one.
    assert too_much.json()["Payments"][0]["ValidationErrors"] == [
        {"Message": "Payment amount exceeds the amount outstanding on this document"}
    ]
    assert on_draft.json()["Payments"][0]["ValidationErrors"] == [
        {"Message": "Payments can only be made against Authorised documents"},
        {"Message": "Payment amount exceeds the amount outstanding on this document"},
    ]
    assert to_revenue.json()["Payments"][0]["ValidationErrors"] == [
        {"Message": "Account type is invalid for making a payment to/from."}
    ]
    assert to_clearing.status_code == 200


def test_payment_on_a_paid_invoice_gets_both_of_xeros_messages(nz: Xero):
    created = _approved_invoice(nz, unit="10.00")  # 10.00 + 15% = 11.50
    assert _pay(nz, created["InvoiceID"], "11.50").status_code == 200
    again = _pay(nz, created["InvoiceID"], "1.00", summarizeErrors="false")
    assert again.json()["Payments"][0]["ValidationErrors"] == [
        {"Message": "Payments can only be made against Authorised documents"},
        {"Message": "Payment amount exceeds the amount outstanding on this document"},
    ]


def test_editing_a_paid_invoice_reports_status_and_payment(nz: Xero):
    created = _approved_invoice(nz, unit="10.00")
    _pay(nz, created["InvoiceID"], "11.50")
    edit = nz.post(
        f"/Invoices/{created['InvoiceID']}",
        {"Invoices": [{"LineItems": [line("y", "1", "20.00")]}]},
    )
    # Neto/Maropost "Xero Common Errors" and Briefcase list this pair for an edited paid invoice.
    assert edit.status_code == 400
    assert edit.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice not of valid status for modification"},
        {
            "Message": "This document cannot be edited as it has a payment or credit note "
            "allocated to it."
        },
    ]


def test_payment_dates_string_is_iso_to_the_second_with_z(nz: Xero):
    created = _approved_invoice(nz)
    payment = _pay(nz, created["InvoiceID"], "1.00").json()["Payments"][0]
    millis = int(payment["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")])
    expected = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payment["UpdatedDateUTCString"] == expected  # spec example: 2019-11-14T18:10:38Z


def test_deleting_a_payment_restores_the_amount_due(nz: Xero):
    created = _approved_invoice(nz)
    payment = _pay(nz, created["InvoiceID"], "115.00").json()["Payments"][0]
    paid = _get_invoice(nz, created["InvoiceID"])
    deleted = nz.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    reopened = _get_invoice(nz, created["InvoiceID"])
    listed = nz.get("/Payments", where='Status=="DELETED"').json()["Payments"]
    assert paid["Status"] == "PAID"
    assert deleted.status_code == 200 and deleted.json()["Payments"][0]["Status"] == "DELETED"
    assert (reopened["Status"], reopened["AmountDue"], reopened["Payments"]) == (
        "AUTHORISED",
        D("115.00"),
        [],
    )
    assert [p["PaymentID"] for p in listed] == [payment["PaymentID"]]


def test_void_is_refused_while_a_payment_exists(nz: Xero):
    created = _approved_invoice(nz)
    _pay(nz, created["InvoiceID"], "5.00")
    refused = nz.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    edit = nz.post(
        f"/Invoices/{created['InvoiceID']}",
        {"Invoices": [{"LineItems": [line("y", "1", "1")]}]},
    )
    assert refused.status_code == 400 and edit.status_code == 400


def _credit_note(nz: Xero, contact: str, unit: str, status: str = "AUTHORISED") -> dict:
    body = {
        "CreditNotes": [
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"Name": contact},
                "Date": "2026-03-02",
                "Status": status,
                "LineItems": [line("Refund", "1", unit)],
            }
        ]
    }
    response = nz.put("/CreditNotes", body)
    assert response.status_code == 200, response.text
    return decimal_json(response)["CreditNotes"][0]


def test_credit_note_allocation(nz: Xero):
    target = _approved_invoice(nz, contact="Carol")  # 115.00
    note = _credit_note(nz, "Carol", "20.00")  # 23.00
    assert (note["CreditNoteNumber"], note["Total"], note["RemainingCredit"]) == (
        "CN-0001",
        D("23.00"),
        D("23.00"),
    )
    allocation = {
        "Allocations": [
            {
                "Invoice": {"InvoiceID": target["InvoiceID"]},
                "Amount": D("20.00"),
                "Date": "2026-03-03",
            }
        ]
    }
    response = nz.put(f"/CreditNotes/{note['CreditNoteID']}/Allocations", allocation)
    after_note = decimal_json(nz.get(f"/CreditNotes/{note['CreditNoteID']}"))["CreditNotes"][0]
    after_invoice = _get_invoice(nz, target["InvoiceID"])
    too_much = nz.put(
        f"/CreditNotes/{note['CreditNoteID']}/Allocations",
        {
            "Allocations": [
                {
                    "Invoice": {"InvoiceID": target["InvoiceID"]},
                    "Amount": D("3.01"),
                    "Date": "2026-03-03",
                }
            ]
        },
    )
    assert response.status_code == 200
    assert after_note["RemainingCredit"] == D("3.00")
    assert (after_invoice["AmountCredited"], after_invoice["AmountDue"]) == (D("20.00"), D("95.00"))
    assert after_invoice["CreditNotes"][0]["AppliedAmount"] == D("20.00")
    assert too_much.status_code == 400


def test_allocation_needs_same_contact_and_authorised_documents(nz: Xero):
    invoice_for_dan = _approved_invoice(nz, contact="Dan")
    note_for_eve = _credit_note(nz, "Eve", "10.00")
    draft_note = _credit_note(nz, "Dan", "10.00", status="DRAFT")
    body = {
        "Allocations": [
            {
                "Invoice": {"InvoiceID": invoice_for_dan["InvoiceID"]},
                "Amount": D("1.00"),
                "Date": "2026-03-03",
            }
        ]
    }
    other_contact = nz.put(f"/CreditNotes/{note_for_eve['CreditNoteID']}/Allocations", body)
    draft = nz.put(f"/CreditNotes/{draft_note['CreditNoteID']}/Allocations", body)
    assert other_contact.status_code == 400 and draft.status_code == 400


def test_fully_allocated_credit_note_and_invoice_become_paid(nz: Xero):
    target = _approved_invoice(nz, unit="10.00", contact="Fay")  # 11.50
    note = _credit_note(nz, "Fay", "10.00")  # 11.50
    nz.put(
        f"/CreditNotes/{note['CreditNoteID']}/Allocations",
        {
            "Allocations": [
                {
                    "Invoice": {"InvoiceID": target["InvoiceID"]},
                    "Amount": D("11.50"),
                    "Date": "2026-03-03",
                }
            ]
        },
    )
    note_after = decimal_json(nz.get(f"/CreditNotes/{note['CreditNoteID']}"))["CreditNotes"][0]
    assert note_after["Status"] == "PAID"
    assert _get_invoice(nz, target["InvoiceID"])["Status"] == "PAID"


def test_credit_notes_do_not_take_discounts(nz: Xero):
    body = {
        "CreditNotes": [
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"Name": "Gus"},
                "LineItems": [line("x", "1", "10", DiscountRate=D("5"))],
            }
        ]
    }
    assert nz.put("/CreditNotes", body).status_code == 400
