"""Entitlement in the engine, against both sandboxes: a store that may not sync sends
nothing to Xero and keeps every order, waiting with the reason; once it may again, what
waited is written once; a plan's monthly quota is never written past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.billing import entitlement, subscriptions
from server.billing.entitlement import Refusal
from server.extensions import db
from server.inbound import backfill
from server.models import (
    Binding,
    BindingKind,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Plan,
    Store,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
)
from server.models.types import utcnow
from server.push import flush as engine
from tests.support.xero import calls, objects, tenants

pytestmark = pytest.mark.usefixtures("quick_retries")

SINCE = datetime(2000, 1, 1, tzinfo=UTC)
WRITES = ("Invoices", "Quotes")


def _read_everything(store: Store) -> None:
    row = backfill.start(store.id, SINCE)
    db.session.commit()
    while backfill.read_page(row.id):
        pass


def _flush_until_done(store: Store) -> None:
    for _ in range(20):
        if not engine.flush(store.id).more:
            break
    db.session.commit()


def _documents(sandbox: Any) -> list[dict[str, Any]]:
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    return [
        document
        for collection in WRITES
        for document in objects(sandbox, tenant_id, collection)
        if document.get("Status") != "DELETED"
    ]


def _statuses(store: Store) -> dict[OutboxStatus, int]:
    return dict(
        db.session.execute(
            sa.select(OutboxEntry.status, sa.func.count())
            .where(OutboxEntry.store_id == store.id)
            .group_by(OutboxEntry.status)
        ).all()
    )


def _subscribe(
    store: Store, status: SubscriptionStatus, quota: int | None, **fields
) -> Subscription:
    plan = Plan(code=f"test-{quota}", name="Test", monthly_order_limit=quota)
    subscription = Subscription(store_id=store.id, plan=plan, status=status, **fields)
    db.session.add(subscription)
    db.session.commit()
    return subscription


def test_a_trial_over_sends_nothing_and_a_plan_bought_sends_the_backlog_once(
    synced_store: Store, sandbox: Any
) -> None:
    ended = utcnow() - timedelta(minutes=1)
    subscription = _subscribe(synced_store, SubscriptionStatus.TRIALING, None, trial_ends_at=ended)
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    calls_before = calls(sandbox).get(tenant_id, {}).get("total", 0)

    _read_everything(synced_store)
    _flush_until_done(synced_store)

    assert _documents(sandbox) == []
    assert calls(sandbox).get(tenant_id, {}).get("total", 0) == calls_before  # not one call
    kept = _statuses(synced_store)
    assert set(kept) == {OutboxStatus.WAITING} and kept[OutboxStatus.WAITING] > 20
    reasons = set(db.session.scalars(
        sa.select(OutboxEntry.error).where(OutboxEntry.store_id == synced_store.id)
    ))  # fmt: skip
    assert len(reasons) == 1 and "free trial ended" in reasons.pop()
    assert not entitlement.of_store(synced_store.id).entitled

    subscriptions.change(
        subscription, status=SubscriptionStatus.ACTIVE, actor="test", reason="plan bought",
        period_end=utcnow() + timedelta(days=30),
    )  # fmt: skip
    db.session.commit()
    _flush_until_done(synced_store)

    documents = _documents(sandbox)
    numbers = [d.get("InvoiceNumber") or d.get("QuoteNumber") for d in documents]
    assert len(numbers) == len(set(numbers)) == _bound_documents(synced_store) > 20
    assert not {OutboxStatus.WAITING, OutboxStatus.PENDING} & set(_statuses(synced_store))

    calls_after = calls(sandbox)[tenant_id]["total"]
    _flush_until_done(synced_store)  # nothing left: not a call more, not a document more
    assert calls(sandbox)[tenant_id]["total"] == calls_after
    assert len(_documents(sandbox)) == len(documents)


def _bound_documents(store: Store) -> int:
    """Invoices and quotes the store's orders are bound to in Xero."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Binding.store_id == store.id,
                Binding.kind.in_((BindingKind.INVOICE, BindingKind.QUOTE)),
            )
        )
        or 0
    )


def test_a_quota_is_never_written_past_and_the_rest_waits_with_the_reason(
    synced_store: Store, sandbox: Any
) -> None:
    quota = 5
    subscription = _subscribe(synced_store, SubscriptionStatus.ACTIVE, quota)

    _read_everything(synced_store)
    _flush_until_done(synced_store)

    written = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(SyncRecord.woo_id))).where(
            SyncRecord.store_id == synced_store.id,
            SyncRecord.kind.in_(("invoice", "quote")),
            SyncRecord.outcome == Outcome.OK,
        )
    )
    assert written == quota == len(_documents(sandbox))
    allowed = entitlement.of_store(synced_store.id)
    assert allowed.refusal is Refusal.OVER_QUOTA
    waiting = db.session.scalars(
        sa.select(OutboxEntry).where(
            OutboxEntry.store_id == synced_store.id, OutboxEntry.status == OutboxStatus.WAITING
        )
    ).all()
    assert waiting and all(f"{quota} orders on the Test plan" in e.error for e in waiting)
    hold = db.session.scalar(
        sa.select(SyncRecord).where(
            SyncRecord.store_id == synced_store.id, SyncRecord.outcome == Outcome.HELD
        )
    )
    assert hold is not None and "orders on the Test plan are used" in hold.message

    bigger = Plan(code="bigger", name="Bigger", monthly_order_limit=None)
    subscriptions.change(subscription, plan=bigger, actor="test", reason="upgraded")
    db.session.commit()
    _flush_until_done(synced_store)

    assert OutboxStatus.WAITING not in _statuses(synced_store)
    numbers = [d.get("InvoiceNumber") or d.get("QuoteNumber") for d in _documents(sandbox)]
    assert len(numbers) == len(set(numbers)) > quota


def test_the_contacts_and_items_modules_alone_send_nothing_either(
    synced_store: Store, sandbox: Any
) -> None:
    _subscribe(synced_store, SubscriptionStatus.CANCELLED, None)
    _read_everything(synced_store)
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    contacts_before = len(objects(sandbox, tenant_id, "Contacts"))
    items_before = len(objects(sandbox, tenant_id, "Items"))

    for alone in (engine.sync_contacts, engine.sync_items):
        message = alone(synced_store.id)
        assert message.startswith("not synced:") and "canceled" in message

    assert len(objects(sandbox, tenant_id, "Contacts")) == contacts_before
    assert len(objects(sandbox, tenant_id, "Items")) == items_before
