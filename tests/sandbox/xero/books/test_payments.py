"""Payments on invoices: amounts, statuses, batches, deletion, listing and retries."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from ..conftest import Xero, decimal_json, invoice, line
from .conftest import D, approved_invoice, get_invoice, messages, pay, payment

MARCH_5 = "/Date(1772668800000+0000)/"  # 2026-03-05T00:00:00Z
MARCH_10 = "/Date(1773100800000+0000)/"  # five days later


def _on(invoice_id: str) -> dict:
    return {"Invoice": {"InvoiceID": invoice_id}}


def test_part_then_full_payment_marks_the_invoice_paid(nz: Xero):
    created = approved_invoice(nz)  # 100.00 + 15% = 115.00
    part = pay(nz, created["InvoiceID"], "15.00")
    middle = get_invoice(nz, created["InvoiceID"])
    rest = pay(nz, created["InvoiceID"], "100.00")
    done = get_invoice(nz, created["InvoiceID"])
    assert part.status_code == 200
    assert part.json()["Payments"][0]["PaymentType"] == "ACCRECPAYMENT"
    assert (middle["Status"], middle["AmountDue"], middle["AmountPaid"]) == (
        "AUTHORISED",
        D("100.00"),
        D("15.00"),
    )
    assert "FullyPaidOnDate" not in middle
    assert rest.status_code == 200
    assert (done["Status"], done["AmountDue"], done["AmountPaid"]) == (
        "PAID",
        D("0.00"),
        D("115.00"),
    )
    assert done["FullyPaidOnDate"] == MARCH_5
    assert [p["Amount"] for p in done["Payments"]] == [D("15.00"), D("100.00")]


def test_fully_paid_on_is_the_date_of_the_latest_payment(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    later = payment(_on(created["InvoiceID"]), "15.00", Date="2026-03-10")
    nz.put("/Payments", {"Payments": [later]})
    pay(nz, created["InvoiceID"], "100.00")  # dated 5 March, pays the rest
    assert get_invoice(nz, created["InvoiceID"])["FullyPaidOnDate"] == MARCH_10


def test_payment_rules(nz: Xero):
    approved = approved_invoice(nz)
    draft = decimal_json(nz.put("/Invoices", {"Invoices": [invoice()]}))["Invoices"][0]
    too_much = pay(nz, approved["InvoiceID"], "115.01", summarizeErrors="false")
    on_draft = pay(nz, draft["InvoiceID"], "1.00", summarizeErrors="false")
    to_revenue = pay(nz, approved["InvoiceID"], "1.00", account="200", summarizeErrors="false")
    to_clearing = pay(nz, approved["InvoiceID"], "1.00", account="615")
    statuses = [
        r.json()["Payments"][0]["StatusAttributeString"] for r in (too_much, on_draft, to_revenue)
    ]
    assert statuses == ["ERROR", "ERROR", "ERROR"]
    # Texts: the spec's PUT /Payments example (no full stop); Workato/Actionstep support
    # articles quote the "Authorised documents" message together with the "exceeds" one.
    assert messages(too_much) == ["Payment amount exceeds the amount outstanding on this document"]
    assert messages(on_draft) == [
        "Payments can only be made against Authorised documents",
        "Payment amount exceeds the amount outstanding on this document",
    ]
    assert messages(to_revenue) == ["Account type is invalid for making a payment to/from."]
    assert to_clearing.status_code == 200  # 615 has EnablePaymentsToAccount


def test_payment_on_a_paid_invoice_gets_both_of_xeros_messages(nz: Xero):
    created = approved_invoice(nz, unit="10.00")  # 10.00 + 15% = 11.50
    assert pay(nz, created["InvoiceID"], "11.50").status_code == 200
    again = pay(nz, created["InvoiceID"], "1.00", summarizeErrors="false")
    assert messages(again) == [
        "Payments can only be made against Authorised documents",
        "Payment amount exceeds the amount outstanding on this document",
    ]


def test_post_payments_takes_one_payment_bare_or_in_its_envelope(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    bare = nz.post("/Payments", payment(_on(created["InvoiceID"]), "40.00", Reference="Order 7"))
    wrapped = nz.post("/Payments", {"Payments": [payment(_on(created["InvoiceID"]), "5.00")]})
    after = get_invoice(nz, created["InvoiceID"])
    assert (bare.status_code, wrapped.status_code) == (200, 200)
    assert bare.json()["Payments"][0]["Reference"] == "Order 7"
    assert (after["AmountPaid"], after["AmountDue"]) == (D("45.00"), D("70.00"))


def test_a_payment_reads_back_with_its_account_and_invoice(nz: Xero):
    created = approved_invoice(nz, contact="Rita")
    bank = nz.get("/Accounts", where='Code=="090"').json()["Accounts"][0]
    paid = decimal_json(pay(nz, created["InvoiceID"], "10.00"))["Payments"][0]
    read = decimal_json(nz.get(f"/Payments/{paid['PaymentID']}"))["Payments"][0]
    assert read["Account"] == {
        "AccountID": bank["AccountID"],
        "Code": "090",
        "Name": "Business Bank Account",
    }
    assert (
        read["Invoice"]["Type"],
        read["Invoice"]["InvoiceID"],
        read["Invoice"]["InvoiceNumber"],
        read["Invoice"]["Contact"]["Name"],
    ) == ("ACCREC", created["InvoiceID"], created["InvoiceNumber"], "Rita")
    assert (read["Amount"], read["BankAmount"], read["CurrencyRate"]) == (
        D("10.00"),
        D("10.00"),
        D("1"),
    )
    assert (read["Status"], read["IsReconciled"], read["Date"]) == ("AUTHORISED", False, MARCH_5)


def test_summarize_errors_false_pays_the_good_elements_and_reports_the_bad(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    target = _on(created["InvoiceID"])
    body = {"Payments": [payment(target, "15.00"), payment(target, "100.01")]}
    answer = nz.put("/Payments", body, summarizeErrors="false")
    rows = answer.json()["Payments"]
    assert answer.status_code == 200
    assert [r["StatusAttributeString"] for r in rows] == ["OK", "ERROR"]
    assert [r["HasValidationErrors"] for r in rows] == [False, True]
    assert get_invoice(nz, created["InvoiceID"])["AmountDue"] == D("100.00")


def test_a_summarised_refusal_still_applies_the_valid_payments(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    target = _on(created["InvoiceID"])
    answer = nz.put("/Payments", {"Payments": [payment(target, "10.00"), payment(target, "500")]})
    assert answer.status_code == 400
    assert len(answer.json()["Elements"]) == 1  # only the failing one, with no id to bind
    assert get_invoice(nz, created["InvoiceID"])["AmountPaid"] == D("10.00")


def test_editing_a_paid_invoice_reports_status_and_payment(nz: Xero):
    created = approved_invoice(nz, unit="10.00")
    pay(nz, created["InvoiceID"], "11.50")
    edit = nz.post(
        f"/Invoices/{created['InvoiceID']}",
        {"Invoices": [{"LineItems": [line("y", "1", "20.00")]}]},
    )
    # Neto/Maropost "Xero Common Errors" and Briefcase list this pair for an edited paid invoice.
    assert edit.status_code == 400
    assert messages(edit) == [
        "Invoice not of valid status for modification",
        "This document cannot be edited as it has a payment or credit note allocated to it.",
    ]


def test_payment_dates_string_is_iso_to_the_second_with_z(nz: Xero):
    created = approved_invoice(nz)
    paid = pay(nz, created["InvoiceID"], "1.00").json()["Payments"][0]
    millis = int(paid["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")])
    expected = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert paid["UpdatedDateUTCString"] == expected  # spec example: 2019-11-14T18:10:38Z


def test_deleting_a_payment_reopens_the_invoice(nz: Xero):
    created = approved_invoice(nz)
    paid = pay(nz, created["InvoiceID"], "115.00").json()["Payments"][0]
    was = get_invoice(nz, created["InvoiceID"])
    deleted = nz.post(f"/Payments/{paid['PaymentID']}", {"Status": "DELETED"})
    reopened = get_invoice(nz, created["InvoiceID"])
    listed = nz.get("/Payments", where='Status=="DELETED"').json()["Payments"]
    assert was["Status"] == "PAID"
    assert deleted.status_code == 200 and deleted.json()["Payments"][0]["Status"] == "DELETED"
    assert (reopened["Status"], reopened["AmountDue"], reopened["Payments"]) == (
        "AUTHORISED",
        D("115.00"),
        [],
    )
    assert "FullyPaidOnDate" not in reopened
    assert [p["PaymentID"] for p in listed] == [paid["PaymentID"]]


def test_a_payment_takes_no_change_but_its_deletion(nz: Xero):
    created = approved_invoice(nz)
    paid = pay(nz, created["InvoiceID"], "5.00").json()["Payments"][0]
    path = f"/Payments/{paid['PaymentID']}"
    changed = nz.post(path, {"Status": "DELETED", "Amount": D("1.00")})
    authorised = nz.post(path, {"Status": "AUTHORISED"})
    deleted = nz.post(path, {"Status": "DELETED"})
    again = nz.post(path, {"Status": "DELETED"})
    assert messages(changed) == ["Only Status accepted for updates."]  # xero-node#115
    assert messages(authorised) == ["A payment can only be updated to a Status of DELETED."]
    assert deleted.status_code == 200
    assert messages(again) == ["This payment has already been deleted."]
    assert get_invoice(nz, created["InvoiceID"])["AmountDue"] == D("115.00")


def test_void_is_refused_while_a_payment_exists(nz: Xero):
    created = approved_invoice(nz)
    pay(nz, created["InvoiceID"], "5.00")
    refused = nz.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    edit = nz.post(
        f"/Invoices/{created['InvoiceID']}",
        {"Invoices": [{"LineItems": [line("y", "1", "1")]}]},
    )
    assert refused.status_code == 400 and edit.status_code == 400
    assert get_invoice(nz, created["InvoiceID"])["Status"] == "AUTHORISED"


def _iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def test_listing_payments_by_where_order_page_and_if_modified_since(nz: Xero):
    first = approved_invoice(nz, contact="Lena")
    second = approved_invoice(nz, contact="Max")
    pay(nz, first["InvoiceID"], "10.00")
    last_before = pay(nz, first["InvoiceID"], "20.00").json()["Payments"][0]
    cutoff = int(last_before["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")]) + 1
    while datetime.now(UTC).timestamp() * 1000 <= cutoff:  # the next write is after the cutoff
        time.sleep(0.001)
    pay(nz, second["InvoiceID"], "30.00")
    of_first = nz.get(
        "/Payments",
        where=f'Invoice.InvoiceID==Guid("{first["InvoiceID"]}") AND PaymentType=="ACCRECPAYMENT"',
    )
    ordered = nz.get("/Payments", order="Amount DESC")
    page_two = decimal_json(nz.get("/Payments", page="2", pageSize="2"))
    since = nz.get("/Payments", headers={"If-Modified-Since": _iso(cutoff)})
    assert [p["Amount"] for p in decimal_json(of_first)["Payments"]] == [D("10"), D("20")]
    assert [p["Amount"] for p in decimal_json(ordered)["Payments"]] == [D("30"), D("20"), D("10")]
    assert page_two["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    assert [p["Amount"] for p in page_two["Payments"]] == [D("30")]
    assert [p["Amount"] for p in decimal_json(since)["Payments"]] == [D("30")]


def test_a_retried_payment_with_the_same_idempotency_key_pays_once(nz: Xero):
    created = approved_invoice(nz)
    body = {"Payments": [payment(_on(created["InvoiceID"]), "50.00")]}
    first = nz.put("/Payments", body, headers={"Idempotency-Key": "order-7-payment"})
    retry = nz.put("/Payments", body, headers={"Idempotency-Key": "order-7-payment"})
    assert retry.json()["Payments"][0]["PaymentID"] == first.json()["Payments"][0]["PaymentID"]
    assert get_invoice(nz, created["InvoiceID"])["AmountPaid"] == D("50.00")
    assert len(nz.get("/Payments").json()["Payments"]) == 1
