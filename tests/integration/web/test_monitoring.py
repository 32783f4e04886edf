"""GET /metrics and GET /health/stores: who may read them, and that what they say is what the
database and Redis hold (the expected values come from what each test seeded)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from server import create_app
from server.connections.xero import access as xero_access
from server.connectors.xero.ratelimit import CallPriority
from server.extensions import db
from server.jobs.queues import Priority, enqueue
from server.jobs.tasks import housekeeping
from server.jobs.worker import build_worker
from server.models import (
    ConnectionStatus,
    EventSource,
    EventStatus,
    InboundEvent,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Plan,
    Store,
    StoreState,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
    WooConnection,
    WooWebhook,
    XeroConnection,
)
from server.models.types import utcnow
from tests.conftest import IsolatedClient

TOKEN = "t0ken-for-prometheus-" + "x" * 20
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}
TENANT = "7d3c4f1e-0000-4000-8000-000000000001"


@pytest.fixture
def make_app(app_context: Flask, settings: Any) -> Iterator[Any]:
    """Apps on the suite's database and Redis with other monitoring or proxy settings."""
    apps: list[Flask] = []

    def make(**sections: dict[str, Any]) -> Flask:
        application = create_app(settings.with_overrides(sections))
        application.test_client_class = IsolatedClient
        apps.append(application)
        return application

    yield make
    for application in apps:
        with application.app_context():
            db.engine.dispose()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, metric: str, /, **labels: str) -> float:
    return found[(metric, frozenset(labels.items()))]


# -- who may read -------------------------------------------------------------------------


def test_without_a_token_loopback_reads_and_others_are_refused_in_words(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/health/stores").status_code == 200
    for path in ("/metrics", "/health/stores", "/health/stores/anything"):
        refused = client.get(path, environ_overrides=REMOTE)
        assert refused.status_code == 403
        assert "203.0.113.9 is not in monitoring.metrics_networks" in refused.json["error"]


def test_ipv6_loopback_and_configured_networks_are_allowed(make_app):
    app = make_app(monitoring={"metrics_networks": ["10.0.0.0/8", "::1/128"]})
    client = app.test_client()
    assert client.get("/metrics", environ_overrides={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_overrides={"REMOTE_ADDR": "10.2.3.4"}).status_code == 200
    assert client.get("/metrics").status_code == 403, "127.0.0.1 is no longer listed"


def test_a_proxied_request_is_refused_when_no_proxy_is_trusted(client):
    """Behind a proxy on this machine every request comes from loopback: without
    server.proxy_count the real client is unknown, so it must not pass as local."""
    refused = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert refused.status_code == 403
    assert "server.proxy_count" in refused.json["error"]


def test_behind_a_trusted_proxy_the_forwarded_client_is_judged(make_app):
    client = make_app(server={"proxy_count": 1}).test_client()
    outside = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert outside.status_code == 403
    assert "198.51.100.7" in outside.json["error"]
    spoofed = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.7"})
    assert spoofed.status_code == 403, "only the address the trusted proxy saw counts"
    local = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert local.status_code == 200


def test_with_a_token_it_is_required_from_everywhere(make_app):
    client = make_app(monitoring={"metrics_token": TOKEN}).test_client()
    for path in ("/metrics", "/health/stores"):
        missing = client.get(path)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in missing.json["error"]
        wrong = client.get(path, headers={"Authorization": f"Bearer {TOKEN}y"})
        assert wrong.status_code == 401
        assert "not monitoring.metrics_token" in wrong.json["error"]
        basic = client.get(path, headers={"Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401
        right = client.get(
            path, headers={"Authorization": f"Bearer {TOKEN}"}, environ_overrides=REMOTE
        )
        assert right.status_code == 200


# -- what they say ------------------------------------------------------------------------


def outbox(store: Store, status: OutboxStatus, count: int, start: int) -> list[OutboxEntry]:
    return [
        OutboxEntry(store_id=store.id, woo_order_id=str(start + n), kind="invoice",
                    action=OutboxAction.UPSERT, status=status)
        for n in range(count)
    ]  # fmt: skip


def events(store: Store, source: EventSource, status: EventStatus, count: int) -> list:
    return [
        InboundEvent(store_id=store.id, source=source, topic="order.updated",
                     resource="order", resource_id=str(n), status=status)
        for n in range(count)
    ]  # fmt: skip


@pytest.fixture
def seeded(app_context: Flask) -> dict[str, Any]:
    """A busy store with problems, a quiet one in good order and a paused one."""
    busy = Store(url="https://busy.example", name="Busy", state=StoreState.ACTIVE)
    quiet = Store(url="https://quiet.example", name="Quiet", state=StoreState.ACTIVE)
    paused = Store(url="https://paused.example", name="Paused", state=StoreState.PAUSED)
    db.session.add_all([busy, quiet, paused])
    db.session.flush()
    plan = Plan(code="standard", name="Standard")
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([
        Subscription(store_id=busy.id, plan_id=plan.id, status=SubscriptionStatus.PAST_DUE),
        Subscription(store_id=quiet.id, plan_id=plan.id, status=SubscriptionStatus.ACTIVE),
        XeroConnection(store_id=busy.id, tenant_id=TENANT, tenant_name="Busy Ltd",
                       status=ConnectionStatus.NEEDS_REAUTHORISATION),
        XeroConnection(store_id=quiet.id, tenant_id=TENANT, tenant_name="Busy Ltd",
                       status=ConnectionStatus.CONNECTED),
        WooConnection(store_id=busy.id, status=ConnectionStatus.CONNECTED, poll_failures=2),
        WooConnection(store_id=quiet.id, status=ConnectionStatus.CONNECTED),
        WooWebhook(store_id=busy.id, topic="order.created", webhook_id=11, status="disabled"),
        WooWebhook(store_id=quiet.id, topic="order.created", webhook_id=12, status="active"),
        *outbox(busy, OutboxStatus.PENDING, 3, 100),
        *outbox(busy, OutboxStatus.WAITING, 1, 200),
        *outbox(busy, OutboxStatus.HELD, 1, 300),
        *outbox(busy, OutboxStatus.FAILED, 2, 400),
        *outbox(busy, OutboxStatus.DONE, 5, 500),
        *outbox(quiet, OutboxStatus.DONE, 4, 100),
        *events(busy, EventSource.WOOCOMMERCE_WEBHOOK, EventStatus.PENDING, 2),
        *events(busy, EventSource.WOOCOMMERCE_POLL, EventStatus.FAILED, 1),
        *events(busy, EventSource.WOOCOMMERCE_WEBHOOK, EventStatus.DONE, 3),
        *events(quiet, EventSource.WOOCOMMERCE_WEBHOOK, EventStatus.DONE, 4),
        *events(quiet, EventSource.WOOCOMMERCE_WEBHOOK, EventStatus.DUPLICATE, 1),
        *events(paused, EventSource.WOOCOMMERCE_WEBHOOK, EventStatus.PENDING, 6),
    ])  # fmt: skip
    synced_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    db.session.add_all([
        SyncRecord(store_id=quiet.id, kind="invoice", action="create", outcome=Outcome.OK,
                   started_at=synced_at),
        SyncRecord(store_id=quiet.id, kind="invoice", action="create", outcome=Outcome.OK,
                   started_at=synced_at - timedelta(hours=1)),
        SyncRecord(store_id=quiet.id, kind="invoice", action="update", outcome=Outcome.ERROR,
                   started_at=synced_at + timedelta(minutes=1)),
    ])  # fmt: skip
    db.session.commit()
    return {"busy": busy, "quiet": quiet, "paused": paused, "synced_at": synced_at}


def test_metrics_match_the_seeded_database(client, seeded):
    busy, quiet, paused = seeded["busy"], seeded["quiet"], seeded["paused"]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    found = samples(response.text)

    webhook, poll = "woocommerce_webhook", "woocommerce_poll"
    assert value(found, "wooxero_inbound_events", source=webhook, status="pending") == 8
    assert value(found, "wooxero_inbound_events", source=webhook, status="done") == 7
    assert value(found, "wooxero_inbound_events", source=webhook, status="duplicate") == 1
    assert value(found, "wooxero_inbound_events", source=poll, status="failed") == 1

    busy_id = busy.public_id
    for status, count in (("pending", 3), ("waiting", 1), ("held", 1), ("failed", 2),
                          ("sending", 0)):  # fmt: skip
        assert value(found, "wooxero_store_outbox_entries", store=busy_id, status=status) == count
    assert ("wooxero_store_outbox_entries", frozenset(
        {"store": busy_id, "status": "done"}.items())) not in found, "done is not a backlog"  # fmt: skip
    assert value(found, "wooxero_store_outbox_entries", store=quiet.public_id,
                 status="failed") == 0  # fmt: skip
    assert value(found, "wooxero_store_inbound_events", store=busy_id, status="pending") == 2
    assert value(found, "wooxero_store_inbound_events", store=busy_id, status="failed") == 1
    assert value(found, "wooxero_store_inbound_events", store=paused.public_id,
                 status="pending") == 6  # fmt: skip
    assert (
        value(found, "wooxero_store_last_sync_timestamp_seconds", store=quiet.public_id)
        == seeded["synced_at"].timestamp()
    )
    assert ("wooxero_store_last_sync_timestamp_seconds",
            frozenset({"store": busy_id}.items())) not in found  # fmt: skip
    busy_problems = {
        dict(labels)["problem"] for (name, labels) in found
        if name == "wooxero_store_problem" and dict(labels)["store"] == busy_id
    }  # fmt: skip
    assert busy_problems == {
        "xero_needs_reauthorisation", "woocommerce_poll_failing", "webhooks_disabled",
        "orders_failed", "orders_held", "events_failed", "subscription_past_due",
    }  # fmt: skip
    assert value(
        found, "wooxero_store_info", store=quiet.public_id, name="Quiet", state="active",
        subscription="active", xero="connected", woocommerce="connected",
    ) == 1  # fmt: skip
    assert value(found, "wooxero_source_up", source="database") == 1


def test_metrics_read_jobs_from_rq_and_xero_calls_from_the_limiter(client, seeded):
    for _ in range(2):
        enqueue(housekeeping.check_worker, priority=Priority.LOW)
    enqueue(housekeeping.purge_expired_records, "unexpected argument", priority=Priority.HIGH)
    enqueue(housekeeping.check_worker, priority=Priority.HIGH)
    db.session.commit()
    build_worker(client.application, ("high",), in_process=True).work(burst=True)

    limiter = xero_access.rate_limiter()
    for _ in range(3):
        with limiter.slot(TENANT, CallPriority.NORMAL, max_wait=5):
            pass
    limiter.correct(TENANT, {"X-DayLimit-Remaining": "4990"})  # 10 used today, Xero says
    with limiter.slot(TENANT, CallPriority.NORMAL, max_wait=5):
        found = samples(client.get("/metrics").text)

    assert value(found, "wooxero_jobs", queue="low", state="queued") == 2
    assert value(found, "wooxero_jobs", queue="high", state="queued") == 0
    assert value(found, "wooxero_jobs", queue="high", state="failed") == 1
    assert value(found, "wooxero_jobs", queue="high", state="finished") == 1
    assert value(found, "wooxero_jobs", queue="default", state="started") == 0
    assert value(found, "wooxero_workers") == 0, "the burst worker is gone"
    assert value(found, "wooxero_schedulers") == 0

    organisation = {"tenant": TENANT, "organisation": "Busy Ltd"}
    assert value(found, "wooxero_xero_calls_in_flight", **organisation) == 1
    assert value(found, "wooxero_xero_calls", window="minute", **organisation) == 4
    assert value(found, "wooxero_xero_calls_remaining", window="minute", **organisation) == 56
    assert value(found, "wooxero_xero_calls", window="day", **organisation) == 11
    assert value(found, "wooxero_xero_calls_remaining", window="day", **organisation) == 4989
    assert value(found, "wooxero_xero_blocked_seconds", **organisation) == 0
    limiter.block(TENANT, "minute", 30)
    blocked = samples(client.get("/metrics").text)
    assert 0 < value(blocked, "wooxero_xero_blocked_seconds", **organisation) <= 30
    assert value(blocked, "wooxero_source_up", source="queues") == 1
    assert value(blocked, "wooxero_source_up", source="xero_limits") == 1


def test_a_source_that_does_not_answer_is_said_and_the_rest_still_given(settings, tmp_path):
    app = create_app(settings.with_overrides({"redis": {"url": f"unix://{tmp_path}/none.sock"}}))
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    found = samples(response.text)
    assert value(found, "wooxero_source_up", source="queues") == 0
    assert value(found, "wooxero_source_up", source="database") == 1
    families = {family.name for family in text_string_to_metric_families(response.text)}
    assert "wooxero_store_outbox_entries" in families
    assert "wooxero_jobs" not in families
    assert str(tmp_path) not in response.text, "no path or host is disclosed"
    # flask-limiter keeps the storage of the last app built: give it the suite's Redis back
    for built in (app, create_app(settings)):
        with built.app_context():
            db.engine.dispose()


def test_health_summarises_every_store(client, seeded):
    response = client.get("/health/stores")
    assert response.status_code == 200
    by_id = {store["id"]: store for store in response.json["stores"]}
    assert set(by_id) == {seeded[name].public_id for name in ("busy", "quiet", "paused")}
    busy = by_id[seeded["busy"].public_id]
    assert busy["state"] == "active"
    assert busy["subscription"] == "past_due"
    assert busy["xero"] == "needs_reauthorisation"
    assert busy["woocommerce"] == "connected"
    assert busy["last_synced_at"] is None
    assert busy["orders"] == {"waiting": 4, "held": 1, "failed": 2}
    assert busy["events"] == {"pending": 2, "failed": 1}
    assert "orders_failed" in busy["problems"] and "subscription_past_due" in busy["problems"]
    quiet = by_id[seeded["quiet"].public_id]
    assert quiet["problems"] == []
    assert quiet["orders"] == {"waiting": 0, "held": 0, "failed": 0}
    assert quiet["last_synced_at"] == seeded["synced_at"].isoformat()
    paused = by_id[seeded["paused"].public_id]
    assert paused["state"] == "paused"
    assert paused["subscription"] is None
    assert paused["problems"] == ["xero_not_connected", "woocommerce_not_connected"]
    assert paused["events"] == {"pending": 6, "failed": 0}


def test_health_of_one_store_and_of_an_unknown_one(client, seeded):
    one = client.get(f"/health/stores/{seeded['quiet'].public_id}")
    assert one.status_code == 200
    assert one.json["name"] == "Quiet"
    assert one.json["events"] == {"pending": 0, "failed": 0}
    unknown = client.get("/health/stores/no-such-store")
    assert unknown.status_code == 404
    assert unknown.json == {"error": "no store has the id 'no-such-store'"}
