"""A database with a row behind every admin view, secrets in every encrypted column, and an
operator of each role: what the panel-wide tests walk through page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView

from server.extensions import db
from server.models import (
    Backfill,
    BackfillStatus,
    Binding,
    BindingKind,
    Direction,
    EventSource,
    EventStatus,
    InboundEvent,
    Operator,
    OperatorRole,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Plan,
    ProviderEvent,
    ProviderEventOutcome,
    Store,
    StoreState,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
    SyncRecord,
    WooConnection,
    XeroConnection,
)
from tests.support.web import make_operator

ADMIN_EMAIL = "ops@example.com"
SUPPORT_EMAIL = "support@example.com"
SECRETS = {
    "signing_secret": "signing-SECRET-1",
    "access_token": "access-SECRET-2",
    "refresh_token": "refresh-SECRET-3",
    "consumer_key": "ck_SECRET-4",
    "consumer_secret": "cs_SECRET-5",
    "webhook_secret": "hook-SECRET-6",
}


@dataclass(frozen=True)
class Panel:
    store: Store
    admin: Operator
    support: Operator


def admin_views(app: Flask) -> list[BaseView]:
    """Every view registered on the app's admin panel, as Flask-Admin keeps them."""
    return [view for admin in app.extensions["admin"] for view in admin._views]


def model_views(app: Flask) -> list[ModelView]:
    return [view for view in admin_views(app) if isinstance(view, ModelView)]


def database_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the operator log (which records the attempts)."""
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
        if table.name != "operator_actions"
    }


@pytest.fixture
def panel(app_context: Flask) -> Panel:
    admin = make_operator(ADMIN_EMAIL)
    support = make_operator(SUPPORT_EMAIL)
    support.role = OperatorRole.SUPPORT
    moment = datetime(2026, 12, 3, 9, 12, 36, tzinfo=UTC)
    store = Store(
        url="https://shop.example", name="Shop", state=StoreState.ACTIVE,
        signing_secret=SECRETS["signing_secret"],
    )  # fmt: skip
    db.session.add(store)
    db.session.flush()
    store.transition_to(StoreState.PAUSED, "seeded", "tests")
    plan = Plan(code="standard", name="Standard", monthly_price=Decimal("10"), currency="USD")
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([
        XeroConnection(
            store_id=store.id, tenant_name="Org", tenant_id="tenant-1",
            access_token=SECRETS["access_token"], refresh_token=SECRETS["refresh_token"],
        ),
        WooConnection(
            store_id=store.id, consumer_key=SECRETS["consumer_key"],
            consumer_secret=SECRETS["consumer_secret"], webhook_secret=SECRETS["webhook_secret"],
        ),
        InboundEvent(
            store_id=store.id, source=EventSource.WOOCOMMERCE_WEBHOOK, topic="order.updated",
            resource="order", resource_id="7", status=EventStatus.FAILED, error="boom",
        ),
        SyncRecord(
            store_id=store.id, direction=Direction.PUSH, kind="invoice", woo_id="7",
            action="create", outcome=Outcome.ERROR, started_at=moment,
        ),
        OutboxEntry(
            store_id=store.id, woo_order_id="7", kind="invoice", action=OutboxAction.UPSERT,
            status=OutboxStatus.FAILED, error="refused",
        ),
        Backfill(store_id=store.id, since=moment, status=BackfillStatus.DONE),
        Binding(store_id=store.id, kind=BindingKind.INVOICE, woo_id="7", xero_id="x-7"),
        subscription := Subscription(store_id=store.id, plan_id=plan.id),
        SubscriptionChange(
            subscription=subscription, to_status=SubscriptionStatus.TRIALING, actor="wooxero",
            reason="14-day trial started",
        ),
        ProviderEvent(
            provider="stripe", event_id="evt_1", type="invoice.paid", occurred_at=moment,
            store_id=store.id, outcome=ProviderEventOutcome.APPLIED,
            payload={"id": "evt_1", "type": "invoice.paid"},
        ),
    ])  # fmt: skip
    db.session.commit()
    return Panel(store=store, admin=admin, support=support)
