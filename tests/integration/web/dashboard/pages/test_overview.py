"""The Overview: a store admin follows the setup checklist with its buttons alone (against
both sandboxes), and afterwards sees the orders synced per day in the store's timezone, the
last day's counts and every alert with the action that fixes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from server.billing import subscriptions, trial
from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.extensions import current_config, db
from server.jobs.queues import Priority, get_queue
from server.models import (
    ConnectionStatus,
    Direction,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    ReferenceKind,
    Store,
    SubscriptionStatus,
    SyncRecord,
    WooWebhook,
    XeroConnection,
    XeroReference,
)
from server.models.types import utcnow
from server.stores.settings import storage as settings_store
from tests.support.dashboard import Dashboard, open_dashboard
from tests.support.jobs import run_jobs
from tests.support.stores import TAX_MAPPING
from tests.support.woocommerce import connect_store
from tests.support.xero import connect, make_store, signed_in_operator, tenants


def open_page(client: Any, store: Store) -> tuple[Dashboard, str]:
    """A dashboard session for `store` (as the embed link opens one); the Overview's HTML."""
    dashboard = open_dashboard(client, store)
    page = dashboard.get("main")
    assert page.status_code == 200
    return dashboard, page.get_data(as_text=True)


def press(dashboard: Dashboard, action: str) -> str:
    """One of the Overview's buttons, sent with the token its form carries."""
    answer = dashboard.post("main", do=action)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def step(html: str, name: str) -> str:
    """The checklist item of one step."""
    found = re.search(rf'<li class="[^"]*" id="step-{name}">(.*?)</li>', html, re.S)
    assert found, f"no step {name}"
    return found.group(0)


def done(html: str, name: str) -> bool:
    return 'class="done"' in step(html, name)


def test_a_store_admin_follows_the_checklist_to_syncing(
    app_context: Flask, client: Any, sandbox: Any, shop: Any
) -> None:
    store = connect_store(shop.base_url)
    dashboard, html = open_page(client, store)
    assert done(html, "woocommerce") and not done(html, "xero")
    assert "Connect to Xero" in step(html, "xero")
    assert "disabled" in step(html, "tax_rates")  # needs Xero first

    signed_in_operator(client)
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    html = press(dashboard, "read_tax_rates")
    assert "Reading the store&#39;s tax rates" in html
    run_jobs(app_context)
    _, html = open_page(client, store)
    assert done(html, "tax_rates") and not done(html, "tax_mapping")
    assert "Unmapped tax" in html and "Map tax rates" in html  # an alert with its fix

    refused = press(dashboard, "turn_on")  # before the tax mapping: refused in words
    assert "Not turned on:" in refused and "tax mapping" in refused
    assert not settings_store.load(store.id).modules.invoices

    settings = settings_store.load(store.id)
    rows = [{"woo_rates": key, "xero_tax_type": value} for key, value in TAX_MAPPING.items()]
    settings_store.save(
        store.id,
        settings.model_copy(
            update={
                "tax_mapping": settings.model_validate({"tax_mapping": rows}).tax_mapping,
                "payments": settings.payments.model_copy(update={"default_account": "090"}),
            }
        ),
    )
    db.session.commit()
    _, html = open_page(client, store)
    assert done(html, "tax_mapping") and done(html, "accounts") and not done(html, "modules")

    html = press(dashboard, "turn_on")
    assert "Syncing is on" in html
    modules = settings_store.load(store.id).modules
    assert modules.contacts and modules.items and modules.invoices
    assert "Set up in a few steps" not in html  # the backfill is optional


def test_an_unknown_action_is_refused_in_words(client: Any) -> None:
    dashboard, _ = open_page(client, make_store())
    assert "not one this page offers" in press(dashboard, "drop_tables")
    assert client.post("/dashboard/main", data={"do": "turn_on"}).status_code == 401
    assert (
        client.post(f"/dashboard/main?s={dashboard.token}", data={"do": "turn_on"}).status_code
        == 403
    )


def _organisation(store: Store, timezone: str) -> None:
    db.session.add(XeroReference(store_id=store.id, kind=ReferenceKind.ORGANISATION,
                                 rows=[{"Name": "Kiwi Ltd", "Timezone": timezone}]))  # fmt: skip


def _written(store: Store, order: str, at: datetime, outcome: Outcome = Outcome.OK) -> None:
    db.session.add(SyncRecord(
        store_id=store.id, direction=Direction.PUSH, kind="invoice", woo_id=order,
        action="create", outcome=outcome, started_at=at,
    ))  # fmt: skip


def test_orders_per_day_are_counted_in_the_stores_timezone(client: Any) -> None:
    store = make_store()
    _organisation(store, "NEWZEALANDSTANDARDTIME")
    zone = ZoneInfo("Pacific/Auckland")
    today = utcnow().astimezone(zone).date()
    yesterday_late = datetime.combine(today - timedelta(days=1), datetime.min.time(), zone)
    moments = {
        "1": yesterday_late + timedelta(hours=23, minutes=30),  # yesterday in Auckland
        "2": yesterday_late + timedelta(hours=24, minutes=30),  # today, the UTC day before
        "3": yesterday_late + timedelta(hours=24, minutes=45),
    }
    for order, moment in moments.items():
        _written(store, order, moment.astimezone(UTC))
    _written(store, "3", moments["3"].astimezone(UTC))  # written twice: one order
    _written(store, "3", (moments["3"] + timedelta(hours=3)).astimezone(UTC))  # another hour
    _written(store, "4", moments["3"].astimezone(UTC), Outcome.HELD)  # not synced
    _written(store, "5", (yesterday_late - timedelta(days=40)).astimezone(UTC))  # too old
    db.session.commit()

    _, html = open_page(client, store)
    bars = dict(re.findall(r"<title>(\d+ \w+ \d{4}): (\d+)</title>", html))
    assert len(bars) == 30
    assert bars[f"{today.day} {today:%b %Y}"] == "2"
    yesterday = today - timedelta(days=1)
    assert bars[f"{yesterday.day} {yesterday:%b %Y}"] == "1"
    assert sum(int(count) for count in bars.values()) == 3


def test_the_last_day_counts_and_alerts_say_what_needs_a_person(
    app_context: Flask, client: Any
) -> None:
    store = make_store()
    statuses = [OutboxStatus.HELD, OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.WAITING,
                OutboxStatus.DONE]  # fmt: skip
    for number, status in enumerate(statuses, start=1):
        db.session.add(OutboxEntry(store_id=store.id, woo_order_id=str(number), kind="invoice",
                                   action=OutboxAction.UPSERT, status=status))  # fmt: skip
    _written(store, "5", utcnow() - timedelta(hours=2))
    _written(store, "6", utcnow() - timedelta(hours=30))  # more than a day ago
    db.session.add(WooWebhook(store_id=store.id, topic="order.created", webhook_id=7,
                              status="disabled"))  # fmt: skip
    db.session.commit()

    dashboard, html = open_page(client, store)
    figures = dict(
        (label, int(count))
        for count, label in re.findall(r"<strong>(\d+)</strong> (\w+)(?: now)?</div>", html)
    )
    assert figures == {"synced": 1, "waiting": 1, "held": 1, "failed": 2}
    assert "2 orders failed and 1 order held: each says why" in html
    assert "turned off 1 of wooxero&#39;s webhooks" in html and "Repair webhooks now" in html

    before = get_queue(Priority.LOW).count  # the repair is a job, not a call in the request
    assert "Putting wooxero&#39;s webhooks back" in press(dashboard, "repair_webhooks")
    assert get_queue(Priority.LOW).count == before + 1


def test_lapsed_xero_access_is_an_alert_with_xeros_reason(client: Any, sandbox: Any) -> None:
    store = make_store()
    signed_in_operator(client)
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    connection = db.session.scalar(
        sa.select(XeroConnection).where(XeroConnection.store_id == store.id)
    )
    connection.mark(ConnectionStatus.NEEDS_REAUTHORISATION, "invalid_grant: refresh token expired")
    db.session.commit()
    _, html = open_page(client, store)
    assert "Xero needs you to sign in again. Xero said: invalid_grant" in html
    assert "Sign in to Xero again" in html


def test_a_store_that_may_not_sync_is_told_why_and_where_to_fix_it(client: Any) -> None:
    store = make_store()
    subscription = trial.start(store)
    db.session.commit()
    _, page = open_page(client, store)
    assert "Nothing is being sent to Xero" not in page

    subscriptions.change(
        subscription, status=SubscriptionStatus.CANCELLED, actor="test", reason="canceled"
    )
    db.session.commit()
    _, page = open_page(client, store)
    alert = re.search(r'<div class="notice notice-error[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert alert, page
    assert "Nothing is being sent to Xero: the subscription was canceled" in alert.group(1)
    assert "subscription" in alert.group(1).lower() and "href" in alert.group(1)


def test_the_organisations_xero_calls_today_are_shown_against_its_daily_limit(
    client: Any, sandbox: Any
) -> None:
    store = make_store()
    _, page = open_page(client, store)
    assert 'id="budget-bar"' not in page  # not connected: no organisation, no budget
    signed_in_operator(client)
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    connect(client, store, sandbox, [tenant_id])
    daily = current_config().xero.daily_limit

    def shown(html: str) -> int:
        found = re.search(r"Xero calls: <strong>([\d,]+)</strong> of the organisation's "
                          r"([\d,]+) a day", html)  # fmt: skip
        assert found, html
        assert int(found.group(2).replace(",", "")) == daily
        return int(found.group(1).replace(",", ""))

    before = shown(open_page(client, store)[1])
    connection = db.session.scalar(
        sa.select(XeroConnection).where(XeroConnection.store_id == store.id)
    )
    client_for_xero = xero_access.client_for(connection)
    client_for_xero.get(resources.ORGANISATION)
    client_for_xero.get(resources.ORGANISATION)
    assert shown(open_page(client, store)[1]) == before + 2
