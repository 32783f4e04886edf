"""ACCRECCREDIT credit notes: arithmetic, numbers, statuses, allocations and cash refunds."""

from __future__ import annotations

from ..conftest import Xero, decimal_json, invoice, line
from .conftest import (
    D,
    allocate,
    approved_invoice,
    credit_note,
    get_credit_note,
    get_invoice,
    messages,
    pay,
    payment,
)

MARCH_3 = "/Date(1772496000000+0000)/"  # 2026-03-03T00:00:00Z
MARCH_5 = "/Date(1772668800000+0000)/"
EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
TOO_MUCH = "Credit Note cannot be allocated as amount is greater than amount outstanding"


def _refund(nz: Xero, note_id: str, amount: str, **params: str):
    body = {"Payments": [payment({"CreditNote": {"CreditNoteID": note_id}}, amount)]}
    return nz.put("/Payments", body, **params)


def test_credit_note_lines_use_xeros_per_line_arithmetic(nz: Xero):
    inclusive = credit_note(
        nz,
        "Ivy",
        "19.99",
        LineAmountTypes="Inclusive",
        LineItems=[line("Mug", "1", "19.99"), line("Spoon", "3", "4.35")],
    )
    exclusive = credit_note(nz, "Ivy", "0.05", LineItems=[line("Pin", "1", "0.05")] * 3)
    # 19.99 - 19.99/1.15 = 2.6074 -> 2.61; 13.05 - 13.05/1.15 = 1.7022 -> 1.70
    assert [li["TaxAmount"] for li in inclusive["LineItems"]] == [D("2.61"), D("1.70")]
    assert (inclusive["SubTotal"], inclusive["TotalTax"], inclusive["Total"]) == (
        D("28.73"),
        D("4.31"),
        D("33.04"),
    )
    assert inclusive["RemainingCredit"] == D("33.04")
    # 0.05 * 15% = 0.0075 -> 0.01 on each line: 0.03, where the total alone would give 0.02
    assert (exclusive["SubTotal"], exclusive["TotalTax"], exclusive["Total"]) == (
        D("0.15"),
        D("0.03"),
        D("0.18"),
    )


def test_credit_note_numbers_are_automatic_and_unique(nz: Xero):
    first = credit_note(nz, "Nia", "10.00")
    own = credit_note(nz, "Nia", "10.00", CreditNoteNumber="RF-7")
    clash = nz.put(
        "/CreditNotes",
        {
            "CreditNotes": [
                {
                    "Type": "ACCRECCREDIT",
                    "Contact": {"Name": "Nia"},
                    "CreditNoteNumber": "RF-7",
                    "LineItems": [line("x", "1", "1.00")],
                }
            ]
        },
    )
    second = credit_note(nz, "Nia", "10.00")
    assert [first["CreditNoteNumber"], own["CreditNoteNumber"]] == ["CN-0001", "RF-7"]
    assert messages(clash) == ["Credit Note # must be unique."]
    assert second["CreditNoteNumber"] == "CN-0002"


def test_credit_note_statuses(nz: Xero):
    draft = credit_note(nz, "Olga", "10.00", status="DRAFT")
    path = f"/CreditNotes/{draft['CreditNoteID']}"
    approved = nz.post(path, {"CreditNotes": [{"Status": "AUTHORISED"}]})
    voided = nz.post(path, {"CreditNotes": [{"Status": "VOIDED"}]})
    revived = nz.post(path, {"CreditNotes": [{"Status": "AUTHORISED"}]})
    other = credit_note(nz, "Olga", "10.00", status="DRAFT")
    deleted = nz.post(f"/CreditNotes/{other['CreditNoteID']}", {"Status": "DELETED"})
    approved_one = credit_note(nz, "Olga", "10.00")
    undeletable = nz.post(f"/CreditNotes/{approved_one['CreditNoteID']}", {"Status": "DELETED"})
    assert approved.json()["CreditNotes"][0]["Status"] == "AUTHORISED"
    assert (
        voided.json()["CreditNotes"][0]["Status"],
        get_credit_note(nz, draft["CreditNoteID"])["RemainingCredit"],
    ) == ("VOIDED", D("0"))
    assert messages(revived) == ["Credit Note not of valid status for modification"]
    assert deleted.json()["CreditNotes"][0]["Status"] == "DELETED"
    assert messages(undeletable) == ["Credit Note not of valid status for modification"]


def test_allocating_credit_to_an_invoice(nz: Xero):
    target = approved_invoice(nz, contact="Carol")  # 115.00
    note = credit_note(nz, "Carol", "20.00")  # 23.00
    response = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "20.00")
    after_note = get_credit_note(nz, note["CreditNoteID"])
    after_invoice = get_invoice(nz, target["InvoiceID"])
    too_much = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "3.01")
    assert response.status_code == 200
    allocation = decimal_json(response)["Allocations"][0]
    assert (allocation["Amount"], allocation["Date"]) == (D("20.00"), MARCH_3)
    assert (after_note["Status"], after_note["RemainingCredit"]) == ("AUTHORISED", D("3.00"))
    assert after_note["Allocations"][0]["Invoice"]["InvoiceID"] == target["InvoiceID"]
    assert (after_invoice["AmountCredited"], after_invoice["AmountDue"]) == (D("20"), D("95"))
    assert after_invoice["CreditNotes"][0]["AppliedAmount"] == D("20.00")
    # xeroizer#320, calcinai/xero-php#251: too little credit left
    assert messages(too_much) == [TOO_MUCH]


def test_an_allocation_is_limited_by_the_invoice_amount_due(nz: Xero):
    target = approved_invoice(nz, unit="10.00", contact="Hal")  # 11.50
    note = credit_note(nz, "Hal", "20.00")  # 23.00
    assert messages(allocate(nz, note["CreditNoteID"], target["InvoiceID"], "11.51")) == [TOO_MUCH]


def test_allocation_rules(nz: Xero):
    target = approved_invoice(nz, unit="10.00", contact="Dan")
    paid = approved_invoice(nz, unit="10.00", contact="Dan")
    pay(nz, paid["InvoiceID"], "11.50")
    bill_body = invoice(
        contact="Dan",
        Type="ACCPAY",
        Status="AUTHORISED",
        LineItems=[line("Stock", "1", "10.00", AccountCode="400")],
    )
    bill = decimal_json(nz.put("/Invoices", {"Invoices": [bill_body]}))["Invoices"][0]
    eve = credit_note(nz, "Eve", "10.00")
    draft = credit_note(nz, "Dan", "10.00", status="DRAFT")
    dollars = credit_note(nz, "Dan", "10.00", CurrencyCode="USD")
    dan = credit_note(nz, "Dan", "10.00")

    def refused(note: dict, invoice_id: str) -> list[str]:
        return messages(allocate(nz, note["CreditNoteID"], invoice_id, "1.00"))

    assert refused(eve, target["InvoiceID"]) == [
        "The credit note and the invoice must belong to the same contact."
    ]
    assert refused(draft, target["InvoiceID"]) == ["Only AUTHORISED credit notes can be allocated."]
    assert refused(dollars, target["InvoiceID"]) == [
        "The credit note and the invoice must be in the same currency."
    ]
    assert refused(dan, bill["InvoiceID"]) == [
        "Credit Note cannot be allocated to an incorrect invoice type"
    ]
    assert refused(dan, paid["InvoiceID"]) == [  # the pair of xeroizer#320 and bill.com
        "The invoice you are trying to allocate to has already been paid off",
        TOO_MUCH,
    ]


def test_a_fully_allocated_credit_note_and_its_invoice_become_paid(nz: Xero):
    target = approved_invoice(nz, unit="10.00", contact="Fay")  # 11.50
    note = credit_note(nz, "Fay", "10.00")  # 11.50
    allocate(nz, note["CreditNoteID"], target["InvoiceID"], "11.50")
    note_after = get_credit_note(nz, note["CreditNoteID"])
    invoice_after = get_invoice(nz, target["InvoiceID"])
    assert (note_after["Status"], note_after["RemainingCredit"]) == ("PAID", D("0"))
    assert (invoice_after["Status"], invoice_after["FullyPaidOnDate"]) == ("PAID", MARCH_3)


def test_payments_and_credit_together_pay_an_invoice(nz: Xero):
    target = approved_invoice(nz, contact="Gil")  # 115.00
    pay(nz, target["InvoiceID"], "100.00")  # 5 March
    note = credit_note(nz, "Gil", "20.00")  # 23.00
    allocate(nz, note["CreditNoteID"], target["InvoiceID"], "15.00")  # 3 March
    done = get_invoice(nz, target["InvoiceID"])
    assert (done["Status"], done["AmountPaid"], done["AmountCredited"], done["AmountDue"]) == (
        "PAID",
        D("100.00"),
        D("15.00"),
        D("0.00"),
    )
    assert done["FullyPaidOnDate"] == MARCH_5  # the later of the two
    assert get_credit_note(nz, note["CreditNoteID"])["RemainingCredit"] == D("8.00")


def test_deleting_an_allocation_restores_credit_and_amount_due(nz: Xero):
    target = approved_invoice(nz, unit="10.00", contact="Ida")  # 11.50
    note = credit_note(nz, "Ida", "10.00")  # 11.50
    made = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "11.50").json()
    path = (
        f"/CreditNotes/{note['CreditNoteID']}/Allocations/{made['Allocations'][0]['AllocationID']}"
    )
    deleted = nz.http.delete(f"{nz.base}/api.xro/2.0{path}", headers=nz.headers())
    again = nz.http.delete(f"{nz.base}/api.xro/2.0{path}", headers=nz.headers())
    invoice_after = get_invoice(nz, target["InvoiceID"])
    note_after = get_credit_note(nz, note["CreditNoteID"])
    assert deleted.status_code == 200 and deleted.json()["Allocations"][0]["IsDeleted"] is True
    assert again.status_code == 404
    assert (invoice_after["Status"], invoice_after["AmountDue"], invoice_after["CreditNotes"]) == (
        "AUTHORISED",
        D("11.50"),
        [],
    )
    assert (note_after["Status"], note_after["RemainingCredit"], note_after["Allocations"]) == (
        "AUTHORISED",
        D("11.50"),
        [],
    )


def test_a_credit_note_with_credit_allocated_cannot_be_voided(nz: Xero):
    target = approved_invoice(nz, contact="Jo")
    note = credit_note(nz, "Jo", "10.00")
    allocate(nz, note["CreditNoteID"], target["InvoiceID"], "5.00")
    voided = nz.post(f"/CreditNotes/{note['CreditNoteID']}", {"Status": "VOIDED"})
    assert messages(voided) == [
        "This Credit Note cannot be voided as it has payments or credit notes allocated."
    ]


def test_a_cash_refund_out_of_a_credit_note(nz: Xero):
    note = credit_note(nz, "Kit", "20.00")  # 23.00
    refund = decimal_json(_refund(nz, note["CreditNoteID"], "8.00"))["Payments"][0]
    middle = get_credit_note(nz, note["CreditNoteID"])
    too_much = _refund(nz, note["CreditNoteID"], "15.01", summarizeErrors="false")
    by_number = {"Payments": [payment({"CreditNoteNumber": note["CreditNoteNumber"]}, "15.00")]}
    rest = nz.put("/Payments", by_number)
    done = get_credit_note(nz, note["CreditNoteID"])
    assert refund["PaymentType"] == "ARCREDITPAYMENT"
    # Xero returns a refund under "Invoice", the credit note's id as InvoiceID (spec example)
    assert (
        refund["Invoice"]["Type"],
        refund["Invoice"]["InvoiceID"],
        refund["Invoice"]["InvoiceNumber"],
    ) == ("ACCRECCREDIT", note["CreditNoteID"], "CN-0001")
    assert "CreditNote" not in refund
    assert (middle["RemainingCredit"], [p["Amount"] for p in middle["Payments"]]) == (
        D("15.00"),
        [D("8.00")],
    )
    assert messages(too_much) == [EXCEEDS]
    assert rest.status_code == 200
    assert (done["Status"], done["RemainingCredit"], done["FullyPaidOnDate"]) == (
        "PAID",
        D("0.00"),
        MARCH_5,
    )


def test_a_refund_needs_an_approved_credit_note_and_can_be_deleted(nz: Xero):
    draft = credit_note(nz, "Lou", "10.00", status="DRAFT")
    note = credit_note(nz, "Lou", "10.00")  # 11.50
    on_draft = _refund(nz, draft["CreditNoteID"], "1.00", summarizeErrors="false")
    refund = _refund(nz, note["CreditNoteID"], "11.50").json()["Payments"][0]
    paid = get_credit_note(nz, note["CreditNoteID"])
    nz.post(f"/Payments/{refund['PaymentID']}", {"Status": "DELETED"})
    reopened = get_credit_note(nz, note["CreditNoteID"])
    assert messages(on_draft) == ["Payments can only be made against Authorised documents", EXCEEDS]
    assert paid["Status"] == "PAID"
    assert (reopened["Status"], reopened["RemainingCredit"], reopened["Payments"]) == (
        "AUTHORISED",
        D("11.50"),
        [],
    )


def test_credit_allocated_and_refunded_settles_the_credit_note(nz: Xero):
    target = approved_invoice(nz, contact="Meg")  # 115.00
    note = credit_note(nz, "Meg", "20.00")  # 23.00
    allocate(nz, note["CreditNoteID"], target["InvoiceID"], "10.00")
    _refund(nz, note["CreditNoteID"], "13.00")
    done = get_credit_note(nz, note["CreditNoteID"])
    assert (done["Status"], done["RemainingCredit"], done["FullyPaidOnDate"]) == (
        "PAID",
        D("0.00"),
        MARCH_5,
    )
