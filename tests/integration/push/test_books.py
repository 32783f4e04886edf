"""The books over both sandboxes: a paid order's invoice gets one payment, each refund one
credit note of its amount, paid back to the bank for a paid order and allocated to the
invoice of an unpaid one; lost answers make nothing twice; a locked period moves the date."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.mapping.dates import local_date, xero_date
from server.models import Binding, BindingKind, OutboxEntry, OutboxStatus, Store
from server.push import books
from server.push import flush as engine
from server.stores.settings import rules
from server.stores.settings import storage as settings_store
from tests.integration.push.test_flush import (
    _backfill_and_flush,
    _currencies,
    _documents,
    _orders,
    _xero_calls,
)
from tests.support.stores import BANK_ACCOUNT
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.woocommerce import sandbox_json
from tests.support.xero import drop_answers, objects, tenants

NZ = "Demo Company (NZ)"
NZ_TIMEZONE = "Pacific/Auckland"


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _xero_date(value: str) -> date:
    return date.fromisoformat(value[:10])


def _live(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row.get("Status") not in ("DELETED", "VOIDED")]


def _books(sandbox: Any, tenant_id: str) -> tuple[dict[str, dict], list[dict], list[dict]]:
    """Invoices by number, credit notes and payments, as Xero holds them."""
    invoices = {
        number: found[0]
        for number, found in _documents(sandbox, tenant_id).items()
        if number.startswith("WC-")
    }
    notes = _live(objects(sandbox, tenant_id, "CreditNotes"))
    payments = [p for p in objects(sandbox, tenant_id, "Payments") if p["Status"] != "DELETED"]
    return invoices, notes, payments


def _refund_amounts(store: Store, order: dict[str, Any]) -> list[Decimal]:
    """The order's refunds, oldest first, as the store reports them."""
    refunds = woo_access.client_for(store).refunds(order["id"])
    return [_money(r["amount"]) for r in sorted(refunds, key=lambda r: r["id"])]


def _check_books(store: Store, sandbox: Any, tenant_id: str) -> int:
    """Every invoiced order's books as the store says they should be; the refunds checked."""
    invoices, notes, payments = _books(sandbox, tenant_id)
    notes_by_number = {note["CreditNoteNumber"]: note for note in notes}
    assert len(notes_by_number) == len(notes), "one credit note per number"
    paid_invoices = Counter(
        p["Invoice"]["InvoiceNumber"] for p in payments if p["PaymentType"] == "ACCRECPAYMENT"
    )
    refunds_seen = 0
    currencies = _currencies(sandbox)
    for order in _orders(store):
        number = f"WC-{order['number']}"
        if number not in invoices or order["currency"] not in currencies:
            continue
        invoice = invoices[number]
        total = _money(order["total"])
        amounts = _refund_amounts(store, order)
        for position, amount in enumerate(amounts, start=1):
            note = notes_by_number[f"{number}-R{position}"]
            assert _money(note["Total"]) == amount, note["CreditNoteNumber"]
            assert _money(note["RemainingCredit"]) == 0, "settled: paid back or allocated"
            refunds_seen += 1
        assert f"{number}-R{len(amounts) + 1}" not in notes_by_number
        if order.get("date_paid_gmt"):
            assert paid_invoices[number] == 1, number
            (payment,) = [p for p in payments if p.get("Invoice", {}).get("InvoiceNumber") == number
                          and p["PaymentType"] == "ACCRECPAYMENT"]  # fmt: skip
            assert _money(payment["Amount"]) == total
            assert payment["Account"]["Code"] == BANK_ACCOUNT
            paid_day = local_date(order["date_paid_gmt"], NZ_TIMEZONE)
            assert xero_date(payment["Date"]) == paid_day
            owed = Decimal(0)
        else:
            assert paid_invoices[number] == 0, number
            owed = total - sum(amounts, Decimal(0))
        assert _money(invoice["AmountDue"]) == owed, number
    refund_payments = [p for p in payments if p["PaymentType"] == "ARCREDITPAYMENT"]
    assert all(p["Account"]["Code"] == BANK_ACCOUNT for p in refund_payments)
    db.session.rollback()
    bound = {kind: sorted(ids) for kind in (BindingKind.PAYMENT, BindingKind.CREDIT_NOTE)
             if (ids := db.session.scalars(sa.select(Binding.xero_id).where(Binding.kind == kind))
                 .all()) is not None}  # fmt: skip
    assert bound[BindingKind.PAYMENT] == sorted(p["PaymentID"] for p in payments)
    assert bound[BindingKind.CREDIT_NOTE] == sorted(n["CreditNoteID"] for n in notes)
    return refunds_seen


def test_a_backfill_books_every_payment_and_refund(synced_store: Store, sandbox: Any) -> None:
    tenant_id = tenants(sandbox)[NZ]
    _backfill_and_flush(synced_store)
    assert _check_books(synced_store, sandbox, tenant_id) >= 3
    stuck = db.session.scalars(
        sa.select(OutboxEntry).where(OutboxEntry.status.in_((OutboxStatus.BOOKS,
                                                              OutboxStatus.HELD)))
    ).all()  # fmt: skip
    assert stuck == []

    before = _xero_calls(sandbox, tenant_id)
    _backfill_and_flush(synced_store)
    assert _xero_calls(sandbox, tenant_id) == before, "booked once: nothing to send again"


@pytest.mark.parametrize("per_lookup", [None, 1], ids=["as configured", "one per lookup"])
def test_lost_answers_book_each_payment_and_credit_note_once(
    synced_store: Store, sandbox: Any, monkeypatch: pytest.MonkeyPatch, per_lookup: int | None
) -> None:
    """Marks left by lost answers are read back from Xero; over several lookups (one mark
    each), what each found is kept before the next call (none is made with writes pending)."""
    if per_lookup is not None:
        monkeypatch.setattr(books, "INVOICES_PER_LOOKUP", per_lookup)
        monkeypatch.setattr(books, "LOOKUPS_PER_CALL", per_lookup)
    tenant_id = tenants(sandbox)[NZ]
    drop_answers(sandbox, {"/Payments": 3, "/CreditNotes": 3})
    _backfill_and_flush(synced_store)
    for _ in range(4):  # the sweeper's later flushes
        engine.flush(synced_store.id)
    assert _check_books(synced_store, sandbox, tenant_id) >= 3


def test_the_payments_mapping_is_offered_the_stores_gateways(synced_store: Store) -> None:
    offered = rules.payment_options(rules.cached_references(synced_store.id))
    gateways = woo_access.client_for(synced_store).payment_gateways()
    assert [g["id"] for g in offered["gateways"]] == [g["id"] for g in gateways]
    assert BANK_ACCOUNT in {a["code"] for a in offered["accounts"]}
    assert "200" not in {a["code"] for a in offered["accounts"]}, "sales takes no payments"


def test_two_partial_refunds_on_a_paid_order(synced_store: Store, sandbox: Any, shop: Any) -> None:
    tenant_id = tenants(sandbox)[NZ]
    order = sandbox_json(shop, "orders", "POST", payment_method="stripe", currency="NZD")
    assert order["date_paid_gmt"], "a card payment is complete at checkout"
    _backfill_and_flush(synced_store)
    for amount in ("3.00", "4.50"):
        sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount=amount)
        _backfill_and_flush(synced_store)  # as the periodic check reads it again
    invoices, notes, _ = _books(sandbox, tenant_id)
    number = f"WC-{order['number']}"
    mine = sorted((n for n in notes if n["CreditNoteNumber"].startswith(f"{number}-R")),
                  key=lambda n: n["CreditNoteNumber"])  # fmt: skip
    assert [_money(n["Total"]) for n in mine] == [Decimal("3.00"), Decimal("4.50")]
    assert all(n["Status"] == "PAID" for n in mine), "each paid back out to the bank"
    assert _money(invoices[number]["AmountDue"]) == 0
    _check_books(synced_store, sandbox, tenant_id)


@pytest.mark.parametrize("read_since", [True, False], ids=["lock-read", "lock-unknown"])
def test_a_refund_in_a_locked_period_is_dated_the_first_open_day(
    synced_store: Store, sandbox: Any, shop: Any, read_since: bool
) -> None:
    """Whether wooxero read the organisation since the period was locked or not (then Xero
    refuses the date, and the organisation is read again)."""
    tenant_id = tenants(sandbox)[NZ]
    order = sandbox_json(shop, "orders", "POST", payment_method="stripe", currency="NZD")
    _backfill_and_flush(synced_store)
    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount="2.00")
    (refund,) = woo_access.client_for(synced_store).refunds(order["id"])
    refund_day = local_date(refund["date_created_gmt"], NZ_TIMEZONE)
    lock = refund_day  # locked up to and including the refund's day
    requests.post(
        f"{sandbox.base_url}/_sandbox/organisations/{tenant_id}/lock-dates",
        json={"PeriodLockDate": lock.isoformat()}, timeout=HTTP_TIMEOUT,
    ).raise_for_status()  # fmt: skip
    if read_since:
        engine.refresh_reference(synced_store.id)
        db.session.commit()
    _backfill_and_flush(synced_store)
    _, notes, _ = _books(sandbox, tenant_id)
    (note,) = [n for n in notes if n["CreditNoteNumber"] == f"WC-{order['number']}-R1"]
    assert _xero_date(note["DateString"]) > lock
    assert str(refund_day) in note["Reference"]


def test_a_payment_xero_refuses_fails_its_order_with_xeros_words(
    synced_store: Store, sandbox: Any, shop: Any
) -> None:
    """Paid by hand in Xero between wooxero's writes: its own payment is refused."""
    tenant_id = tenants(sandbox)[NZ]
    order = sandbox_json(shop, "orders", "POST", payment_method="bacs", currency="NZD")
    assert not order["date_paid_gmt"], "a bank transfer waits on-hold, unpaid"
    by_status = {**settings_store.load(synced_store.id).documents.by_status, "on-hold": "invoice"}
    _change_settings(synced_store, "documents", by_status=by_status)
    _backfill_and_flush(synced_store)
    number = f"WC-{order['number']}"
    requests.post(
        f"{sandbox.base_url}/_sandbox/organisations/{tenant_id}/invoices/{number}/paid",
        json={"Account": {"Code": BANK_ACCOUNT}}, timeout=HTTP_TIMEOUT,
    ).raise_for_status()  # fmt: skip
    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="status", status="processing")

    _backfill_and_flush(synced_store)

    entry = db.session.scalar(
        sa.select(OutboxEntry).where(OutboxEntry.woo_order_id == str(order["id"]))
    )
    assert entry.status is OutboxStatus.FAILED
    assert "exceeds the amount outstanding" in entry.error
    payments = [p for p in objects(sandbox, tenant_id, "Payments")
                if p.get("Invoice", {}).get("InvoiceNumber") == number]  # fmt: skip
    assert len(payments) == 1, "only the one made by hand"
    assert db.session.scalar(
        sa.select(Binding).where(Binding.kind == BindingKind.PAYMENT,
                                 Binding.woo_id == str(order["id"]))
    ) is None  # fmt: skip


def _change_settings(store: Store, section: str, **values: Any) -> None:
    settings = settings_store.load(store.id)
    part = getattr(settings, section).model_copy(update=values)
    settings_store.save(store.id, settings.model_copy(update={section: part}))
    db.session.commit()


def test_orders_first_seen_refunded_book_nothing_when_the_settings_say_so(
    synced_store: Store, sandbox: Any
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    _change_settings(synced_store, "refunds", first_seen_refunded="skip")
    _backfill_and_flush(synced_store)
    refunded = [o for o in _orders(synced_store) if o["status"] == "refunded"]
    assert refunded, "the seeded store has refunded orders"
    invoices, notes, _ = _books(sandbox, tenant_id)
    assert not {f"WC-{o['number']}" for o in refunded} & set(invoices)
    assert not [n for n in notes if any(n["CreditNoteNumber"].startswith(f"WC-{o['number']}-")
                                        for o in refunded)]  # fmt: skip


def test_a_paid_orders_draft_invoice_waits_for_approval_when_wooxero_may_not_approve(
    synced_store: Store, sandbox: Any, shop: Any
) -> None:
    _change_settings(synced_store, "documents", invoice_status="DRAFT")
    _change_settings(synced_store, "payments", approve_drafts=False)
    order = sandbox_json(shop, "orders", "POST", payment_method="stripe", currency="NZD")
    _backfill_and_flush(synced_store)
    entry = db.session.scalar(
        sa.select(OutboxEntry).where(OutboxEntry.woo_order_id == str(order["id"]))
    )
    assert entry.status is OutboxStatus.HELD
    assert "is a draft in Xero" in entry.error and "approve_drafts" in entry.error
    invoices, _, payments = _books(sandbox, tenants(sandbox)[NZ])
    number = f"WC-{order['number']}"
    assert invoices[number]["Status"] == "DRAFT"
    assert not [p for p in payments if p.get("Invoice", {}).get("InvoiceNumber") == number]


def test_a_paid_order_cancelled_is_reversed_by_a_credit_note_not_voided(
    synced_store: Store, sandbox: Any, shop: Any
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    order = sandbox_json(shop, "orders", "POST", payment_method="stripe", currency="NZD")
    _backfill_and_flush(synced_store)
    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount="2.00")
    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="status", status="cancelled")
    _backfill_and_flush(synced_store)

    invoices, notes, _ = _books(sandbox, tenant_id)
    number = f"WC-{order['number']}"
    assert invoices[number]["Status"] == "PAID", "a paid invoice is never voided"
    mine = {n["CreditNoteNumber"]: n for n in notes if n["CreditNoteNumber"].startswith(number)}
    assert set(mine) == {f"{number}-R1", f"{number}-RC"}
    reversal = mine[f"{number}-RC"]
    assert _money(reversal["Total"]) == _money(order["total"]) - Decimal("2.00")
    assert reversal["Status"] == "AUTHORISED", "the customer's credit until it is paid back"
    assert _money(reversal["RemainingCredit"]) == _money(reversal["Total"])
    entry = db.session.scalar(
        sa.select(OutboxEntry).where(OutboxEntry.woo_order_id == str(order["id"]))
    )
    assert entry.status is OutboxStatus.DONE, entry.error

    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount="1.00")
    _backfill_and_flush(synced_store)
    db.session.refresh(entry)
    assert entry.status is OutboxStatus.HELD
    assert f"{number}-RC" in entry.error and "pay it out of that credit note" in entry.error
    _, notes, _ = _books(sandbox, tenant_id)
    assert len([n for n in notes if n["CreditNoteNumber"].startswith(number)]) == 2


def test_a_gbp_order_is_booked_in_gbp_once_the_bookkeeper_adds_the_currency(
    synced_store: Store, sandbox: Any, shop: Any
) -> None:
    """Set up as a bookkeeper would in Xero (Settings > Currencies): 0.48 GBP to the NZD."""
    tenant_id = tenants(sandbox)[NZ]
    requests.post(
        f"{sandbox.base_url}/_sandbox/organisations/{tenant_id}/currencies",
        json={"Code": "GBP", "Rate": "0.48"}, timeout=HTTP_TIMEOUT,
    ).raise_for_status()  # fmt: skip
    order = sandbox_json(shop, "orders", "POST", payment_method="stripe", currency="GBP")
    sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount="5.00")
    _backfill_and_flush(synced_store)

    invoices, notes, payments = _books(sandbox, tenant_id)
    number = f"WC-{order['number']}"
    invoice = invoices[number]
    assert invoice["CurrencyCode"] == "GBP" and _money(invoice["Total"]) == _money(order["total"])
    (paid,) = [p for p in payments if p.get("Invoice", {}).get("InvoiceNumber") == number]
    assert _money(paid["Amount"]) == _money(order["total"])
    (note,) = [n for n in notes if n["CreditNoteNumber"] == f"{number}-R1"]
    assert note["CurrencyCode"] == "GBP" and _money(note["Total"]) == Decimal("5.00")
    assert note["Status"] == "PAID", "paid back out to the bank"
    assert _money(invoice["AmountDue"]) == 0


@settings(
    max_examples=8, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(
    paid=st.booleans(),
    inclusive=st.booleans(),
    currency=st.sampled_from(["NZD", "USD"]),
    unit_refund=st.booleans(),
    amounts=st.lists(st.sampled_from(["0.01", "1.00", "2.50", "7.35"]), max_size=3),
)
def test_generated_orders_and_refunds_book_to_the_cent(
    synced_store: Store, sandbox: Any, shop: Any, paid: bool, inclusive: bool, currency: str,
    unit_refund: bool, amounts: list[str],
) -> None:  # fmt: skip
    """Orders paid by card or cash on delivery (unpaid), prices with tax or without, in the
    base or a foreign currency, refunded a unit of a line and amounts: through the sandbox
    Xero's own books every credit note is its refund's amount, every invoice owes what the
    store says is owed, and every payment and credit note exists once."""
    # The woocommerce package draws OAuth nonces from the global `random`, which Hypothesis
    # seeds alike for every example: the store would refuse the second example's nonces.
    random.seed()
    order = sandbox_json(
        shop, "orders", "POST", payment_method="stripe" if paid else "cod", currency=currency,
        prices_include_tax=inclusive,
    )  # fmt: skip
    if unit_refund:  # one unit of its first line, with its taxes
        sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", via="admin")
    for amount in amounts:
        sandbox_json(shop, f"orders/{order['id']}", "POST", kind="refund", amount=amount)
    _backfill_and_flush(synced_store)
    _check_books(synced_store, sandbox, tenants(sandbox)[NZ])
