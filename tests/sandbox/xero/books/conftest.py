"""Helpers for the tests of the sandbox's books: approved documents, payments, allocations, and
the control API that sets an organisation up as a bookkeeper would in Xero."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import requests

from ..conftest import Xero, decimal_json, encode, invoice, line

D = Decimal


def approved_invoice(nz: Xero, unit: str = "100.00", contact: str = "Payer", **fields: Any) -> dict:
    """An AUTHORISED ACCREC invoice of one line at 15% GST (NZ): ``unit`` * 1.15 in all."""
    body = invoice(contact=contact, Status="AUTHORISED", LineItems=[line("x", "1", unit)], **fields)
    response = nz.put("/Invoices", {"Invoices": [body]})
    assert response.status_code == 200, response.text
    return decimal_json(response)["Invoices"][0]


def credit_note(
    nz: Xero, contact: str, unit: str, status: str = "AUTHORISED", **fields: Any
) -> dict:
    """An ACCRECCREDIT credit note of one line at 15% GST (NZ), dated 2 March 2026."""
    body = {
        "Type": "ACCRECCREDIT",
        "Contact": {"Name": contact},
        "Date": "2026-03-02",
        "Status": status,
        "LineItems": [line("Refund", "1", unit)],
        **fields,
    }
    response = nz.put("/CreditNotes", {"CreditNotes": [body]})
    assert response.status_code == 200, response.text
    return decimal_json(response)["CreditNotes"][0]


def payment(target: dict[str, Any], amount: str, account: str = "090", **fields: Any) -> dict:
    """A payment element for ``target`` (``{"Invoice": …}`` or ``{"CreditNote": …}``)."""
    return {
        **target,
        "Account": {"Code": account},
        "Date": "2026-03-05",
        "Amount": D(amount),
        **fields,
    }


def pay(nz: Xero, invoice_id: str, amount: str, account: str = "090", **params: str):
    """``PUT /Payments`` of one payment on an invoice, dated 5 March 2026."""
    body = {"Payments": [payment({"Invoice": {"InvoiceID": invoice_id}}, amount, account)]}
    return nz.put("/Payments", body, **params)


def allocate(nz: Xero, note_id: str, invoice_id: str, amount: str, date: str = "2026-03-03"):
    """``PUT /CreditNotes/{id}/Allocations`` of one allocation."""
    body = {
        "Allocations": [{"Invoice": {"InvoiceID": invoice_id}, "Amount": D(amount), "Date": date}]
    }
    return nz.put(f"/CreditNotes/{note_id}/Allocations", body)


def get_invoice(nz: Xero, invoice_id: str) -> dict:
    """An invoice read by id."""
    return decimal_json(nz.get(f"/Invoices/{invoice_id}"))["Invoices"][0]


def get_credit_note(nz: Xero, note_id: str) -> dict:
    """A credit note read by id."""
    return decimal_json(nz.get(f"/CreditNotes/{note_id}"))["CreditNotes"][0]


def messages(response: requests.Response) -> list[str]:
    """The validation messages of the first element of a refused write (400 or, with
    ``summarizeErrors=false``, 200)."""
    body = response.json()
    elements = body.get("Elements") or next(v for v in body.values() if isinstance(v, list))
    return [m["Message"] for m in elements[0]["ValidationErrors"]]


def control(nz: Xero, path: str, body: Any) -> requests.Response:
    """``POST /_sandbox/organisations/<tenant>/<path>`` with exact numbers."""
    return nz.http.post(
        f"{nz.base}/_sandbox/organisations/{nz.tenant_id}/{path}",
        data=encode(body).encode(),
        headers={"Content-Type": "application/json"},
    )
