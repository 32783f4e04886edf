"""The drift check over both sandboxes: a store in sync reports nothing; drift made in
Xero by hand (an invoice paid, one voided, a payment deleted) is reported exactly, each
with its fix, and what a replay can fix is fixed by replaying."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    DriftReport,
    OutboxEntry,
    OutboxStatus,
    Store,
    SyncRecord,
    WooRecord,
)
from server.pull import drift_check
from server.push import flush as engine
from server.push import outbox
from tests.integration.push.test_flush import _backfill_and_flush
from tests.support.stores import BANK_ACCOUNT
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import objects, tenants

NZ = "Demo Company (NZ)"


def _run(store: Store) -> DriftReport:
    """A whole run, slice after slice, as the job chains them."""
    while drift_check.check(store.id).more:
        pass
    finished, running = drift_check.latest(store.id)
    assert running is None and finished is not None
    return finished


def _settled(store: Store) -> list[tuple[dict[str, Any], Binding]]:
    """NZD orders without refunds whose books are done, with their approved invoices."""
    rows = db.session.execute(
        sa.select(WooRecord.data, Binding)
        .join(Binding, sa.and_(Binding.store_id == WooRecord.store_id,
                               Binding.woo_id == WooRecord.woo_id,
                               Binding.kind == BindingKind.INVOICE))
        .join(OutboxEntry, sa.and_(OutboxEntry.store_id == WooRecord.store_id,
                                   OutboxEntry.woo_order_id == WooRecord.woo_id))
        .where(WooRecord.store_id == store.id, WooRecord.resource == "order",
               OutboxEntry.status == OutboxStatus.DONE,
               Binding.xero_status.in_(["AUTHORISED", "PAID"]))
        .order_by(Binding.id)
    ).all()  # fmt: skip
    return [(data, binding) for data, binding in rows
            if data["currency"] == "NZD" and not data.get("refunds")]  # fmt: skip


def _findings(report: DriftReport) -> dict[str, dict[str, Any]]:
    by_number = {finding["number"]: finding for finding in report.findings}
    assert len(by_number) == len(report.findings), "one difference per invoice here"
    return by_number


def test_a_store_in_sync_reports_nothing(synced_store: Store, sandbox: Any) -> None:
    _backfill_and_flush(synced_store)
    report = _run(synced_store)
    assert report.findings == [] and report.differences == 0
    assert report.checked >= 10
    assert report.error == ""


def test_drift_made_in_xero_is_reported_with_its_fix(synced_store: Store, sandbox: Any) -> None:
    tenant_id = tenants(sandbox)[NZ]
    _backfill_and_flush(synced_store)
    settled = _settled(synced_store)
    unpaid = [(o, b) for o, b in settled if not o.get("date_paid_gmt")]
    paid = [(o, b) for o, b in settled if o.get("date_paid_gmt")]
    assert len(unpaid) >= 2 and paid, "the shop has paid and unpaid orders"
    (paid_by_hand, _), (voided, voided_invoice) = unpaid[0], unpaid[1]
    unpaid_payment_order, _ = paid[0]

    # A bookkeeper pays one invoice, voids another and deletes a payment, all in Xero.
    requests.post(
        f"{sandbox.base_url}/_sandbox/organisations/{tenant_id}/invoices/"
        f"WC-{paid_by_hand['number']}/paid",
        json={"Account": {"Code": BANK_ACCOUNT}, "Date": date.today().isoformat()},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    client = xero_access.client_for(xero_access.connection_for_store(synced_store.id))
    client.write("POST", "Invoices", {"Invoices": [
        {"InvoiceID": voided_invoice.xero_id, "Status": "VOIDED"}]})  # fmt: skip
    payment = db.session.scalar(sa.select(Binding).where(
        Binding.kind == BindingKind.PAYMENT, Binding.woo_id == str(unpaid_payment_order["id"])))  # fmt: skip
    assert payment is not None
    payment_id, payment_binding = payment.xero_id, payment.id
    client.write("POST", f"Payments/{payment_id}", {"Status": "DELETED"})

    report = _run(synced_store)
    found = _findings(report)
    by_hand, gone, owing = (f"WC-{o['number']}" for o in (paid_by_hand, voided,
                                                            unpaid_payment_order))  # fmt: skip
    assert set(found) == {by_hand, gone, owing}, report.findings
    assert report.differences == 3

    assert found[by_hand]["kind"] == "payments" and not found[by_hand]["replay"]
    assert found[by_hand]["store"] == "0.00 paid"
    assert found[by_hand]["xero"] == f"{paid_by_hand['total']} paid"
    assert "mark the order paid in WooCommerce" in found[by_hand]["fix"]

    assert found[gone]["kind"] == "status" and found[gone]["xero"] == "VOIDED"
    assert not found[gone]["replay"]
    assert f"{gone} is VOIDED in Xero" in found[gone]["fix"]

    total = unpaid_payment_order["total"]
    assert found[owing] == {
        "order_id": str(unpaid_payment_order["id"]), "number": owing, "kind": "payments",
        "store": f"{total} paid", "xero": "0.00 paid", "replay": True,
        "fix": f"Xero shows {total} owing on {owing} but order "
               f"{unpaid_payment_order['number']} was paid: replay the order",
    }  # fmt: skip
    db.session.expire_all()
    entry = outbox.entry_for(synced_store.id, str(unpaid_payment_order["id"]))
    assert entry is not None and entry.status == OutboxStatus.HELD
    assert "replay the order" in entry.error
    assert db.session.get(Binding, payment_binding) is None, "the deleted payment is forgotten"
    audits = db.session.scalars(sa.select(SyncRecord).where(SyncRecord.action == "drift"))
    assert sorted(a.woo_id for a in audits) == sorted(
        str(o["id"]) for o in (paid_by_hand, voided, unpaid_payment_order)
    )

    # The replay pays the invoice again; what only a person can fix is still reported.
    assert outbox.replay(synced_store.id, str(unpaid_payment_order["id"])) == 1
    db.session.commit()
    engine.flush(synced_store.id)
    payments = [p for p in objects(sandbox, tenant_id, "Payments")
                if p["Status"] != "DELETED" and p["Invoice"]["InvoiceNumber"] == owing]  # fmt: skip
    assert [Decimal(str(p["Amount"])) for p in payments] == [Decimal(total)]
    assert set(_findings(_run(synced_store))) == {by_hand, gone}


def test_a_big_store_is_checked_over_several_jobs_resuming_where_it_stopped(
    synced_store: Store, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backfill_and_flush(synced_store)
    bound = db.session.scalar(sa.select(sa.func.count()).select_from(Binding).where(
        Binding.kind == BindingKind.INVOICE, Binding.xero_id.is_not(None)))  # fmt: skip
    monkeypatch.setattr(drift_check, "CHUNK", 4)
    monkeypatch.setattr(drift_check, "CHUNKS_PER_RUN", 2)
    first = drift_check.check(synced_store.id)
    assert first.more
    finished, running = drift_check.latest(synced_store.id)
    assert finished is None and running is not None and running.position > 0
    jobs = 1
    while drift_check.check(synced_store.id).more:
        jobs += 1
    assert jobs == bound // 8 + 1  # two chunks of four a job; the last finds the end
    finished, running = drift_check.latest(synced_store.id)
    assert running is None and finished is not None
    assert finished.findings == []
    assert finished.checked == bound and finished.position == db.session.scalar(
        sa.select(sa.func.max(Binding.id)).where(Binding.kind == BindingKind.INVOICE))  # fmt: skip
