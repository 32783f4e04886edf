"""Deliveries stored as they came and sorted out by their record's job, against the
WooCommerce sandbox over HTTP."""

import base64
import hashlib
import hmac
import json

import pytest
import requests
import sqlalchemy as sa

from server.extensions import db
from server.models import EventStatus, InboundEvent, WooRecord
from tests.support.jobs import run_jobs
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.woocommerce import WEBHOOK_SECRET, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


def deliver(client, store, order: dict) -> int:
    """The order as WooCommerce delivers it, always as the same delivery (one id)."""
    body = json.dumps(order, separators=(",", ":")).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    return client.post(
        f"/webhooks/woocommerce/{store.public_id}", data=body,
        headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated",
            "X-WC-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-WC-Webhook-ID": "11", "X-WC-Webhook-Delivery-ID": "5f" * 16,
        },
    ).status_code  # fmt: skip


def statuses() -> list[EventStatus]:
    db.session.rollback()
    found = list(db.session.scalars(sa.select(InboundEvent.status).order_by(InboundEvent.id)))
    db.session.commit()
    return found


def store_errors(woo, rate: float) -> None:
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"error_rate": rate}, timeout=HTTP_TIMEOUT
    ).raise_for_status()


def test_a_delivery_sent_again_is_processed_once_and_its_repeat_costs_no_read(
    woo_store, woo, client
):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    assert deliver(client, woo_store, order) == 200
    run_jobs(client.application)
    assert statuses() == [EventStatus.DONE]
    store_errors(woo, 1.0)  # a read now would fail, and leave the repeat pending
    try:
        assert deliver(client, woo_store, order) == 200
        assert statuses() == [EventStatus.DONE, EventStatus.PENDING], "stored as it came"
        run_jobs(client.application)
    finally:
        store_errors(woo, 0.0)
    assert statuses() == [EventStatus.DONE, EventStatus.DUPLICATE]
    assert db.session.scalar(sa.select(WooRecord.versions_processed)) == 1


def test_a_burst_with_repeats_is_one_job_and_one_version(woo_store, woo, client):
    order = sandbox_json(woo, "orders", "POST", status="processing")
    for _ in range(3):
        assert deliver(client, woo_store, order) == 200
    run_jobs(client.application)
    assert statuses() == [EventStatus.DONE, EventStatus.DUPLICATE, EventStatus.DUPLICATE]
    assert db.session.scalar(sa.select(WooRecord.versions_processed)) == 1
