"""Refunds reach the order wooxero keeps, against the WooCommerce sandbox's real delivery
behaviour: a partial refund leaves the order's `date_modified` as it was, and its
`order.updated` delivery (if any) carries that old time with new content."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from server.connections.woocommerce import access as woo_access
from server.connectors.woocommerce.webhooks import REFUNDED
from server.extensions import db
from server.inbound import webhooks as woo_webhooks
from server.models import REFUND_DETAILS, EventStatus, InboundEvent, Store, WooRecord
from tests.support.jobs import run_jobs
from tests.support.waiting import wait_until
from tests.support.woocommerce import connect_store, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


def _events(order_id: int) -> list[InboundEvent]:
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(InboundEvent)
        .where(InboundEvent.resource == "order", InboundEvent.resource_id == str(order_id))
        .order_by(InboundEvent.id)
    ).all()
    db.session.commit()
    return list(rows)


def _kept(order_id: int) -> dict[str, Any]:
    db.session.rollback()
    row = db.session.scalar(sa.select(WooRecord).where(WooRecord.woo_id == str(order_id)))
    db.session.commit()
    return row.data


def _refund(woo: Any, order_id: int, amount: str, via: str) -> None:
    sandbox_json(woo, f"orders/{order_id}", "POST", kind="refund", via=via, amount=amount)


def _without_the_refund_action(store_id: int) -> None:
    """As a store where someone deleted that webhook: order.updated is all that comes."""
    client = woo_access.client_for(db.session.get(Store, store_id))
    for hook in client.webhooks():
        if hook["topic"] == REFUNDED:
            client.delete_webhook(hook["id"])


@pytest.mark.parametrize(
    ("via", "action_webhook"),
    [("admin", True), ("rest", True), ("function", True), ("admin", False), ("rest", False)],
)
def test_every_partial_refund_reaches_the_kept_order(
    live_app, woo, app_context, via, action_webhook
):
    app, _url = live_app()
    store_id = connect_store(woo.base_url).id
    db.session.commit()  # on SQLite even a read holds the write lock the app needs
    with app.app_context():
        woo_webhooks.ensure(store_id)  # deliveries to the app served above
        if not action_webhook:
            _without_the_refund_action(store_id)
    order = sandbox_json(woo, "orders", "POST", payment_method="stripe")
    wait_until(lambda: _events(order["id"]), "the new order's deliveries")
    time.sleep(1.1)  # the order is read a second after its last change: its time is old news
    run_jobs(app)
    modified = _kept(order["id"])["date_modified_gmt"]

    expected = {REFUNDED, "order.updated"} if action_webhook else {"order.updated"}
    made: list[str] = []
    for amount in ("1.00", "2.50"):
        made.append(amount)
        seen = len(_events(order["id"]))
        _refund(woo, order["id"], amount, via)
        wait_until(
            lambda seen=seen: {e.topic for e in _events(order["id"])[seen:]} >= expected,
            "the refund's deliveries",
        )
        run_jobs(app)
        kept = _kept(order["id"])
        assert kept["date_modified_gmt"] == modified, "a partial refund keeps date_modified"
        assert [r["total"] for r in kept["refunds"]] == [f"-{a}" for a in reversed(made)]
        details = kept[REFUND_DETAILS]  # in full, for the credit notes
        assert [r["amount"] for r in details] == list(reversed(made))
        assert {r["id"] for r in details} == {r["id"] for r in kept["refunds"]}
    statuses = {e.status for e in _events(order["id"])}
    assert EventStatus.PENDING not in statuses and EventStatus.FAILED not in statuses
