"""``/_sandbox/organisations/<tenant>/…``: what a bookkeeper does in Xero's own screens.

Tests and demos set an organisation up here as a person would in Xero (currencies and their
rates, tax rates, accounts, lock dates) and record what happens in Xero rather than through
the API (an invoice paid and reconciled with a bank line), so that a sync's pull has
something to find. No token is needed and nothing counts against the API's limits; every
change obeys the same rules and gives the same messages as in the Accounting API (the
spec's ``CurrencyCode`` list when the spec is at hand), stamps ``UpdatedDateUTC`` and sends
the webhooks Xero would. A refused change answers 400 with Xero's ``ValidationErrors``.
Numbers in the body are read exactly (as the API reads them), never through floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from .api import references
from .api.context import Context, ElementErrors
from .api.resources import currencies, documents, locks, payments, settings
from .api.responses import json_response
from .formats import loads
from .state import sandbox
from .store import Row

blueprint = Blueprint(
    "xero_sandbox_organisations", __name__, url_prefix="/_sandbox/organisations/<tenant_id>"
)
Change = Callable[[Context, dict[str, Any]], tuple[str, Row] | None]
"""(context, JSON body) → (collection, row) answered as ``{collection: [row]}``; None: 404."""


def _apply(tenant_id: str, change: Change) -> Response:
    try:
        body = loads(request.get_data() or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return json_response({"error": "send a JSON object"}, 400)
    box = sandbox()
    with box.ledger.lock:
        tenant = box.ledger.get(tenant_id.lower())
        if tenant is None:
            return json_response({"error": "unknown tenant"}, 404)
        ctx = box.context(tenant, request.host_url.rstrip("/") + "/api.xro/2.0")
        try:
            result = change(ctx, body)
        except ElementErrors as failure:
            return json_response(
                {
                    "error": " ".join(failure.messages),
                    "ValidationErrors": [{"Message": m} for m in failure.messages],
                },
                400,
            )
        if result is None:
            return json_response({"error": "not found"}, 404)
        collection, row = result
        return json_response({collection: [row]})


@blueprint.post("/currencies")
def add_currency(tenant_id: str) -> Response:
    """Add a currency, or set its rate: ``{"Code": "EUR", "Rate": 0.55, "Description": …}``
    (``Rate``: units of it for one unit of the base currency, Xero's ``CurrencyRate``)."""
    known = sandbox().spec.enum("CurrencyCode")
    return _apply(
        tenant_id, lambda ctx, raw: ("Currencies", currencies.add(ctx.tenant, raw, known))
    )


@blueprint.post("/tax-rates")
def add_tax_rate(tenant_id: str) -> Response:
    """Add a tax rate: a ``TaxRate`` as ``PUT /TaxRates`` takes it (Name, TaxComponents…)."""
    return _apply(tenant_id, lambda ctx, raw: ("TaxRates", settings.create_tax_rate(ctx, raw)))


@blueprint.post("/accounts")
def add_account(tenant_id: str) -> Response:
    """Add an account: an ``Account`` as ``PUT /Accounts`` takes it (a BANK account with its
    BankAccountNumber and CurrencyCode, or any account with ``EnablePaymentsToAccount``)."""
    return _apply(tenant_id, lambda ctx, raw: ("Accounts", settings.create_account(ctx, raw)))


@blueprint.post("/accounts/<code>")
def change_account(tenant_id: str, code: str) -> Response:
    """Change an account found by its code, e.g. ``{"EnablePaymentsToAccount": true}``."""

    def change(ctx: Context, raw: dict[str, Any]) -> tuple[str, Row] | None:
        account = references.account_by_code(ctx.tenant, code)
        return ("Accounts", settings.update_account(ctx, account, raw)) if account else None

    return _apply(tenant_id, change)


@blueprint.post("/lock-dates")
def set_lock_dates(tenant_id: str) -> Response:
    """``{"PeriodLockDate": "2026-03-31", "EndOfYearLockDate": null}``: a date sets it, null or
    "" clears it, an absent key leaves it."""
    return _apply(tenant_id, lambda ctx, raw: ("LockDates", locks.set_dates(ctx.tenant, raw)))


@blueprint.post("/invoices/<key>/paid")
def mark_paid(tenant_id: str, key: str) -> Response:
    """Pay an invoice (by id or number) in Xero and reconcile the payment with a bank line:
    ``{"Account": {"Code": "090"}, "Date": "2026-03-05"}``, with ``Amount`` (default: all that
    is due), ``Reference`` and ``CurrencyRate`` optional. Answers the payment as the API
    would show it."""

    def change(ctx: Context, raw: dict[str, Any]) -> tuple[str, Row] | None:
        invoice = documents.find(ctx, documents.INVOICE, key)
        if invoice is None:
            return None
        return ("Payments", payments.render(ctx, payments.reconcile(ctx, invoice, raw)))

    return _apply(tenant_id, change)
