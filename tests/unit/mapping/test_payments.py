"""Payments: a paid order pays its whole invoice into its gateway's account on the day it
was paid (the organisation's day); a refund paid back is a cash refund out of its credit
note; both are payloads Xero's spec accepts once the caller fills in the document's id."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from server.mapping.orders import CannotMapError, for_xero
from server.mapping.payments import GatewayAccounts, MappedPayment, order_payment, refund_payment
from tests.unit.mapping.helpers import nz_tenant, reference_of, spec_errors, undeclared

NZ = reference_of(nz_tenant())  # bank accounts 090 and 091, payments clearing 615
ACCOUNTS = GatewayAccounts({"stripe": "091", "bacs": "090"}, default="615")
INVOICE_ID = "2a1d3a7e-5f0e-4a57-8f5e-3b0f4c2f9e11"
CREDIT_NOTE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def order(**changes: Any) -> dict[str, Any]:
    """A paid order of 115.00 through Stripe, paid 31 March 2026 20:31 GMT."""
    return {
        "id": 501,
        "number": "1042",
        "total": "115.00",
        "payment_method": "stripe",
        "payment_method_title": "Credit card (Stripe)",
        "transaction_id": "ch_3N1",
        "date_paid_gmt": "2026-03-31T20:31:00",
    } | changes


REFUND = {"id": 605, "amount": "11.50", "date_created_gmt": "2026-04-10T12:00:00"}


def assert_xero_takes(payment: MappedPayment, document_id: str) -> dict[str, Any]:
    body = for_xero(payment.payload(document_id))
    assert spec_errors("/Payments", {"Payments": [body]}, {"summarizeErrors": "false"}) == []
    assert undeclared("Payment", body) == []
    return body


def test_a_paid_order_pays_its_whole_invoice_into_its_gateways_account():
    payment = order_payment(order(), NZ, ACCOUNTS)
    assert payment == MappedPayment(
        document="Invoice",
        amount=Decimal("115.00"),
        date=date(2026, 4, 1),  # 20:31 GMT is the next morning in Auckland
        account="091",
        reference="Credit card (Stripe) ch_3N1",
    )
    assert assert_xero_takes(payment, INVOICE_ID) == {
        "Invoice": {"InvoiceID": INVOICE_ID},
        "Account": {"Code": "091"},
        "Date": "2026-04-01",
        "Amount": Decimal("115.00"),
        "Reference": "Credit card (Stripe) ch_3N1",
    }


@pytest.mark.xero_spec
def test_the_spec_checks_catch_a_broken_payment():
    """The checks in `assert_xero_takes` can fail: a wrong type, a misspelt field."""
    body = for_xero(order_payment(order(), NZ, ACCOUNTS).payload(INVOICE_ID))
    errors = spec_errors("/Payments", {"Payments": [body | {"Amount": "lots"}]}, {})
    assert any("Amount" in e for e in errors), errors
    assert undeclared("Payment", body | {"Ammount": 1}) == ["Payment.Ammount"]


def test_an_unpaid_order_or_one_with_nothing_to_pay_makes_no_payment():
    assert order_payment(order(date_paid_gmt=None), NZ, ACCOUNTS) is None
    assert order_payment(order(total="0.00"), NZ, ACCOUNTS) is None


@pytest.mark.parametrize(
    ("changes", "account", "reference"),
    [
        ({"payment_method": "bacs", "payment_method_title": "Direct bank transfer",
          "transaction_id": ""}, "090", "Direct bank transfer"),
        ({"payment_method": "cod", "payment_method_title": ""}, "615", "cod ch_3N1"),
        ({"payment_method": "", "payment_method_title": "", "transaction_id": ""}, "615",
         "Order 1042"),
    ],
)  # fmt: skip
def test_the_account_and_reference_follow_the_gateway(
    changes: dict[str, str], account: str, reference: str
):
    payment = order_payment(order(**changes), NZ, ACCOUNTS)
    assert payment is not None
    assert (payment.account, payment.reference) == (account, reference)


def test_a_currency_rate_is_left_to_xero_unless_given():
    assert "CurrencyRate" not in order_payment(order(), NZ, ACCOUNTS).payload(INVOICE_ID)
    payment = order_payment(order(), NZ, ACCOUNTS, currency_rate=Decimal("0.6123"))
    assert assert_xero_takes(payment, INVOICE_ID)["CurrencyRate"] == Decimal("0.6123")


def test_a_refund_paid_back_is_a_cash_refund_out_of_its_credit_note():
    payment = refund_payment(REFUND, order(), NZ, ACCOUNTS)
    assert payment is not None
    assert (payment.document, payment.amount, payment.date) == (
        "CreditNote", Decimal("11.50"), date(2026, 4, 11),
    )  # fmt: skip
    assert (payment.account, payment.reference) == ("091", "Refund Credit card (Stripe) ch_3N1")
    body = assert_xero_takes(payment, CREDIT_NOTE_ID)
    assert body["CreditNote"] == {"CreditNoteID": CREDIT_NOTE_ID}
    assert "Invoice" not in body
    assert refund_payment(REFUND | {"amount": "0.00"}, order(), NZ, ACCOUNTS) is None


def test_the_payment_date_is_the_organisations_day():
    west = replace(NZ, timezone="America/Los_Angeles")
    assert order_payment(order(), west, ACCOUNTS).date == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: order_payment(order(), NZ, GatewayAccounts({})),
         "payment method 'stripe' has no Xero account and there is no default"),
        (lambda: order_payment(order(), NZ, GatewayAccounts({"stripe": "200"})),
         "account 200 cannot take payments in Xero"),
        (lambda: order_payment(order(total="much"), NZ, ACCOUNTS),
         "the order amount 'much' is not a number"),
        (lambda: order_payment(order(date_paid_gmt="soon"), NZ, ACCOUNTS),
         "the order date 'soon' is not a date"),
        (lambda: order_payment(order(), NZ, ACCOUNTS, currency_rate=Decimal(0)),
         "the currency rate 0 is not a positive number"),
        (lambda: refund_payment(REFUND | {"amount": "NaN"}, order(), NZ, ACCOUNTS),
         "the refund amount 'NaN' is not a number"),
        (lambda: refund_payment(REFUND | {"date_created_gmt": None}, order(), NZ, ACCOUNTS),
         "the refund date 'None' is not a date"),
    ],
)  # fmt: skip
def test_a_payment_that_cannot_be_made_is_held_with_the_reason(make: Any, reason: str):
    with pytest.raises(CannotMapError) as raised:
        make()
    assert reason in str(raised.value)
