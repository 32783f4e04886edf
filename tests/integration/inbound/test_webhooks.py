"""wooxero's webhooks in the store (created, kept, repaired, removed) and the wc-auth flow,
against the WooCommerce sandbox over HTTP."""

import time

import pytest
import requests
import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.woocommerce.webhooks import TOPICS
from server.extensions import db
from server.inbound import webhooks as woo_webhooks
from server.jobs.tasks import inbound
from server.models import ConnectionStatus, WooConnection, WooRecord, WooWebhook
from server.models.types import utcnow
from tests.support.jobs import run_jobs
from tests.support.waiting import HTTP_TIMEOUT, wait_until
from tests.support.woocommerce import WEBHOOK_SECRET, hooks, ours, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


def test_one_active_webhook_per_topic_with_our_secret(woo_store, woo):
    report = woo_webhooks.ensure(woo_store.id)
    assert sorted(report.created) == sorted(TOPICS) and report.gap_possible
    made = ours(woo, woo_store)
    assert sorted(h["topic"] for h in made) == sorted(TOPICS)
    assert {(h["status"], h["secret"]) for h in made} == {("active", WEBHOOK_SECRET)}
    assert sorted(db.session.scalars(sa.select(WooWebhook.topic))) == sorted(TOPICS)
    again = woo_webhooks.ensure(woo_store.id)
    assert (again.created, again.reactivated, again.removed) == ([], [], 0)
    assert len(ours(woo, woo_store)) == len(TOPICS)


def test_extra_copies_and_someone_elses_webhooks(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    client = woo_access.client_for(woo_store)
    url = woo_access.delivery_url(woo_store)
    client.create_webhook(name="copy", topic="order.updated", delivery_url=url, secret="x")
    client.create_webhook(name="copy", topic="coupon.updated", delivery_url=url, secret="x")
    client.create_webhook(
        name="someone else's",
        topic="order.updated",
        delivery_url="https://zapier.example/hook",
        secret="y",
    )
    report = woo_webhooks.ensure(woo_store.id)
    assert report.removed == 2
    assert sorted(h["topic"] for h in ours(woo, woo_store)) == sorted(TOPICS)
    assert any(h["delivery_url"] == "https://zapier.example/hook" for h in hooks(woo)), (
        "not ours: left alone"
    )


def test_webhooks_disabled_by_failures_are_put_back_and_the_gap_is_polled(
    woo_store, woo, app_context
):
    woo_webhooks.ensure(woo_store.id)
    connection = db.session.scalar(sa.select(WooConnection))
    connection.poll_cursor = utcnow()
    db.session.commit()
    time.sleep(1.1)  # whole seconds, exclusive `after`: see test_records
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"fail_all_deliveries": True}, timeout=HTTP_TIMEOUT
    ).raise_for_status()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(8)]

    def given_up() -> bool:
        states = {h["topic"]: h["status"] for h in ours(woo, woo_store)}
        return states["order.created"] == states["order.updated"] == "disabled"

    wait_until(given_up, "WooCommerce to give up on our webhooks", interval=0.2)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"fail_all_deliveries": False}, timeout=HTTP_TIMEOUT
    ).raise_for_status()

    outcome = inbound.check_store_webhooks(woo_store.id)
    assert "reactivated ['order.created'" in outcome
    assert {h["status"] for h in ours(woo, woo_store)} == {"active"}
    run_jobs(app_context)  # the poll the check started, then the record jobs it started
    processed = {int(r.woo_id) for r in db.session.scalars(sa.select(WooRecord))}
    assert set(placed) <= processed, "every order placed while the webhooks were off"


def test_disconnecting_removes_our_webhooks_and_the_keys(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    client = woo_access.client_for(woo_store)
    url = woo_access.delivery_url(woo_store)
    client.create_webhook(name="not recorded", topic="order.updated", delivery_url=url, secret="x")
    assert woo_connect.disconnect(woo_store, "operator:1") == 0
    assert ours(woo, woo_store) == [], "recorded or not, every webhook of ours"
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.consumer_key is None and connection.consumer_secret is None
    assert connection.webhook_secret is None, "deliveries from any left behind are refused"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooWebhook)) == 0


def test_webhooks_that_cannot_be_removed_are_counted(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"error_rate": 1.0}, timeout=HTTP_TIMEOUT
    ).raise_for_status()
    try:
        assert woo_connect.disconnect(woo_store, "operator:1") == len(TOPICS)
    finally:
        requests.post(
            f"{woo.base_url}/_sandbox/config", json={"error_rate": 0.0}, timeout=HTTP_TIMEOUT
        )
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.consumer_key is None
    assert len(ours(woo, woo_store)) == len(TOPICS), "still in the store: said, not hidden"
