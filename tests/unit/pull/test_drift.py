"""The drift comparison: books as wooxero keeps them show no drift, whatever the order;
each kind of change made in Xero shows as one difference, with the fix and whether a
replay makes it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.pull.drift import (
    DriftKind,
    StoreSide,
    XeroCreditNote,
    XeroInvoice,
    compare,
    money,
    store_side,
)

CENTS = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


def _side(order: dict[str, Any], refunds: list[dict[str, Any]], **options: Any) -> StoreSide:
    bound = {str(r["id"]): (f"cn-{r['id']}", "") for r in refunds}
    settings = {"credit_note_template": "WC-{number}-R{n}", "payments": True,
                "credit_notes": True, "void_when_cancelled": True} | options  # fmt: skip
    return store_side(order, refunds, f"WC-{order['number']}", bound, **settings)


def _in_sync(side: StoreSide, draft: bool = False) -> tuple[XeroInvoice, dict[str, XeroCreditNote]]:
    """The books `server.push.books` leaves for the order."""
    paid = side.total if side.paid else Decimal("0.00")
    credited = Decimal("0.00") if side.paid or draft else side.credited
    due = side.total - paid - credited
    status = "DRAFT" if draft else ("PAID" if due == 0 else "AUTHORISED")
    invoice = XeroInvoice(status, side.total, paid, credited, due)
    notes = {
        str(r.credit_note_id): XeroCreditNote(
            "AUTHORISED" if draft else "PAID", r.amount, r.amount if draft else Decimal("0.00")
        )
        for r in side.refunds
    }
    return invoice, notes


@st.composite
def orders(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    total = draw(CENTS)
    amounts = draw(st.lists(CENTS, max_size=4))
    refunds, left = [], total
    for index, amount in enumerate(amounts):
        if amount <= left:
            refunds.append({"id": 100 + index, "amount": str(amount)})
            left -= amount
    paid = draw(st.booleans())
    order = {
        "id": 7, "number": "1042", "total": str(total),
        "status": draw(st.sampled_from(["processing", "completed", "refunded", "on-hold"])),
        "date_paid_gmt": "2026-03-05T10:00:00" if paid else None,
        "refunds": [{"id": r["id"], "total": f"-{r['amount']}"} for r in refunds],
    }  # fmt: skip
    return order, refunds


@given(orders(), st.booleans())
def test_books_as_wooxero_keeps_them_show_no_drift(case: Any, draft: bool) -> None:
    order, refunds = case
    side = _side(order, refunds)
    invoice, notes = _in_sync(side, draft=draft and not side.paid)
    assert compare(side, invoice, notes) == []


@given(orders(), CENTS)
def test_a_total_edited_in_xero_is_one_difference(case: Any, other: Decimal) -> None:
    order, refunds = case
    side = _side(order, refunds)
    invoice, notes = _in_sync(side)
    if other == side.total:
        return
    drifts = compare(side, replace(invoice, total=other), notes)
    assert [d.kind for d in drifts] == [DriftKind.TOTAL]
    (drift,) = drifts
    assert (drift.store, drift.xero) == (str(side.total), str(other))
    editable = invoice.status == "AUTHORISED" and invoice.amount_credited == 0
    assert drift.replay == editable
    assert ("replay the order" in drift.fix) == editable


@given(orders())
def test_a_payment_deleted_in_xero_is_owing_and_replayed(case: Any) -> None:
    order, refunds = case
    side = _side(order | {"date_paid_gmt": "2026-03-05T10:00:00"}, refunds)
    invoice, notes = _in_sync(side)
    unpaid = replace(invoice, status="AUTHORISED", amount_paid=Decimal("0.00"),
                     amount_due=side.total)  # fmt: skip
    (drift,) = compare(side, unpaid, notes)
    assert drift.kind is DriftKind.PAYMENTS and drift.replay
    assert drift.fix == f"Xero shows {side.total} owing on WC-1042 but order 1042 was paid: " \
                        "replay the order"  # fmt: skip


def test_an_unpaid_order_paid_by_hand_in_xero_is_for_a_person() -> None:
    side = _side({"id": 7, "number": "1042", "total": "12.50", "status": "processing"}, [])
    (drift,) = compare(side, XeroInvoice("PAID", *map(Decimal, ("12.50", "12.50", "0", "0"))), {})
    assert (drift.kind, drift.store, drift.xero, drift.replay) == (
        DriftKind.PAYMENTS,
        "0.00 paid",
        "12.50 paid",
        False,
    )
    assert "mark the order paid in WooCommerce" in drift.fix


def test_a_missing_credit_note_is_named_and_replayed() -> None:
    order = {"id": 7, "number": "1042", "total": "20.00", "status": "processing",
             "refunds": [{"id": 9, "total": "-5.00"}, {"id": 11, "total": "-2.00"}]}  # fmt: skip
    refunds = [{"id": 9, "amount": "5.00"}, {"id": 11, "amount": "2.00"}]
    side = store_side(order, refunds, "WC-1042", {"9": ("cn-9", "WC-1042-R1")},
                      credit_note_template="WC-{number}-R{n}", payments=True,
                      credit_notes=True, void_when_cancelled=True)  # fmt: skip
    invoice = XeroInvoice("AUTHORISED", *map(Decimal, ("20.00", "0", "5.00", "15.00")))
    (drift,) = compare(side, invoice, {"cn-9": XeroCreditNote("PAID", Decimal(5), Decimal(0))})
    assert (drift.kind, drift.number, drift.replay) == (DriftKind.CREDIT_NOTES, "WC-1042-R2", True)
    assert drift.fix == "credit note WC-1042-R2 for refund 11 of 2.00 is missing: replay the order"


@pytest.mark.parametrize(
    ("note", "replay", "words"),
    [
        (None, False, "is not in xero"),
        (XeroCreditNote.from_xero({"Status": "VOIDED", "Total": 5}), False, "is voided in Xero"),
        (XeroCreditNote.from_xero({"Status": "PAID", "Total": 4}), False, "is 4.00 in Xero"),
        (
            XeroCreditNote.from_xero({"Status": "AUTHORISED", "Total": 5, "RemainingCredit": 5}),
            True,
            "has 5.00 credit left",
        ),
    ],
)
def test_a_credit_note_changed_in_xero(note: Any, replay: bool, words: str) -> None:
    order = {"id": 7, "number": "1042", "total": "20.00", "status": "completed",
             "date_paid_gmt": "2026-03-05T10:00:00", "refunds": [{"id": 9, "total": "-5.00"}]}  # fmt: skip
    side = _side(order, [{"id": 9, "amount": "5.00"}])
    invoice, _ = _in_sync(side)
    (drift,) = compare(side, invoice, {} if note is None else {"cn-9": note})
    assert drift.kind is DriftKind.CREDIT_NOTES and drift.replay is replay
    assert words in drift.fix


def test_a_cancelled_order_expects_its_invoice_voided_unless_kept_or_paid() -> None:
    order = {"id": 7, "number": "1042", "total": "20.00", "status": "cancelled"}
    side = _side(order, [])
    open_invoice = XeroInvoice("AUTHORISED", *map(Decimal, ("20.00", "0", "0", "20.00")))
    (drift,) = compare(side, open_invoice, {})
    assert (drift.kind, drift.store, drift.xero) == (
        DriftKind.STATUS,
        "VOIDED or DELETED",
        "AUTHORISED",
    )
    assert compare(side, replace(open_invoice, status="VOIDED"), {}) == []
    assert compare(_side(order, [], void_when_cancelled=False), open_invoice, {}) == []


def test_an_invoice_voided_or_missing_in_xero() -> None:
    side = _side({"id": 7, "number": "1042", "total": "20.00", "status": "processing"}, [])
    voided = XeroInvoice("VOIDED", *map(Decimal, ("20.00", "0", "0", "0")))
    (drift,) = compare(side, voided, {})
    assert (drift.kind, drift.xero, drift.replay) == (DriftKind.STATUS, "VOIDED", False)
    (missing,) = compare(side, None, {})
    assert missing.kind is DriftKind.MISSING and "not in the Xero organisation" in missing.fix


def test_a_paid_orders_draft_invoice_is_approved_then_replayed() -> None:
    order = {"id": 7, "number": "1042", "total": "20.00", "status": "processing",
             "date_paid_gmt": "2026-03-05T10:00:00"}  # fmt: skip
    draft = XeroInvoice("DRAFT", *map(Decimal, ("20.00", "0", "0", "20.00")))
    (drift,) = compare(_side(order, []), draft, {})
    assert drift.kind is DriftKind.STATUS and drift.replay and "approve it in Xero" in drift.fix


def test_payments_and_refunds_left_to_people_are_not_compared() -> None:
    order = {"id": 7, "number": "1042", "total": "20.00", "status": "completed",
             "date_paid_gmt": "2026-03-05T10:00:00", "refunds": [{"id": 9, "total": "-5.00"}]}  # fmt: skip
    side = _side(order, [{"id": 9, "amount": "5.00"}], payments=False, credit_notes=False)
    unpaid = XeroInvoice("AUTHORISED", *map(Decimal, ("20.00", "0", "0", "20.00")))
    assert compare(side, unpaid, {}) == []


@pytest.mark.parametrize(
    ("value", "cents"), [(None, "0.00"), ("x", "0.00"), (Decimal("1.5"), "1.50")]
)
def test_money_from_xero(value: Any, cents: str) -> None:
    assert money(value) == Decimal(cents)
