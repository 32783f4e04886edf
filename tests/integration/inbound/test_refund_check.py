"""The refund check against the WooCommerce sandbox over HTTP: a partial refund that no
webhook told of (none installed, or every delivery failing) is still found, while orders
that did not change cost nothing but their share of one list request."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from rq import Queue

from server.connections.woocommerce import access as woo_access
from server.connectors.woocommerce.client import WooClient
from server.extensions import db
from server.inbound import records, refund_check
from server.inbound import webhooks as woo_webhooks
from server.inbound.records import REFUND_DETAILS
from server.jobs.tasks import inbound
from server.jobs.tasks.push import flush
from server.models import (
    Binding,
    BindingKind,
    OutboxEntry,
    Store,
    StoreState,
    SyncRecord,
    WooConnection,
    WooRecord,
)
from server.models.types import utcnow
from tests.support.waiting import wait_until
from tests.support.woocommerce import ours, pending_delivery, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")

LIST = "GET /wc/v3/orders"


def fresh(model: Any, **where: Any) -> list[Any]:
    db.session.rollback()
    rows = db.session.scalars(sa.select(model).filter_by(**where)).all()
    db.session.commit()
    return list(rows)


def kept(order_id: int) -> dict[str, Any]:
    (row,) = fresh(WooRecord, woo_id=str(order_id))
    return row.data


def bind(store: Store, order_id: int, kind=BindingKind.INVOICE, status="AUTHORISED") -> Binding:
    binding = Binding(
        store_id=store.id, kind=kind, woo_id=str(order_id), xero_id=str(uuid.uuid4()),
        xero_number=f"WC-{order_id}", xero_status=status,
    )  # fmt: skip
    db.session.add(binding)
    db.session.commit()
    return binding


def invoiced_order(woo: Any, store: Store) -> int:
    """A paid order read from the store as a delivery would have it read, its invoice
    bound: what wooxero holds once an order reached Xero."""
    order_id = sandbox_json(woo, "orders", "POST", payment_method="stripe")["id"]
    pending_delivery(store, order_id)
    assert records.process(store.id, "order", str(order_id)).outbox_marked
    bind(store, order_id)
    return order_id


def refund(woo: Any, order_id: int, amount: str = "1.00") -> None:
    sandbox_json(woo, f"orders/{order_id}", "POST", kind="refund", via="admin", amount=amount)


def calls(woo: Any) -> Counter[str]:
    return Counter(sandbox_json(woo, "calls")["by_endpoint"])


def connection() -> WooConnection:
    (row,) = fresh(WooConnection)
    return row


def receipts(order_id: int) -> int:
    return len(fresh(SyncRecord, woo_id=str(order_id), action="receive"))


def deliveries_failing(woo: Any, store: Store) -> None:
    """wooxero's webhooks in place, but no delivery reaching it (WooCommerce disables such
    webhooks after a few failures)."""
    woo_webhooks.ensure(store.id)
    db.session.commit()
    sandbox_json(woo, "config", "POST", fail_all_deliveries=True)


@pytest.mark.parametrize("webhooks", ["absent", "failing"])
def test_a_partial_refund_no_webhook_told_of_is_found(woo_store, woo, webhooks):
    if webhooks == "failing":
        deliveries_failing(woo, woo_store)
    else:
        assert ours(woo, woo_store) == []
    refunded, untouched = invoiced_order(woo, woo_store), invoiced_order(woo, woo_store)
    before = kept(refunded)
    refund(woo, refunded, "1.00")
    if webhooks == "failing":
        wait_until(
            lambda: any(
                d["resource_id"] == refunded and d["topic"] == "order.updated" and not d["success"]
                for d in sandbox_json(woo, "deliveries")
            ),
            "the refund's delivery, failed",
        )
    in_store = woo_access.client_for(woo_store).order(refunded)
    db.session.commit()
    assert in_store["date_modified_gmt"] == before["date_modified_gmt"], "polling cannot see it"

    outcome = inbound.check_store_refunds(woo_store.id)  # the job, as a worker runs it

    assert outcome == "2 orders in 1 requests, 1 changed, 0 busy; the round is finished"
    order = kept(refunded)
    assert [r["total"] for r in order["refunds"]] == ["-1.00"]
    assert [r["amount"] for r in order[REFUND_DETAILS]] == ["1.00"], "kept with its details"
    assert order[REFUND_DETAILS][0]["id"] == order["refunds"][0]["id"]
    assert (receipts(refunded), receipts(untouched)) == (2, 1)
    (entry,) = fresh(OutboxEntry, woo_order_id=str(refunded))
    assert entry.version == 2, "marked again for Xero"
    assert flush.is_waiting(woo_store.id), "the store's flush is started"
    assert connection().refund_checked_at is not None


def test_orders_that_did_not_change_cost_only_their_share_of_one_list(woo_store, woo):
    order_ids = [invoiced_order(woo, woo_store) for _ in range(3)]
    before = calls(woo)
    result = refund_check.check(woo_store.id)
    assert (result.requests, result.orders_checked, result.changed) == (1, 3, [])
    assert result.finished and not result.error
    assert calls(woo) - before == Counter({LIST: 1}), "no order read on its own"
    assert [receipts(order_id) for order_id in order_ids] == [1, 1, 1]
    assert [e.version for e in fresh(OutboxEntry)] == [1, 1, 1]
    assert not flush.is_waiting(woo_store.id)


def test_only_invoices_xero_still_holds_from_the_window_are_checked(woo_store, woo):
    open_invoice, paid, voided, long_ago = (invoiced_order(woo, woo_store) for _ in range(4))
    quoted = sandbox_json(woo, "orders", "POST", payment_method="stripe")["id"]
    pending_delivery(woo_store, quoted)
    records.process(woo_store.id, "order", str(quoted))
    bind(woo_store, quoted, BindingKind.QUOTE, "SENT")
    bindings = {int(b.woo_id): b for b in fresh(Binding)}
    bindings[paid].xero_status = "PAID"  # a paid invoice is credited like any other
    bindings[voided].xero_status = "VOIDED"
    bindings[long_ago].created_at = utcnow() - timedelta(days=181)  # the default window: 180
    db.session.commit()
    for order_id in (open_invoice, paid, voided, long_ago, quoted):
        refund(woo, order_id)
    result = refund_check.check(woo_store.id)
    assert result.orders_checked == 2
    assert sorted(result.changed) == sorted([str(open_invoice), str(paid)])


def test_refused_keys_defer_the_check_with_a_note(woo_store, woo):
    invoiced_order(woo, woo_store)
    row = connection()
    row.consumer_secret = "cs_" + "0" * 40
    db.session.commit()
    result = refund_check.check(woo_store.id)
    assert "refused the API keys" in result.error
    row = connection()
    assert row.status.value == "needs_reauthorisation"
    assert row.refund_check_failures == 1 and "refused the API keys" in row.refund_check_error
    assert woo_store.id not in refund_check.due_store_ids(utcnow() + timedelta(days=1)), (
        "nothing is asked of the store until it has new keys"
    )


def test_a_store_that_is_down_is_checked_again_later_backing_off(woo_store, woo):
    order_id = invoiced_order(woo, woo_store)
    refund(woo, order_id)
    url = woo_store.url
    woo_store.url = "http://no-such-store.invalid"
    db.session.commit()
    assert "could not reach the store" in refund_check.check(woo_store.id).error
    row = connection()
    assert (row.refund_check_failures, row.status.value) == (1, "connected")
    assert "could not reach the store" in row.refund_check_error
    assert woo_store.id not in refund_check.due_store_ids(), "a pause after a failure"
    assert woo_store.id in refund_check.due_store_ids(utcnow() + timedelta(minutes=6))
    refund_check.check(woo_store.id)
    assert connection().refund_check_failures == 2
    assert woo_store.id not in refund_check.due_store_ids(utcnow() + timedelta(minutes=6))
    assert woo_store.id in refund_check.due_store_ids(utcnow() + timedelta(minutes=11))

    db.session.get(Store, woo_store.id).url = url
    db.session.commit()
    assert refund_check.check(woo_store.id).changed == [str(order_id)]
    row = connection()
    assert (row.refund_check_failures, row.refund_check_error) == (0, "")
    assert woo_store.id not in refund_check.due_store_ids(utcnow() + timedelta(minutes=59))


def spy_on_lists(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ids each list request asks for (the request itself goes to the store)."""
    asked: list[list[int]] = []
    original = WooClient.page

    def page(self, endpoint, params, number):
        if endpoint == "orders":
            asked.append([int(i) for i in params["include"]])
        return original(self, endpoint, params, number)

    monkeypatch.setattr(WooClient, "page", page)
    return asked


def test_many_orders_are_checked_in_include_chunks_of_100_over_several_runs(
    woo_store, woo, monkeypatch
):
    placed = [
        sandbox_json(woo, "orders", "POST", payment_method="stripe")["id"] for _ in range(250)
    ]
    client = woo_access.client_for(woo_store)
    listed = list(client.iterate("orders", {"include": placed, "orderby": "id", "order": "asc"}))
    for order in listed:  # kept as read by a poll, bound in the order placed
        records.keep(woo_store.id, "order", str(order["id"]), order)
        db.session.add(
            Binding(
                store_id=woo_store.id, kind=BindingKind.INVOICE, woo_id=str(order["id"]),
                xero_id=str(uuid.uuid4()), xero_status="AUTHORISED",
            )
        )  # fmt: skip
    db.session.commit()
    refund(woo, placed[230])
    asked = spy_on_lists(monkeypatch)
    monkeypatch.setattr(refund_check, "CHUNKS_PER_RUN", 2)

    first = refund_check.check(woo_store.id)
    assert (first.requests, first.finished, first.changed) == (2, False, [])
    assert connection().refund_check_cursor > 0, "the position is kept"
    assert woo_store.id in refund_check.due_store_ids(), "the round goes on at the next tick"
    second = refund_check.check(woo_store.id)
    assert (second.requests, second.finished) == (1, True)
    assert second.changed == [str(placed[230])]

    assert [len(ids) for ids in asked] == [100, 100, 50]
    assert sorted(i for ids in asked for i in ids) == sorted(placed), "each order once"
    assert connection().refund_check_cursor == 0
    assert woo_store.id not in refund_check.due_store_ids(), "until the interval has passed"


def test_the_schedule_starts_one_check_per_due_store(woo_store, woo, redis):
    assert inbound.check_woo_refunds() == 1
    assert inbound.check_woo_refunds() == 1, "still due: its job has not run"
    (job,) = Queue("low", connection=redis).jobs
    assert job.func_name == inbound.check_store_refunds.path, "one job, at low priority"
    outcome = inbound.check_store_refunds(woo_store.id)
    assert outcome == "0 orders in 0 requests, 0 changed, 0 busy; the round is finished"
    assert inbound.check_woo_refunds() == 0, "due again once the interval has passed"
    row = connection()
    row.refund_checked_at = utcnow() - timedelta(minutes=61)
    db.session.get(Store, woo_store.id).state = StoreState.PAUSED
    db.session.commit()
    assert inbound.check_woo_refunds() == 0, "a paused store is not checked"
