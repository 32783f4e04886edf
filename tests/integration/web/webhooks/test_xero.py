"""POST /webhooks/xero: signature, intent-to-receive, storing and enqueueing, and what the
job does with an event; plus the sandbox's own checks against a live server."""

import base64
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from rq import Queue
from werkzeug.serving import make_server

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.extensions import db
from server.inbound import retries
from server.jobs.tasks import inbound, pull
from server.models import (
    Binding,
    BindingKind,
    ConnectionStatus,
    Direction,
    EventStatus,
    InboundEvent,
    Outcome,
    StoreState,
    SyncRecord,
    XeroConnection,
)
from server.models.types import utcnow
from tests.conftest import XERO_WEBHOOK_KEY
from tests.support.jobs import run_jobs
from tests.support.waiting import HTTP_TIMEOUT, wait_until
from tests.support.xero import configure, make_store

TENANT = "11111111-1111-4111-8111-111111111111"


def payload(*events: dict) -> bytes:
    return json.dumps({"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events),
                       "entropy": "ABCDEFGHIJ"}).encode()  # fmt: skip


def event(resource_id: str = "i-1", tenant: str = TENANT, category: str = "INVOICE") -> dict:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}", "resourceId": resource_id,
        "eventDateUtc": "2026-11-22T10:00:00.000", "eventType": "UPDATE", "eventCategory": category,
        "tenantId": tenant, "tenantType": "ORGANISATION",
    }  # fmt: skip


def signature(body: bytes, key: str = XERO_WEBHOOK_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, body: bytes, key: str = XERO_WEBHOOK_KEY):
    return client.post("/webhooks/xero", data=body, headers={"x-xero-signature": signature(body, key),
                                                             "Content-Type": "application/json"})  # fmt: skip


def stored_events() -> list[InboundEvent]:
    """Read in a transaction of its own, ended at once: on SQLite an open one would hold the
    write lock a live server needs to store the next delivery."""
    db.session.rollback()
    rows = db.session.scalars(sa.select(InboundEvent).order_by(InboundEvent.id)).all()
    db.session.commit()
    return rows


def connected_to(tenant_id: str, url: str = "https://shop.example"):
    from server.models import ConnectionStatus, XeroConnection

    store = make_store(url)
    db.session.add(
        XeroConnection(store_id=store.id, tenant_id=tenant_id, status=ConnectionStatus.CONNECTED)
    )
    db.session.commit()
    return store


def test_intent_to_receive_gets_an_empty_200_without_a_cookie(client):
    body = payload()
    response = deliver(client, body)
    assert response.status_code == 200
    assert response.data == b""
    assert "Set-Cookie" not in response.headers
    assert stored_events() == []


@pytest.mark.parametrize("key", ["wrong-key", ""])
def test_a_wrong_signature_is_401_and_nothing_is_stored(client, key):
    connected_to(TENANT)
    response = deliver(client, payload(event()), key=key)
    assert response.status_code == 401 and response.data == b""
    assert stored_events() == []


def test_a_missing_signature_is_401(client):
    response = client.post("/webhooks/xero", data=payload(event()))
    assert response.status_code == 401


def test_an_event_is_stored_for_each_connected_store_and_one_job_enqueued_each(client, redis):
    first = connected_to(TENANT, "https://one.example")
    second = connected_to(TENANT, "https://two.example")
    response = deliver(client, payload(event("i-1"), event("i-2")))
    assert response.status_code == 200
    rows = stored_events()
    assert sorted((r.store_id, r.resource_id) for r in rows) == sorted(
        [(first.id, "i-1"), (second.id, "i-1"), (first.id, "i-2"), (second.id, "i-2")]
    )
    assert {(r.topic, r.resource, r.status) for r in rows} == {
        ("invoice.update", "invoice", EventStatus.PENDING)
    }
    assert sorted(queued_events(redis)) == sorted(r.id for r in rows)


def queued_events(redis) -> list[int]:
    """The event ids of the Xero event jobs waiting in the queue."""
    jobs = Queue("low", connection=redis).jobs
    assert {job.func_name for job in jobs} <= {"server.jobs.tasks.pull.process_xero_event"}
    return [job.args[0] for job in jobs]


def test_a_redelivered_event_is_not_stored_twice(client):
    connected_to(TENANT)
    body = payload(event("i-1"))
    deliver(client, body)
    deliver(client, body)
    assert len(stored_events()) == 1


def test_an_event_for_an_organisation_no_store_uses_is_kept_as_ignored(client, redis):
    response = deliver(client, payload(event(tenant="22222222-2222-4222-8222-222222222222")))
    assert response.status_code == 200
    (row,) = stored_events()
    assert row.store_id is None and row.status == EventStatus.IGNORED
    assert Queue("low", connection=redis).job_ids == []


def test_an_event_for_a_record_wooxero_did_not_create_is_ignored_without_asking_xero(
    client, app_context, sandbox
):
    connected_to(TENANT)
    deliver(client, payload(event("i-9")))
    run_jobs(app_context)
    (row,) = stored_events()
    assert row.status == EventStatus.IGNORED and row.error == "not a record wooxero created"
    assert requests.get(f"{sandbox.base_url}/_sandbox/calls", timeout=HTTP_TIMEOUT).json() == {}


def test_a_paused_store_keeps_its_events_pending(client, app_context):
    store = connected_to(TENANT)
    store.state = StoreState.PAUSED
    db.session.commit()
    deliver(client, payload(event("i-1")))
    run_jobs(app_context)
    (row,) = stored_events()
    assert row.status == EventStatus.PENDING


@pytest.fixture
def live_server(app_context) -> Iterator[str]:
    """This app served over HTTP in a thread, for Xero's deliveries and checks."""
    server = make_server("127.0.0.1", 0, app_context, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_xeros_intent_to_receive_check_passes(live_server, sandbox):
    configure(sandbox, webhook_url=f"{live_server}/webhooks/xero")
    report = requests.post(
        f"{sandbox.base_url}/_sandbox/webhooks/intent-to-receive", timeout=30
    ).json()
    assert report["passed"], report


def test_a_change_in_xero_reaches_the_audit_trail(
    live_server, app_context, connected_store, sandbox
):
    from server.connections.xero import access as xero_access

    configure(sandbox, webhook_url=f"{live_server}/webhooks/xero")
    connection = xero_access.connection_for_store(connected_store.id)
    client = xero_access.client_for(connection)
    (created,) = next(write_batches(client, resources.INVOICES, [{
        "Type": "ACCREC", "InvoiceNumber": "WC-42", "Contact": {"Name": "Kim Kay"}, "Status": "AUTHORISED",
        "Date": date(2026, 11, 20), "DueDate": date(2026, 12, 20), "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Mug", "Quantity": Decimal("1"), "UnitAmount": Decimal("10.00"),
                       "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }]))  # fmt: skip
    invoice_id = created.element["InvoiceID"]
    db.session.add(Binding(store_id=connected_store.id, kind=BindingKind.INVOICE, woo_id="42",
                           xero_id=invoice_id, xero_number="WC-42"))  # fmt: skip
    db.session.commit()
    next(write_batches(client, resources.PAYMENTS, [{
        "Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Date": date(2026, 11, 21),
        "Amount": Decimal("11.50"),
    }]))  # fmt: skip

    wait_until(
        lambda: any(
            e.resource_id == invoice_id and e.topic == "invoice.update" for e in stored_events()
        ),
        "Xero's webhook for the payment",
        interval=0.2,
    )
    run_jobs(app_context)
    records = db.session.scalars(
        sa.select(SyncRecord).where(SyncRecord.direction == Direction.PULL)
    ).all()
    assert records, "the payment's INVOICE event was processed"
    latest = records[-1]
    assert (latest.kind, latest.woo_id, latest.xero_id, latest.outcome) == (
        "invoice",
        "42",
        invoice_id,
        Outcome.OK,
    )
    assert "WC-42 is PAID in Xero" in latest.message
    assert latest.xero_total == Decimal("11.50")
    assert all(
        e.status != EventStatus.PENDING for e in stored_events() if e.resource_id == invoice_id
    )


def old_pending_event(store, resource_id: str = "i-1") -> InboundEvent:
    from datetime import timedelta

    from server.models import EventSource
    from server.models.types import utcnow

    row = InboundEvent(
        store_id=store.id, source=EventSource.XERO_WEBHOOK, topic="invoice.update", resource="invoice",
        resource_id=resource_id, received_at=utcnow() - timedelta(minutes=10),
    )  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def test_the_sweeper_enqueues_events_left_pending_by_active_stores_only(app_context, redis):
    active = connected_to(TENANT, "https://active.example")
    paused = connected_to(TENANT, "https://paused.example")
    paused.state = StoreState.PAUSED
    waiting = old_pending_event(active)
    old_pending_event(paused)
    assert inbound.requeue_pending_events() == 1
    assert queued_events(redis) == [waiting.id]
    (swept,) = [e for e in stored_events() if e.id == waiting.id]
    assert swept.attempts == 1 and swept.next_attempt_at is not None
    assert inbound.requeue_pending_events() == 0, "not again before its next attempt is due"


def test_a_failing_xero_leaves_the_event_pending_with_the_reason(
    app_context, connected_store, sandbox
):
    row = old_pending_event(connected_store, "bound-invoice")
    db.session.add(
        Binding(
            store_id=connected_store.id,
            kind=BindingKind.INVOICE,
            woo_id="7",
            xero_id="bound-invoice",
        )
    )
    db.session.commit()
    requests.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"path": "/Invoices/bound-invoice", "status": 503, "count": 3},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    outcome = pull.process_xero_event(row.id)
    assert outcome.startswith("deferred")
    (stored,) = stored_events()
    assert stored.status == EventStatus.PENDING
    assert "503" in stored.error
    assert stored.next_attempt_at > utcnow()


def test_a_signed_but_unreadable_payload_is_kept_failed_and_answered_200(client):
    response = deliver(client, b'{"events": "nope"}')
    assert response.status_code == 200 and response.data == b""
    (row,) = stored_events()
    assert row.status == EventStatus.FAILED and row.topic == "unreadable"
    assert row.payload == {"raw": '{"events": "nope"}'}


def test_the_sweeper_leaves_alone_stores_that_must_reconnect(app_context, redis):
    store = connected_to(TENANT)
    connection = db.session.scalar(sa.select(XeroConnection))
    connection.status = ConnectionStatus.NEEDS_REAUTHORISATION
    old_pending_event(store)
    assert inbound.requeue_pending_events() == 0
    (event,) = stored_events()
    assert (event.status, event.attempts) == (EventStatus.PENDING, 0)


def test_the_sweeper_gives_up_after_the_last_attempt(app_context, redis):
    store = connected_to(TENANT)
    event = old_pending_event(store)
    event.attempts = retries.MAX_ATTEMPTS
    event.error = "Xero failed (503)"
    db.session.commit()
    assert inbound.requeue_pending_events() == 0
    (failed,) = stored_events()
    assert failed.status == EventStatus.FAILED
    assert failed.error.startswith(
        f"gave up after {retries.MAX_ATTEMPTS} attempts: Xero failed (503)"
    )
    assert Queue("low", connection=redis).job_ids == []


def test_a_rate_limited_event_waits_for_the_limit_without_spending_an_attempt(
    app_context, connected_store, sandbox
):
    row = old_pending_event(connected_store, "bound-invoice")
    db.session.add(
        Binding(
            store_id=connected_store.id,
            kind=BindingKind.INVOICE,
            woo_id="7",
            xero_id="bound-invoice",
        )
    )
    db.session.commit()
    xero_access.rate_limiter().block(connection_tenant(connected_store), "day", 3600)
    assert pull.process_xero_event(row.id).startswith("deferred")
    (stored,) = stored_events()
    assert (stored.status, stored.attempts) == (EventStatus.PENDING, 0)
    assert stored.next_attempt_at > utcnow() + timedelta(minutes=50)


def connection_tenant(store) -> str:
    return db.session.scalar(
        sa.select(XeroConnection.tenant_id).where(XeroConnection.store_id == store.id)
    )


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"events": [], "firstEventSequence": NaN, "lastEventSequence": 1, "entropy": "x"}',
        payload({**event(), "eventDateUtc": "0001-01-01T00:00:00+05:00"}),
        payload({**event(), "eventCategory": "X" * 40}),
        payload({**event(), "resourceId": "r" * 65}),
        payload({**event(), "resourceId": "i-\x00"}),
        b'{"events": [\x00]}',
    ],
)
def test_a_signed_payload_nested_too_deep_or_out_of_range_is_kept_failed_and_answered_200(
    client, body
):
    """Xero wants a 200 for a correctly signed payload (else it retries, then disables the
    webhook): kept as failed for a person to look at, never a 500."""
    response = deliver(client, body)
    assert response.status_code == 200 and response.data == b""
    (row,) = stored_events()
    assert row.status == EventStatus.FAILED and row.topic == "unreadable"


def test_a_chunked_payload_over_the_limit_is_413_not_a_bad_signature(client):
    body = payload(event()) + b" " * client.application.config["MAX_CONTENT_LENGTH"]
    answer = client.post(
        "/webhooks/xero", input_stream=io.BytesIO(body),
        headers={"x-xero-signature": signature(body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert answer.status_code == 413 and stored_events() == []
