"""Xero payments for what WooCommerce says was paid and paid back. Pure: no I/O, no clock.

A paid order (WooCommerce's `date_paid_gmt`) pays its whole invoice, whose total is the
order's, into the account mapped for its payment gateway; a refund paid back out of its
credit note is a cash refund from that account. The Xero document's id exists only once it
is written, so `MappedPayment.payload` takes it. Lock dates are the caller's (`dates`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from server.mapping.arithmetic import round2
from server.mapping.dates import local_date
from server.mapping.lines import CannotMapError
from server.mapping.reference import Reference

MAX_REFERENCE = 255
ID_FIELDS = {"Invoice": "InvoiceID", "CreditNote": "CreditNoteID"}


@dataclass(frozen=True)
class MappedPayment:
    """One Xero payment: to an invoice, or out of a credit note (a cash refund)."""

    document: Literal["Invoice", "CreditNote"]
    amount: Decimal
    date: date
    account: str  # the Xero account code the money went into or came out of
    reference: str
    currency_rate: Decimal | None = None  # None: Xero's own rate of the day

    def payload(self, document_id: str) -> dict[str, Any]:
        """The Xero Payment for the invoice or credit note `document_id` (amounts as
        strings, like the documents' payloads: `for_xero` makes them numbers)."""
        payload: dict[str, Any] = {
            self.document: {ID_FIELDS[self.document]: document_id},
            "Account": {"Code": self.account},
            "Date": self.date.isoformat(),
            "Amount": str(self.amount),
            "Reference": self.reference,
        }
        if self.currency_rate is not None:
            payload["CurrencyRate"] = str(self.currency_rate)
        return payload


@dataclass(frozen=True)
class GatewayAccounts:
    """The Xero account each WooCommerce payment method's money goes into (method id →
    account code), and the one for methods not listed (None: such payments are held)."""

    by_method: Mapping[str, str]
    default: str | None = None

    def account_for(self, order: Mapping[str, Any], reference: Reference) -> str:
        method = str(order.get("payment_method") or "")
        code = self.by_method.get(method) or self.default
        if not code:
            raise CannotMapError(
                [f"payment method '{method}' has no Xero account and there is no default"]
            )
        if reference.accounts and code not in reference.payment_accounts:
            raise CannotMapError(
                [f"account {code} cannot take payments in Xero (a bank account, or one with "
                 "payments enabled)"]
            )  # fmt: skip
        return code


def order_payment(
    order: Mapping[str, Any],
    reference: Reference,
    accounts: GatewayAccounts,
    *,
    currency_rate: Decimal | None = None,
) -> MappedPayment | None:
    """The payment of the order's whole invoice on the day it was paid, or None while the
    order is unpaid or has nothing to pay."""
    if not order.get("date_paid_gmt"):
        return None
    return _payment(
        "Invoice", order.get("total"), order.get("date_paid_gmt"), order, reference, accounts,
        currency_rate,
    )  # fmt: skip


def refund_payment(
    refund: Mapping[str, Any],
    order: Mapping[str, Any],
    reference: Reference,
    accounts: GatewayAccounts,
    *,
    currency_rate: Decimal | None = None,
) -> MappedPayment | None:
    """The cash refund of the refund's credit note on the day it was made, from the
    order's gateway account, or None for a refund of nothing. Whether the money went back
    (rather than the credit being allocated to an unpaid invoice) is the caller's call."""
    return _payment(
        "CreditNote", refund.get("amount"), refund.get("date_created_gmt"), order, reference,
        accounts, currency_rate,
    )  # fmt: skip


def _payment(
    document: Literal["Invoice", "CreditNote"],
    amount: Any,
    moment: Any,
    order: Mapping[str, Any],
    reference: Reference,
    accounts: GatewayAccounts,
    currency_rate: Decimal | None,
) -> MappedPayment | None:
    what = "order" if document == "Invoice" else "refund"
    try:
        value = round2(Decimal(str(amount)))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise CannotMapError([f"the {what} amount '{amount}' is not a number"])
    if value <= 0:
        return None
    try:
        day = local_date(moment, reference.timezone)
    except ValueError:
        raise CannotMapError([f"the {what} date '{moment}' is not a date"]) from None
    if currency_rate is not None and not (currency_rate.is_finite() and currency_rate > 0):
        raise CannotMapError([f"the currency rate {currency_rate} is not a positive number"])
    return MappedPayment(
        document=document,
        amount=value,
        date=day,
        account=accounts.account_for(order, reference),
        reference=_reference(order, "Refund" if document == "CreditNote" else ""),
        currency_rate=currency_rate,
    )


def _reference(order: Mapping[str, Any], prefix: str) -> str:
    """The gateway's title (or id) and the transaction id as far as WooCommerce knows them,
    else the order's number."""
    gateway = str(order.get("payment_method_title") or order.get("payment_method") or "")
    words = [w.strip() for w in (gateway, str(order.get("transaction_id") or "")) if w.strip()]
    words = words or [f"Order {order.get('number') or order.get('id')}"]
    return " ".join([prefix, *words] if prefix else words)[:MAX_REFERENCE]
