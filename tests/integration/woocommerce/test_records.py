"""Processing records and polling against the WooCommerce sandbox over HTTP."""

import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from server.connectors.base import TransientError
from server.connectors.woocommerce.client import WooClient
from server.extensions import db
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
from server.sync import woo_intake, woo_polling, woo_records
from tests.integration.woocommerce.conftest import sandbox_json


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
    assert woo_records.process(woo_store.id, "order", str(order["id"])) == "processed"
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
    assert woo_records.process(woo_store.id, "order", str(order["id"])) == "unchanged"
    assert fresh(WooRecord)[0].versions_processed == 1
    assert len(fresh(SyncRecord)) == 1


def test_a_change_in_the_store_is_a_new_version(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    pending_event(woo_store, order["id"])
    woo_records.process(woo_store.id, "order", str(order["id"]))
    sandbox_json(woo, f"orders/{order['id']}", "POST", kind="status", status="completed")
    pending_event(woo_store, order["id"])
    assert woo_records.process(woo_store.id, "order", str(order["id"])) == "processed"
    (record,) = fresh(WooRecord)
    assert (record.versions_processed, record.data["status"]) == (2, "completed")


def test_an_order_deleted_for_good_is_recorded_as_deleted(woo_store, woo):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    sandbox_json(woo, f"orders/{order['id']}", "POST", kind="delete")
    pending_event(woo_store, order["id"], topic="order.deleted")
    assert woo_records.process(woo_store.id, "order", str(order["id"])) == "processed"
    (record,) = fresh(WooRecord)
    assert record.deleted and record.data == {}


def test_refused_keys_mark_the_connection_and_keep_the_events(woo_store, woo):
    connection = db.session.scalar(sa.select(WooConnection))
    connection.consumer_secret = "cs_wrong"
    db.session.commit()
    pending_event(woo_store, 1)
    assert woo_records.process(woo_store.id, "order", "1").startswith("deferred")
    (connection,) = fresh(WooConnection)
    assert connection.status.value == "needs_reauthorisation"
    assert "Invalid signature" in connection.status_reason  # OAuth 1.0a over http
    assert [e.status for e in fresh(InboundEvent)] == [EventStatus.PENDING]


def test_a_poll_finds_every_order_changed_since_the_cursor(woo_store, woo):
    start_polling_from_now()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(120)]
    result = woo_polling.poll(woo_store.id)
    assert result.pages == 2
    assert sorted(int(i) for i in result.to_process) == sorted(placed)
    (connection,) = fresh(WooConnection)
    assert connection.poll_page == 0 and connection.last_polled_at is not None
    assert woo_polling.poll(woo_store.id).to_process == [], "already received: duplicates now"


def test_an_interrupted_poll_resumes_at_the_page_it_stopped(woo_store, woo, monkeypatch):
    start_polling_from_now()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(150)]
    asked: list[int] = []
    original = WooClient.page

    def page_two_fails_once(self, endpoint, params, page):
        asked.append(page)
        if page == 2 and asked.count(2) == 1:
            raise TransientError("the store went away")
        return original(self, endpoint, params, page)

    monkeypatch.setattr(WooClient, "page", page_two_fails_once)
    with pytest.raises(TransientError):
        woo_polling.poll(woo_store.id)
    (connection,) = fresh(WooConnection)
    assert connection.poll_page == 2, "the next page is kept across the failure"
    first_half = {e.resource_id for e in fresh(InboundEvent)}
    result = woo_polling.poll(woo_store.id)
    assert asked == [1, 2, 2], "resumed at page 2, page 1 not read again"
    found = first_half | set(result.to_process)
    assert sorted(int(i) for i in found) == sorted(placed)
