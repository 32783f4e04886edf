"""Foreign currency documents: their CurrencyRate, in units of the foreign currency per NZD."""

from __future__ import annotations

from ..conftest import Xero, decimal_json, invoice
from .conftest import D, control


def test_a_document_keeps_its_rate_unless_its_currency_changes(nz: Xero):
    control(nz, "currencies", {"Code": "AUD", "Rate": D("1.10")})
    body = {"Invoices": [invoice(CurrencyCode="USD", CurrencyRate=D("0.58"))]}
    invoice_id = nz.put("/Invoices", body).json()["Invoices"][0]["InvoiceID"]
    path = f"/Invoices/{invoice_id}"
    same = nz.post(path, {"Invoices": [{"CurrencyCode": "USD", "Reference": "again"}]})
    moved = nz.post(path, {"Invoices": [{"CurrencyCode": "AUD"}]})
    assert decimal_json(same)["Invoices"][0]["CurrencyRate"] == D("0.58")
    assert decimal_json(moved)["Invoices"][0]["CurrencyRate"] == D("1.10")
