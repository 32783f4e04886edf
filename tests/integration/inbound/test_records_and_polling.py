"""Processing records and polling against the WooCommerce sandbox over HTTP."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from rq import Queue

from server.connections.woocommerce import access as woo_access
from server.connectors.base import TransientError
from server.connectors.woocommerce.client import WooClient
from server.extensions import db
from server.inbound import intake as woo_intake
from server.inbound import polling as woo_polling
from server.inbound import records as woo_records
from server.inbound.records import RecordOutcome
from server.jobs import keys
from server.jobs.queues import started
from server.jobs.tasks import inbound
from server.models import (
    Direction,
    EventSource,
    EventStatus,
    InboundEvent,
    SyncRecord,
    WooConnection,
    WooRecord,
)
from server.models.types import utcnow
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.woocommerce import sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


def pending_event(store, order_id: int, topic: str = "order.updated") -> InboundEvent:
    event = woo_intake.record(store, source=EventSource.WOOCOMMERCE_WEBHOOK, topic=topic, resource="order",
                              resource_id=str(order_id), modified_at=None, payload={"id": order_id})  # fmt: skip
    db.session.commit()
    return event


def start_polling_from_now() -> None:
    """Poll orders changed from now on. WooCommerce compares whole seconds and `after` is
    exclusive, so orders start a second later (real polls overlap by a minute)."""
    connection = db.session.scalar(sa.select(WooConnection))
    connection.poll_cursor = utcnow()
    db.session.commit()
    time.sleep(1.1)


def fresh(model, **where):
    db.session.rollback()
    rows = db.session.scalars(sa.select(model).filter_by(**where)).all()
    db.session.commit()
    return rows


def test_an_order_is_read_from_the_store_kept_and_audited(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    pending_event(woo_store, order["id"])
    result = woo_records.process(woo_store.id, "order", str(order["id"]))
    assert result.outcome is RecordOutcome.PROCESSED and result.outbox_marked
    (record,) = fresh(WooRecord)
    assert record.data["total"] == order["total"] and record.versions_processed == 1
    assert record.modified_at is not None
    (audit,) = fresh(SyncRecord)
    assert (audit.direction, audit.kind, audit.action, audit.woo_id) == (
        Direction.PUSH,
        "order",
        "receive",
        str(order["id"]),
    )
    assert audit.woo_total == Decimal(order["total"]) and audit.currency == order["currency"]
    assert [e.status for e in fresh(InboundEvent)] == [EventStatus.DONE]


def test_the_same_version_again_is_not_processed_twice(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    pending_event(woo_store, order["id"])
    woo_records.process(woo_store.id, "order", str(order["id"]))
    pending_event(woo_store, order["id"], topic="order.restored")
    assert (
        woo_records.process(woo_store.id, "order", str(order["id"])).outcome
        is RecordOutcome.UNCHANGED
    )
    assert fresh(WooRecord)[0].versions_processed == 1
    assert len(fresh(SyncRecord)) == 1


def test_a_change_in_the_store_is_a_new_version(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    pending_event(woo_store, order["id"])
    woo_records.process(woo_store.id, "order", str(order["id"]))
    sandbox_json(woo, f"orders/{order['id']}", "POST", kind="status", status="completed")
    pending_event(woo_store, order["id"])
    assert (
        woo_records.process(woo_store.id, "order", str(order["id"])).outcome
        is RecordOutcome.PROCESSED
    )
    (record,) = fresh(WooRecord)
    assert (record.versions_processed, record.data["status"]) == (2, "completed")


def test_an_order_deleted_for_good_is_recorded_as_deleted(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    sandbox_json(woo, f"orders/{order['id']}", "POST", kind="delete")
    pending_event(woo_store, order["id"], topic="order.deleted")
    assert (
        woo_records.process(woo_store.id, "order", str(order["id"])).outcome
        is RecordOutcome.PROCESSED
    )
    (record,) = fresh(WooRecord)
    assert record.deleted and record.data == {}


def test_refused_keys_mark_the_connection_and_keep_the_events(woo_store, woo):
    connection = db.session.scalar(sa.select(WooConnection))
    connection.consumer_secret = "cs_wrong"
    db.session.commit()
    pending_event(woo_store, 1)
    assert woo_records.process(woo_store.id, "order", "1").outcome is RecordOutcome.DEFERRED
    (connection,) = fresh(WooConnection)
    assert connection.status.value == "needs_reauthorisation"
    assert "Invalid signature" in connection.status_reason  # OAuth 1.0a over http
    assert [e.status for e in fresh(InboundEvent)] == [EventStatus.PENDING]


def test_a_poll_finds_every_order_changed_since_the_cursor(woo_store, woo):
    start_polling_from_now()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(120)]
    result = woo_polling.poll(woo_store.id)
    assert result.pages == 2 and not result.error
    assert sorted(int(i) for i in result.to_process) == sorted(placed)
    (connection,) = fresh(WooConnection)
    assert connection.poll_scan_started_at is None and connection.poll_offset == 0
    assert connection.last_polled_at is not None
    assert woo_polling.poll(woo_store.id).to_process == [], "already received: duplicates now"


def fail_second_request(monkeypatch) -> list[int]:
    """Every request's offset is noted; the second one fails, once."""
    asked: list[int] = []
    original = WooClient.rows

    def rows(self, endpoint, params, offset):
        asked.append(offset)
        if len(asked) == 2:
            raise TransientError("the store went away")
        return original(self, endpoint, params, offset)

    monkeypatch.setattr(WooClient, "rows", rows)
    return asked


def test_an_interrupted_poll_resumes_where_it_stopped(woo_store, woo, monkeypatch):
    start_polling_from_now()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(150)]
    asked = fail_second_request(monkeypatch)
    stopped = woo_polling.poll(woo_store.id)
    assert stopped.error == "the store went away" and len(stopped.to_process) == 100
    (connection,) = fresh(WooConnection)
    assert (connection.poll_offset, connection.poll_failures) == (100, 1)
    assert connection.poll_error == "the store went away"
    assert woo_store.id not in woo_polling.due_store_ids(), "a pause after a failure"
    later = utcnow() + timedelta(minutes=11)
    assert woo_store.id in woo_polling.due_store_ids(later), "then the scan resumes"
    resumed = woo_polling.poll(woo_store.id)
    assert asked == [0, 99, 99], "resumed one row before where it stopped"
    found = set(stopped.to_process) | set(resumed.to_process)
    assert sorted(int(i) for i in found) == sorted(placed)
    (connection,) = fresh(WooConnection)
    assert (connection.poll_failures, connection.poll_error) == (0, "")


def test_orders_trashed_during_a_scan_do_not_hide_others(woo_store, woo, monkeypatch):
    """Offsets shift when orders leave the list; the overlap check steps back, so the order
    that slid over the boundary is still found."""
    start_polling_from_now()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(150)]
    asked = fail_second_request(monkeypatch)
    first = woo_polling.poll(woo_store.id)
    client = woo_access.client_for(woo_store)
    trashed = placed[10:13]
    for order_id in trashed:
        client.request("DELETE", f"orders/{order_id}")  # to the bin: out of the list
    db.session.commit()
    resumed = woo_polling.poll(woo_store.id)
    found = {int(i) for i in set(first.to_process) | set(resumed.to_process)}
    assert placed[100] in found, "the order that slid to offset 97 was not skipped"
    assert found >= set(placed) - set(trashed)
    assert asked[:3] == [0, 99, 99] and 0 in asked[3:], "it stepped back"


def test_refused_keys_stop_the_poll_and_mark_the_connection(woo_store, woo):
    connection = db.session.scalar(sa.select(WooConnection))
    connection.consumer_secret = "cs_" + "0" * 40
    db.session.commit()
    result = woo_polling.poll(woo_store.id)
    assert "refused the API keys" in result.error
    (connection,) = fresh(WooConnection)
    assert connection.status.value == "needs_reauthorisation" and connection.poll_failures == 1
    assert woo_store.id not in woo_polling.due_store_ids(utcnow() + timedelta(days=1))


def test_each_store_polls_at_its_own_interval(woo_store, woo):
    connection = db.session.scalar(sa.select(WooConnection))
    connection.last_polled_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert woo_polling.due_store_ids() == [woo_store.id], "the default: every 5 minutes"
    connection = db.session.scalar(sa.select(WooConnection))
    connection.poll_interval_minutes = 60
    db.session.commit()
    assert woo_polling.due_store_ids() == []
    assert woo_polling.due_store_ids(utcnow() + timedelta(minutes=51)) == [woo_store.id]


def test_a_store_that_cannot_be_reached_keeps_the_events_for_later(woo_store, woo):
    woo_store.url = "http://no-such-store.invalid"
    db.session.commit()
    pending_event(woo_store, 1)
    assert woo_records.process(woo_store.id, "order", "1").outcome is RecordOutcome.DEFERRED
    (event,) = fresh(InboundEvent)
    assert event.status == EventStatus.PENDING and event.next_attempt_at is not None
    assert "could not reach the store" in event.error


def test_a_misconfigured_store_keeps_the_events_too(woo_store, woo):
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"redirect_rest_to": "https://elsewhere.example"},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()  # fmt: skip
    try:
        pending_event(woo_store, 1)
        assert woo_records.process(woo_store.id, "order", "1").outcome is RecordOutcome.DEFERRED
    finally:
        requests.post(
            f"{woo.base_url}/_sandbox/config", json={"redirect_rest_to": ""}, timeout=HTTP_TIMEOUT
        )
    (event,) = fresh(InboundEvent)
    assert event.status == EventStatus.PENDING, "the store's fault, not the event's"
    assert "redirects to https://elsewhere.example/wp-json/wc/v3/orders/1" in event.error


def test_the_sweeper_leaves_an_event_to_the_job_still_waiting_for_it(woo_store, redis):
    pending_event(woo_store, 7)
    event = db.session.scalar(sa.select(InboundEvent))
    event.received_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    inbound.process_woo_record.enqueue(woo_store.id, "order", "7")  # waiting in a long queue
    assert inbound.requeue_pending_events() == 0
    assert fresh(InboundEvent)[0].attempts == 0, "no attempt spent while its job waits"
    started(keys.woo_record(woo_store.id, "order", "7"))  # the job ran, and died
    assert inbound.requeue_pending_events() == 1
    assert fresh(InboundEvent)[0].attempts == 1
    assert len(Queue("default", connection=redis).jobs) == 2
