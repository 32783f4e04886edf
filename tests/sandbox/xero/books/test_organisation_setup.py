"""The control API: an organisation set up as a bookkeeper would in Xero, and an invoice paid
in Xero for a pull to find."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from ..conftest import Xero, decimal_json, invoice, line
from .conftest import D, approved_invoice, control, get_invoice, messages, pay

MARCH_6 = "/Date(1772755200000+0000)/"  # 2026-03-06T00:00:00Z


def _errors(response) -> list[str]:
    assert response.status_code == 400, response.text
    return [m["Message"] for m in response.json()["ValidationErrors"]]


def test_currencies_are_listed_and_a_new_one_gets_its_rate(nz: Xero):
    before = nz.get("/Currencies").json()["Currencies"]
    added = control(nz, "currencies", {"Code": "EUR", "Rate": D("0.55")})
    after = nz.get("/Currencies", where='Code=="EUR"').json()["Currencies"]
    default_rate = nz.put("/Invoices", {"Invoices": [invoice(CurrencyCode="EUR")]})
    own_rate = nz.put(
        "/Invoices", {"Invoices": [invoice(CurrencyCode="EUR", CurrencyRate=D("0.5"))]}
    )
    tenants = nz.sandbox("GET", "tenants").json()
    assert before == [
        {"Code": "NZD", "Description": "New Zealand Dollar"},
        {"Code": "USD", "Description": "United States Dollar"},
        {"Code": "AUD", "Description": "Australian Dollar"},
    ]
    assert decimal_json(added)["Currencies"] == [
        {"Code": "EUR", "Description": "Euro", "Rate": D("0.55")}
    ]
    assert after == [{"Code": "EUR", "Description": "Euro"}]
    assert decimal_json(default_rate)["Invoices"][0]["CurrencyRate"] == D("0.55")
    assert decimal_json(own_rate)["Invoices"][0]["CurrencyRate"] == D("0.5")
    assert "EUR" in next(t for t in tenants if t["tenantId"] == nz.tenant_id)["currencies"]


def test_a_currency_rate_can_be_changed_and_bad_ones_are_refused(nz: Xero):
    control(nz, "currencies", {"Code": "USD", "Rate": D("0.61")})
    usd = nz.put("/Invoices", {"Invoices": [invoice(CurrencyCode="USD")]})
    assert decimal_json(usd)["Invoices"][0]["CurrencyRate"] == D("0.61")
    assert _errors(control(nz, "currencies", {"Code": "EURO"})) == [
        "'EURO' is not a currency code Xero knows."
    ]
    assert _errors(control(nz, "currencies", {"Code": "NZD", "Rate": D("2")})) == [
        "The base currency has no exchange rate."
    ]
    assert _errors(control(nz, "currencies", {"Code": "GBP", "Rate": D("0")})) == [
        "The CurrencyRate must be a positive number."
    ]
    assert "GBP" not in {c["Code"] for c in nz.get("/Currencies").json()["Currencies"]}


@pytest.mark.xero_spec
def test_only_currencies_of_the_specs_list_can_be_added(nz: Xero):
    assert _errors(control(nz, "currencies", {"Code": "ABC"})) == [
        "'ABC' is not a currency code Xero knows."
    ]


def test_a_tax_rate_and_an_account_that_uses_it(nz: Xero):
    rate = control(
        nz, "tax-rates", {"Name": "Reduced 9%", "TaxComponents": [{"Name": "GST", "Rate": 9}]}
    )
    account = control(
        nz,
        "accounts",
        {"Code": "205", "Name": "Shop Sales", "Type": "REVENUE", "TaxType": "TAX001"},
    )
    sale = nz.put(
        "/Invoices",
        {"Invoices": [invoice(LineItems=[line("Tea", "1", "100.00", AccountCode="205")])]},
    )
    assert rate.json()["TaxRates"][0]["TaxType"] == "TAX001"
    assert account.json()["Accounts"][0]["Class"] == "REVENUE"
    created = decimal_json(sale)["Invoices"][0]
    assert (created["LineItems"][0]["TaxType"], created["TotalTax"], created["Total"]) == (
        "TAX001",
        D("9.00"),
        D("109.00"),
    )
    assert _errors(
        control(nz, "accounts", {"Code": "205", "Name": "Again", "Type": "REVENUE"})
    ) == ["Please enter a unique Code."]


def test_bank_accounts_and_accounts_that_take_payments(nz: Xero):
    usd_bank = control(
        nz,
        "accounts",
        {
            "Code": "095",
            "Name": "Stripe USD",
            "Type": "BANK",
            "BankAccountNumber": "12-3456-7890123-00",
            "CurrencyCode": "USD",
        },
    )
    gbp_bank = control(
        nz,
        "accounts",
        {
            "Code": "096",
            "Name": "GBP",
            "Type": "BANK",
            "BankAccountNumber": "1",
            "CurrencyCode": "GBP",
        },
    )
    created = approved_invoice(nz)
    refused = pay(nz, created["InvoiceID"], "1.00", account="200", summarizeErrors="false")
    enabled = control(nz, "accounts/200", {"EnablePaymentsToAccount": True})
    accepted = pay(nz, created["InvoiceID"], "1.00", account="200")
    banks = nz.get("/Accounts", where='Type=="BANK"').json()["Accounts"]
    assert usd_bank.json()["Accounts"][0]["CurrencyCode"] == "USD"
    assert _errors(gbp_bank) == ["Organisation is not subscribed to currency GBP"]
    assert [(a["Code"], a["CurrencyCode"]) for a in banks] == [
        ("090", "NZD"),
        ("091", "NZD"),
        ("095", "USD"),
    ]
    assert messages(refused) == ["Account type is invalid for making a payment to/from."]
    assert enabled.json()["Accounts"][0]["EnablePaymentsToAccount"] is True
    assert accepted.status_code == 200
    assert control(nz, "accounts/999", {"Name": "Nothing"}).status_code == 404


def test_an_invoice_paid_in_xero_is_there_for_a_pull(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    cutoff = int(created["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")]) + 1
    while datetime.now(UTC).timestamp() * 1000 <= cutoff:  # the payment comes after the cutoff
        time.sleep(0.001)
    paid = control(
        nz,
        f"invoices/{created['InvoiceNumber']}/paid",
        {"Account": {"Code": "090"}, "Date": "2026-03-06", "Reference": "Bank line 42"},
    )
    since = datetime.fromtimestamp(cutoff / 1000, UTC).isoformat(timespec="milliseconds")
    changed = decimal_json(nz.get("/Invoices", headers={"If-Modified-Since": since}))["Invoices"]
    reconciled = nz.get("/Payments", where="IsReconciled==true").json()["Payments"]
    assert paid.status_code == 200
    payment_row = decimal_json(paid)["Payments"][0]
    assert (payment_row["Amount"], payment_row["IsReconciled"], payment_row["Reference"]) == (
        D("115.00"),
        True,
        "Bank line 42",
    )
    assert [(i["InvoiceID"], i["Status"], i["AmountDue"]) for i in changed] == [
        (created["InvoiceID"], "PAID", D("0.00"))
    ]
    assert get_invoice(nz, created["InvoiceID"])["FullyPaidOnDate"] == MARCH_6
    assert [p["PaymentID"] for p in reconciled] == [payment_row["PaymentID"]]


def test_paying_in_xero_follows_xeros_rules(nz: Xero):
    created = approved_invoice(nz)  # 115.00
    part = control(
        nz,
        f"invoices/{created['InvoiceID']}/paid",
        {"Account": {"Code": "090"}, "Amount": D("15.00")},
    )
    draft = decimal_json(nz.put("/Invoices", {"Invoices": [invoice()]}))["Invoices"][0]
    on_draft = control(nz, f"invoices/{draft['InvoiceID']}/paid", {"Account": {"Code": "090"}})
    missing = control(nz, "invoices/INV-9999/paid", {"Account": {"Code": "090"}})
    unknown_tenant = nz.http.post(
        f"{nz.base}/_sandbox/organisations/00000000-0000-0000-0000-000000000000/lock-dates",
        json={},
    )
    not_json = nz.http.post(
        f"{nz.base}/_sandbox/organisations/{nz.tenant_id}/lock-dates", data=b"[1]"
    )
    assert part.status_code == 200
    assert get_invoice(nz, created["InvoiceID"])["AmountDue"] == D("100.00")
    assert _errors(on_draft) == [
        "Payments can only be made against Authorised documents",
        "Payment amount exceeds the amount outstanding on this document",
    ]
    assert (missing.status_code, unknown_tenant.status_code, not_json.status_code) == (
        404,
        404,
        400,
    )
