"""Payments of foreign currency documents: Amount in the document's currency, BankAmount in the
bank account's, CurrencyRate in units of the foreign currency per NZD (the base currency)."""

from __future__ import annotations

from ..conftest import Xero, decimal_json, invoice
from .conftest import D, approved_invoice, control, credit_note, get_invoice, messages, payment


def _bank(nz: Xero, code: str, currency: str) -> None:
    body = {
        "Code": code,
        "Name": f"{currency} account",
        "Type": "BANK",
        "BankAccountNumber": code,
        "CurrencyCode": currency,
    }
    assert control(nz, "accounts", body).status_code == 200


def _pay(nz: Xero, target: dict, amount: str, account: str = "090", **fields) -> dict:
    response = nz.put("/Payments", {"Payments": [payment(target, amount, account, **fields)]})
    assert response.status_code == 200, response.text
    return decimal_json(response)["Payments"][0]


def test_a_usd_invoice_paid_from_nzd_and_usd_accounts(nz: Xero):
    control(nz, "currencies", {"Code": "USD", "Rate": D("0.60")})
    _bank(nz, "095", "USD")
    created = approved_invoice(nz, CurrencyCode="USD")  # USD 115.00
    target = {"Invoice": {"InvoiceID": created["InvoiceID"]}}
    own_rate = _pay(nz, target, "60.00", CurrencyRate=D("0.625"))
    day_rate = _pay(nz, target, "30.00")
    in_dollars = _pay(nz, target, "25.00", account="095")
    done = get_invoice(nz, created["InvoiceID"])
    assert created["CurrencyRate"] == D("0.60")
    # 60 / 0.625 = 96.00 NZD; 30 / 0.60 = 50.00 NZD; 25 USD from the USD account
    assert [(p["Amount"], p["BankAmount"], p["CurrencyRate"]) for p in (own_rate, day_rate)] == [
        (D("60.00"), D("96.00"), D("0.625")),
        (D("30.00"), D("50.00"), D("0.60")),
    ]
    assert (in_dollars["BankAmount"], in_dollars["CurrencyRate"]) == (D("25.00"), D("0.60"))
    assert (done["Status"], done["AmountPaid"], done["CurrencyCode"]) == ("PAID", D("115"), "USD")


def test_bank_amounts_are_rounded_to_the_cent(nz: Xero):
    created = approved_invoice(nz, CurrencyCode="USD", CurrencyRate=D("0.61"))
    paid = _pay(nz, {"Invoice": {"InvoiceID": created["InvoiceID"]}}, "10.00")
    assert (paid["CurrencyRate"], paid["BankAmount"]) == (D("0.61"), D("16.39"))  # 16.3934…


def test_without_an_organisation_rate_the_document_rate_is_used(nz: Xero):
    created = approved_invoice(nz, CurrencyCode="AUD", CurrencyRate=D("1.10"))
    paid = _pay(nz, {"Invoice": {"InvoiceID": created["InvoiceID"]}}, "55.00")
    assert (paid["CurrencyRate"], paid["BankAmount"]) == (D("1.10"), D("50.00"))


def test_a_base_currency_invoice_paid_from_a_usd_account(nz: Xero):
    _bank(nz, "095", "USD")
    created = approved_invoice(nz)  # NZD 115.00
    paid = _pay(
        nz,
        {"Invoice": {"InvoiceID": created["InvoiceID"]}},
        "115.00",
        "095",
        CurrencyRate=D("0.64"),
    )
    assert (paid["Amount"], paid["BankAmount"], paid["CurrencyRate"]) == (
        D("115.00"),
        D("73.60"),  # 115 * 0.64 USD
        D("0.64"),
    )
    assert get_invoice(nz, created["InvoiceID"])["Status"] == "PAID"


def test_a_rate_on_a_base_currency_payment_is_ignored(nz: Xero):
    created = approved_invoice(nz)
    paid = _pay(nz, {"Invoice": {"InvoiceID": created["InvoiceID"]}}, "10.00", CurrencyRate=D("2"))
    assert (paid["CurrencyRate"], paid["BankAmount"]) == (D("1"), D("10.00"))


def test_a_third_currency_account_cannot_pay(nz: Xero):
    control(nz, "currencies", {"Code": "EUR", "Rate": D("0.55")})
    _bank(nz, "097", "EUR")
    created = approved_invoice(nz, CurrencyCode="USD")
    body = {"Payments": [payment({"Invoice": {"InvoiceID": created["InvoiceID"]}}, "1.00", "097")]}
    refused = nz.put("/Payments", body)
    assert messages(refused) == [
        "A payment of a USD document must be made from a USD or NZD account."
    ]
    assert get_invoice(nz, created["InvoiceID"])["AmountPaid"] == D("0")


def test_a_usd_refund_paid_out_of_the_nzd_account(nz: Xero):
    control(nz, "currencies", {"Code": "USD", "Rate": D("0.60")})
    note = credit_note(nz, "Pia", "20.00", CurrencyCode="USD")  # USD 23.00
    refund = _pay(nz, {"CreditNote": {"CreditNoteID": note["CreditNoteID"]}}, "23.00")
    assert (refund["PaymentType"], refund["BankAmount"]) == ("ARCREDITPAYMENT", D("38.33"))
    assert refund["Invoice"]["CurrencyCode"] == "USD"


def test_a_document_keeps_its_rate_unless_its_currency_changes(nz: Xero):
    control(nz, "currencies", {"Code": "AUD", "Rate": D("1.10")})
    body = {"Invoices": [invoice(CurrencyCode="USD", CurrencyRate=D("0.58"))]}
    invoice_id = nz.put("/Invoices", body).json()["Invoices"][0]["InvoiceID"]
    path = f"/Invoices/{invoice_id}"
    same = nz.post(path, {"Invoices": [{"CurrencyCode": "USD", "Reference": "again"}]})
    moved = nz.post(path, {"Invoices": [{"CurrencyCode": "AUD"}]})
    assert decimal_json(same)["Invoices"][0]["CurrencyRate"] == D("0.58")
    assert decimal_json(moved)["Invoices"][0]["CurrencyRate"] == D("1.10")
