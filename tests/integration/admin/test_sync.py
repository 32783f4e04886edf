"""The sync's rows in the admin panel: stores, orders and Xero documents named with links,
filters by store, status and time, stored JSON shown without secrets, replays."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from rq import Queue

from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    Direction,
    EventSource,
    EventStatus,
    InboundEvent,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    ReferenceKind,
    Store,
    StoreState,
    SyncRecord,
    XeroConnection,
    XeroReference,
)
from tests.support.admin import filter_url
from tests.support.web import admin_action, log_in, make_operator

INVOICE_ID = str(uuid.UUID(int=7))


def _store(n: int, short_code: str = "") -> Store:
    store = Store(url=f"https://shop{n}.example", name=f"Shop {n}", state=StoreState.ACTIVE,
                  admin_url=f"https://admin{n}.example/wp-admin" if n == 2 else "")  # fmt: skip
    db.session.add(store)
    db.session.flush()
    if short_code:
        db.session.add(XeroConnection(store_id=store.id, tenant_id=f"tenant-{n}"))
        db.session.add(XeroReference(store_id=store.id, kind=ReferenceKind.ORGANISATION,
                                     tenant_id=f"tenant-{n}",
                                     rows=[{"ShortCode": short_code}]))  # fmt: skip
    return store


def _record(store: Store, **fields: object) -> SyncRecord:
    values = {"direction": Direction.PUSH, "kind": "invoice", "woo_id": "41", "action": "create",
              "outcome": Outcome.OK, **fields}  # fmt: skip
    record = SyncRecord(store_id=store.id, **values)
    db.session.add(record)
    return record


def _ids(page: str) -> set[int]:
    return {int(value) for value in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}


def test_rows_name_their_store_and_link_orders_and_xero_documents(client):
    make_operator()
    kiwi, other = _store(1, short_code="!kiwi"), _store(2)
    _record(kiwi, xero_id=INVOICE_ID)
    _record(other, kind="contact", woo_id="7", xero_id=INVOICE_ID)
    db.session.add(OutboxEntry(store_id=other.id, woo_order_id="52", kind="invoice",
                               action=OutboxAction.UPSERT, status=OutboxStatus.FAILED))  # fmt: skip
    db.session.add(Binding(store_id=kiwi.id, kind=BindingKind.INVOICE, woo_id="41",
                           xero_id=INVOICE_ID, xero_number="INV-1"))  # fmt: skip
    db.session.add(InboundEvent(store_id=kiwi.id, source=EventSource.WOOCOMMERCE_WEBHOOK,
                                topic="order.updated", resource="order", resource_id="41"))  # fmt: skip
    db.session.commit()
    log_in(client)
    kiwi_link = f'<a href="/admin/store/details/?id={kiwi.id}">Shop 1 (https://shop1.example)</a>'
    order = "https://shop1.example/wp-admin/post.php?post=41&amp;action=edit"
    invoice = ("https://go.xero.com/organisationlogin/default.aspx?shortcode=!kiwi&amp;"
               f"redirecturl=/AccountsReceivable/View.aspx?InvoiceID={INVOICE_ID}")  # fmt: skip
    records = client.get("/admin/syncrecord/").text
    assert kiwi_link in records and f'href="{order}"' in records
    assert f'href="{invoice}"' in records
    assert "post.php?post=7" not in records, "a contact's woo_id is no order"
    assert records.count("go.xero.com") == 1, "no short code read for the other store: no link"
    outbox = client.get("/admin/outboxentry/").text
    assert 'href="https://admin2.example/wp-admin/post.php?post=52&amp;action=edit"' in outbox
    assert f'<a href="/admin/store/details/?id={other.id}">Shop 2' in outbox
    bindings = client.get("/admin/binding/").text
    assert (
        kiwi_link in bindings and f'href="{order}"' in bindings and f'href="{invoice}"' in bindings
    )
    events = client.get("/admin/inboundevent/").text
    assert kiwi_link in events and f'href="{order}"' in events


def test_sync_records_filter_by_store_outcome_kind_and_time(client, app_context):
    make_operator()
    kiwi, other = _store(1), _store(2)
    early = _record(kiwi, started_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    failed = _record(kiwi, outcome=Outcome.ERROR, kind="quote",
                     started_at=datetime(2026, 6, 1, 9, tzinfo=UTC))  # fmt: skip
    elsewhere = _record(other, started_at=datetime(2026, 6, 2, 9, tzinfo=UTC))
    db.session.commit()
    log_in(client)

    def listed(label: str, value: str, operation: str = "") -> set[int]:
        answer = client.get(filter_url(app_context, "syncrecord", label, value, operation))
        assert answer.status_code == 200
        return _ids(answer.text)

    assert listed("Store", "shop1") == {early.id, failed.id}
    assert listed("Store", "Shop 2") == {elsewhere.id}
    assert listed("Outcome", "error", "equals") == {failed.id}
    assert listed("Kind", "quote", "equals") == {failed.id}
    assert listed("Started", "2026-05-01 00:00:00", "after (UTC)") == {failed.id, elsewhere.id}
    assert listed("Started", "2026-06-01 09:00:01", "before (UTC)") == {early.id, failed.id}
    between = "2026-05-01 00:00:00 to 2026-06-01 23:59:59"
    assert listed("Started", between, "between (UTC)") == {failed.id}


def test_inbound_events_filter_by_store_and_status(client, app_context):
    make_operator()
    kiwi, other = _store(1), _store(2)
    events = [
        InboundEvent(store_id=store.id, source=EventSource.WOOCOMMERCE_WEBHOOK, status=status,
                     topic="order.updated", resource="order", resource_id="1")
        for store, status in ((kiwi, EventStatus.FAILED), (kiwi, EventStatus.DONE),
                              (other, EventStatus.FAILED))
    ]  # fmt: skip
    db.session.add_all(events)
    db.session.commit()
    log_in(client)
    page = client.get(filter_url(app_context, "inboundevent", "Status", "failed", "equals"))
    assert _ids(page.text) == {events[0].id, events[2].id}
    page = client.get(filter_url(app_context, "inboundevent", "Store", "shop2.example"))
    assert _ids(page.text) == {events[2].id}


def test_an_events_payload_is_shown_indented_escaped_and_without_secrets(client):
    make_operator()
    store = _store(1)
    payload = {
        "id": 41, "note": "<script>alert(1)</script>",
        "meta_data": [{"key": "_stripe_secret", "value": "sk_live_NOPE"},
                      {"key": "colour", "value": "teal"}],
        "consumer_secret": "cs_NOPE", "links": {"self": "https://x/?consumer_key=ck_NOPE&a=1"},
    }  # fmt: skip
    event = InboundEvent(store_id=store.id, source=EventSource.WOOCOMMERCE_WEBHOOK,
                         topic="order.updated", resource="order", resource_id="41",
                         payload=payload)  # fmt: skip
    record = _record(store, details={"request": {"access_token": "at_NOPE", "total": "9.50"}})
    db.session.add(event)
    db.session.commit()
    log_in(client)
    shown = client.get(f"/admin/inboundevent/details/?id={event.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert(1)" not in shown
    assert '"colour"' in html.unescape(shown) and "teal" in shown
    assert '\n  "id": 41' in html.unescape(shown), "indented"
    assert "NOPE" not in shown and "[hidden]" in shown
    details = client.get(f"/admin/syncrecord/details/?id={record.id}").text
    assert "9.50" in details and "NOPE" not in details


def test_replaying_sync_records_sends_their_orders_again(client, redis):
    make_operator()
    kiwi, other = _store(1), _store(2)
    for store, order, status in ((kiwi, "41", OutboxStatus.FAILED), (kiwi, "42", OutboxStatus.DONE),
                                 (other, "43", OutboxStatus.HELD)):  # fmt: skip
        db.session.add(OutboxEntry(store_id=store.id, woo_order_id=order, kind="invoice",
                                   action=OutboxAction.UPSERT, status=status))  # fmt: skip
    records = [_record(kiwi, woo_id="41"), _record(kiwi, woo_id="42"), _record(kiwi, woo_id="41"),
               _record(other, woo_id="43"), _record(other, kind="contact", woo_id="43")]  # fmt: skip
    db.session.commit()
    log_in(client)
    answer = admin_action(client, "syncrecord", "replay", [record.id for record in records])
    said = html.unescape(client.get(answer.headers["Location"]).text)
    assert "Shop 1 (https://shop1.example): 1 of 2 order(s) sent again" in said
    assert "Shop 2 (https://shop2.example): 1 of 1 order(s) sent again" in said
    statuses = dict(
        db.session.execute(sa.select(OutboxEntry.woo_order_id, OutboxEntry.status)).all()
    )
    assert statuses == {"41": OutboxStatus.PENDING, "42": OutboxStatus.DONE,
                        "43": OutboxStatus.PENDING}  # fmt: skip
    flushes = [job.args for job in Queue("default", connection=redis).get_jobs()]
    assert sorted(flushes) == [(kiwi.id,), (other.id,)]


def test_replaying_rows_that_are_no_orders_says_so(client):
    make_operator()
    record = _record(_store(1), kind="contact", woo_id="5")
    db.session.commit()
    log_in(client)
    answer = admin_action(client, "syncrecord", "replay", [record.id])
    assert "None of the rows selected is an order" in client.get(answer.headers["Location"]).text


@pytest.mark.parametrize("view", ["syncrecord", "outboxentry", "inboundevent"])
def test_replay_and_retry_need_the_csrf_token(client, view):
    make_operator()
    log_in(client)
    action = "retry" if view == "inboundevent" else "replay"
    answer = client.post(f"/admin/{view}/action/", data={"action": action, "rowid": "1"})
    assert answer.status_code == 400
