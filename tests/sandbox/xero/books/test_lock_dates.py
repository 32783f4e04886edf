"""Lock dates: nothing approved may be dated on or before the period or end of year lock date."""

from __future__ import annotations

from ..conftest import Xero, decimal_json, invoice, line
from .conftest import (
    D,
    allocate,
    approved_invoice,
    control,
    credit_note,
    get_invoice,
    messages,
    pay,
    payment,
)

# Emersion knowledge base and xeroizer#92: Xero's texts, the date as dd-Mon-yyyy
PERIOD = "The document date cannot be before the period lock date, currently set at 28-Feb-2026"
END_OF_YEAR = (
    "The document date cannot be before the end of year lock date, currently set at 31-Jan-2026"
)
EDIT_PERIOD = "The document cannot be edited as it is currently dated before the period lock date"


def _lock(nz: Xero, period: str | None = "2026-02-28", end_of_year: str | None = None) -> None:
    body = {"PeriodLockDate": period, "EndOfYearLockDate": end_of_year}
    assert control(nz, "lock-dates", body).status_code == 200


def _organisation(nz: Xero) -> dict:
    return nz.get("/Organisation").json()["Organisations"][0]


def test_the_organisation_shows_each_lock_date_only_when_set(nz: Xero):
    before = _organisation(nz)
    answer = control(
        nz, "lock-dates", {"PeriodLockDate": "2026-02-28", "EndOfYearLockDate": "2025-12-31"}
    )
    both = _organisation(nz)
    control(nz, "lock-dates", {"PeriodLockDate": None})
    one = _organisation(nz)
    bad = control(nz, "lock-dates", {"EndOfYearLockDate": "last Friday"})
    assert "PeriodLockDate" not in before and "EndOfYearLockDate" not in before
    assert answer.json()["LockDates"] == [
        {
            "PeriodLockDate": "/Date(1772236800000+0000)/",  # 2026-02-28
            "EndOfYearLockDate": "/Date(1767139200000+0000)/",  # 2025-12-31
        }
    ]
    assert (both["PeriodLockDate"], both["EndOfYearLockDate"]) == (
        "/Date(1772236800000+0000)/",
        "/Date(1767139200000+0000)/",
    )
    assert "PeriodLockDate" not in one and one["EndOfYearLockDate"] == both["EndOfYearLockDate"]
    assert bad.status_code == 400
    assert bad.json()["ValidationErrors"] == [
        {"Message": "The EndOfYearLockDate field is not a valid date."}
    ]


def test_an_approved_invoice_dated_on_the_lock_date_is_refused(nz: Xero):
    _lock(nz)
    on_the_day = nz.put(
        "/Invoices", {"Invoices": [invoice(Status="AUTHORISED", Date="2026-02-28")]}
    )
    day_after = nz.put("/Invoices", {"Invoices": [invoice(Status="AUTHORISED", Date="2026-03-01")]})
    assert messages(on_the_day) == [PERIOD]
    assert day_after.status_code == 200


def test_each_lock_date_that_covers_the_date_gives_its_message(nz: Xero):
    _lock(nz, "2026-02-28", "2026-01-31")
    january = nz.put("/Invoices", {"Invoices": [invoice(Status="AUTHORISED", Date="2026-01-15")]})
    february = nz.put("/Invoices", {"Invoices": [invoice(Status="AUTHORISED", Date="2026-02-10")]})
    assert messages(january) == [PERIOD, END_OF_YEAR]
    assert messages(february) == [PERIOD]


def test_the_end_of_year_lock_date_alone_also_locks(nz: Xero):
    _lock(nz, None, "2026-01-31")
    refused = nz.put("/Invoices", {"Invoices": [invoice(Status="AUTHORISED", Date="2026-01-31")]})
    assert messages(refused) == [END_OF_YEAR]


def test_drafts_may_be_dated_in_a_locked_period_but_not_approved_there(nz: Xero):
    _lock(nz)
    draft = nz.put("/Invoices", {"Invoices": [invoice(Date="2026-02-01")]})
    invoice_id = draft.json()["Invoices"][0]["InvoiceID"]
    approve = nz.post(f"/Invoices/{invoice_id}", {"Invoices": [{"Status": "AUTHORISED"}]})
    redated = nz.post(
        f"/Invoices/{invoice_id}", {"Invoices": [{"Status": "AUTHORISED", "Date": "2026-03-02"}]}
    )
    assert draft.status_code == 200
    assert messages(approve) == [PERIOD]
    assert redated.status_code == 200 and redated.json()["Invoices"][0]["Status"] == "AUTHORISED"


def test_an_approved_invoice_in_a_locked_period_cannot_be_edited_or_voided(nz: Xero):
    created = approved_invoice(nz, Date="2026-02-20")
    _lock(nz)
    edit = nz.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Reference": "late"}]})
    void = nz.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    after = get_invoice(nz, created["InvoiceID"])
    assert messages(edit) == [EDIT_PERIOD]
    assert messages(void) == [EDIT_PERIOD]
    assert (after["Status"], after.get("Reference", "")) == ("AUTHORISED", "")


def test_an_approved_credit_note_in_a_locked_period_is_refused(nz: Xero):
    _lock(nz, "2026-03-02")
    note = {
        "Type": "ACCRECCREDIT",
        "Contact": {"Name": "Ned"},
        "Date": "2026-03-02",
        "LineItems": [line("Refund", "1", "5.00")],
    }
    approved = nz.put("/CreditNotes", {"CreditNotes": [{**note, "Status": "AUTHORISED"}]})
    draft = nz.put("/CreditNotes", {"CreditNotes": [note]})
    assert messages(approved) == [
        "The document date cannot be before the period lock date, currently set at 02-Mar-2026"
    ]
    assert draft.status_code == 200


def test_payments_are_judged_by_their_own_date(nz: Xero):
    created = approved_invoice(nz, Date="2026-02-20")  # 115.00
    early = nz.put(
        "/Payments",
        {
            "Payments": [
                payment({"Invoice": {"InvoiceID": created["InvoiceID"]}}, "5.00", Date="2026-02-25")
            ]
        },
    ).json()["Payments"][0]
    _lock(nz)
    locked = nz.put(
        "/Payments",
        {
            "Payments": [
                payment({"Invoice": {"InvoiceID": created["InvoiceID"]}}, "1.00", Date="2026-02-27")
            ]
        },
    )
    after_lock = pay(nz, created["InvoiceID"], "110.00")  # dated 5 March: a locked invoice is paid
    delete_early = nz.post(f"/Payments/{early['PaymentID']}", {"Status": "DELETED"})
    assert messages(locked) == [PERIOD]
    assert after_lock.status_code == 200
    assert get_invoice(nz, created["InvoiceID"])["Status"] == "PAID"
    assert messages(delete_early) == [EDIT_PERIOD]


def test_refunds_and_allocations_in_a_locked_period_are_refused(nz: Xero):
    target = approved_invoice(nz, contact="Ola")  # 115.00, dated 1 March
    note = credit_note(nz, "Ola", "20.00")  # 23.00, dated 2 March
    made = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "5.00", date="2026-03-03")
    _lock(nz, "2026-03-04")
    refund = nz.put(
        "/Payments",
        {
            "Payments": [
                payment(
                    {"CreditNote": {"CreditNoteID": note["CreditNoteID"]}},
                    "1.00",
                    Date="2026-03-04",
                )
            ]
        },
    )
    allocation = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "1.00", date="2026-03-04")
    allocation_id = made.json()["Allocations"][0]["AllocationID"]
    removal = nz.http.delete(
        f"{nz.base}/api.xro/2.0/CreditNotes/{note['CreditNoteID']}/Allocations/{allocation_id}",
        headers=nz.headers(),
    )
    later = allocate(nz, note["CreditNoteID"], target["InvoiceID"], "1.00", date="2026-03-05")
    locked = "The document date cannot be before the period lock date, currently set at 04-Mar-2026"
    assert messages(refund) == [locked]
    assert messages(allocation) == [locked]
    assert removal.status_code == 400
    assert messages(removal) == [
        "The document cannot be edited as it is currently dated before the period lock date"
    ]
    assert later.status_code == 200
    assert decimal_json(nz.get(f"/Invoices/{target['InvoiceID']}"))["Invoices"][0][
        "AmountCredited"
    ] == D("6.00")
