"""POST /webhooks/woocommerce/<store>: every bad input gets its status and stores nothing;
good deliveries are stored before the answer, bursts coalesced, and repeats recognised by the
record's job (`intake.sort_out`, which it runs before reading the store)."""

import base64
import hashlib
import hmac
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rq import Queue

from server import redis_client
from server.extensions import db
from server.inbound import intake as woo_intake
from server.inbound.intake import record_hash
from server.jobs.tasks import inbound
from server.jobs.tasks.inbound import REQUEUE_AFTER, requeue_pending_events, take_up_deliveries
from server.models import (
    ConnectionStatus,
    EventSource,
    EventStatus,
    InboundEvent,
    Store,
    StoreState,
    WooConnection,
    WooRecord,
)
from server.models.types import utcnow
from server.redis_client import redis_from_url
from server.web.webhooks.woocommerce import ONE_STATEMENT_DIALECTS

pytestmark = pytest.mark.usefixtures("quick_retries")

SECRET = "0123456789abcdef" * 4


def make_store(state=StoreState.ACTIVE, url: str = "https://shop.example") -> Store:
    store = Store(url=url, state=state)
    db.session.add(store)
    db.session.flush()
    db.session.add(WooConnection(store_id=store.id, webhook_secret=SECRET, status=ConnectionStatus.CONNECTED,
                                 consumer_key="ck_x", consumer_secret="cs_x"))  # fmt: skip
    db.session.commit()
    return store


def order(
    order_id: int = 42, modified: str = "2026-11-22T10:00:00", status: str = "processing"
) -> bytes:
    # compact like wp_json_encode, slashes escaped as PHP does
    body = {
        "id": order_id,
        "number": str(order_id),
        "status": status,
        "date_modified_gmt": modified,
        "total": "10.00",
        "_links": {"self": [{"href": "https://shop.example/wp-json/wc/v3/orders/42"}]},
    }
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode()


def headers(body: bytes, topic: str = "order.updated", secret: str = SECRET) -> dict[str, str]:
    resource, event = topic.split(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": base64.b64encode(
            hmac.new(secret.encode(), body, hashlib.sha256).digest()
        ).decode(),
        "X-WC-Webhook-ID": "11",
        "X-WC-Webhook-Delivery-ID": "d" * 32,
    }


def deliver(client, store, body, **options):
    return client.post(
        f"/webhooks/woocommerce/{store.public_id}", data=body, headers=headers(body, **options)
    )


def events() -> list[InboundEvent]:
    db.session.rollback()
    rows = db.session.scalars(sa.select(InboundEvent).order_by(InboundEvent.id)).all()
    db.session.commit()
    return rows


def record_jobs(redis) -> list[tuple[int, str]]:
    """The records handed to their stores' jobs, (store id, "resource:id") in order, once the
    job the webhook enqueues has taken up the records it noted (run here as a worker would
    run it); one job waits per store."""
    high = Queue("high", connection=redis)
    assert [job.func_name.rsplit(".", 1)[-1] for job in high.jobs] == ["take_up_deliveries"]
    high.empty()
    take_up_deliveries()
    jobs = queued(redis)
    assert {name for name, _ in jobs} == {"process_store_deliveries"}
    assert len({arguments for _, arguments in jobs}) == len(jobs), "one job per store"
    return [
        (store_id, item.decode())
        for _, (store_id,) in jobs
        for item in redis.lrange(f"{inbound.DELIVERED}:{store_id}", 0, -1)
    ]


def sorted_out(store, resource_id: str = "42") -> list[InboundEvent]:
    """The events once the record's job has sorted out the repeats."""
    db.session.rollback()
    woo_intake.sort_out(store.id, "order", resource_id)
    db.session.commit()
    return events()


def queued(redis) -> list[tuple[str, tuple]]:
    """The waiting jobs, as (function name, arguments)."""
    jobs = Queue("default", connection=redis).jobs
    return [(job.func_name.rsplit(".", 1)[-1], job.args) for job in jobs]


def test_a_valid_delivery_is_stored_and_one_job_enqueued(client, redis):
    store = make_store()
    response = deliver(client, store, order())
    assert response.status_code == 200 and response.data == b""
    (event,) = events()
    assert (event.source, event.topic, event.resource, event.resource_id, event.status) == (
        EventSource.WOOCOMMERCE_WEBHOOK,
        "order.updated",
        "order",
        "42",
        EventStatus.PENDING,
    )
    assert event.payload["total"] == "10.00" and event.delivery_id == "d" * 32
    assert record_jobs(redis) == [(store.id, "order:42")]


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (
            lambda body, h: (body, {k: v for k, v in h.items() if k != "X-WC-Webhook-Signature"}),
            401,
        ),
        (lambda body, h: (body, {**h, "X-WC-Webhook-Signature": "AAAA"}), 401),
        (lambda body, h: (body + b" ", h), 401),
        (lambda body, h: (body, headers(body, secret="another-secret")), 401),
        (lambda body, h: (b"{not json", headers(b"{not json")), 400),
        (lambda body, h: (b'{"no": "id"}', headers(b'{"no": "id"}')), 400),
        (lambda body, h: (body, {**h, "X-WC-Webhook-Topic": "garbage"}), 400),
    ],
)
def test_bad_deliveries_get_their_status_and_store_nothing(client, redis, mutate, status):
    store = make_store()
    body, sent_headers = mutate(order(), headers(order()))
    response = client.post(
        f"/webhooks/woocommerce/{store.public_id}", data=body, headers=sent_headers
    )
    assert response.status_code == status
    assert events() == [] and queued(redis) == []


def test_an_unknown_store_is_404(client):
    make_store()
    assert (
        client.post(
            "/webhooks/woocommerce/nope", data=order(), headers=headers(order())
        ).status_code
        == 404
    )
    assert events() == []


def test_the_unsigned_ping_is_200_and_stores_nothing(client):
    store = make_store()
    response = client.post(f"/webhooks/woocommerce/{store.public_id}", data=b"webhook_id=11",
                           headers={"User-Agent": "WooCommerce/7.4.1 Hookshot (WordPress/6.1.9)"})  # fmt: skip
    assert response.status_code == 200
    assert events() == []


def test_an_over_large_body_is_413(client, settings):
    store = make_store()
    big = order().replace(
        b'"total"', b'"padding":"' + b"x" * settings.woocommerce.max_webhook_bytes + b'","total"'
    )
    response = client.post(
        f"/webhooks/woocommerce/{store.public_id}", data=big, headers=headers(big)
    )
    assert response.status_code == 413
    assert events() == []


def test_a_repeat_is_stored_joins_the_waiting_job_and_is_sorted_out_by_it(client, redis):
    store = make_store()
    assert deliver(client, store, order()).status_code == 200
    assert deliver(client, store, order()).status_code == 200
    assert [e.status for e in events()] == [EventStatus.PENDING, EventStatus.PENDING]
    assert record_jobs(redis) == [(store.id, "order:42")]
    assert [e.status for e in sorted_out(store)] == [EventStatus.PENDING, EventStatus.DUPLICATE]
    assert [e.payload_hash for e in events()] == [record_hash(json.loads(order()))] * 2


def test_a_version_older_than_the_one_processed_is_a_duplicate(client, redis):
    store = make_store()
    db.session.add(WooRecord(store_id=store.id, resource="order", woo_id="42", content_hash="x",
                             modified_at=datetime(2026, 11, 22, 11, 0, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    deliver(client, store, order(modified="2026-11-22T10:00:00"))
    assert [e.status for e in sorted_out(store)] == [EventStatus.DUPLICATE]
    deliver(client, store, order(modified="2026-11-22T12:00:00"))
    assert [e.status for e in sorted_out(store)] == [EventStatus.DUPLICATE, EventStatus.PENDING]


def test_two_changes_in_the_same_second_are_both_kept(client, redis):
    """WooCommerce's dates have whole seconds: a payment a moment after the order was placed
    carries the same modification time, and only its content differs."""
    store = make_store()
    deliver(client, store, order(status="pending"))
    deliver(client, store, order(status="processing"))
    deliver(client, store, order(status="processing"))
    assert [e.status for e in sorted_out(store)] == [
        EventStatus.PENDING, EventStatus.PENDING, EventStatus.DUPLICATE,
    ]  # fmt: skip


def processed(store, body: bytes, modified: datetime) -> None:
    """The record as if its job had read and kept `body`."""
    content = json.loads(body)
    db.session.add(WooRecord(store_id=store.id, resource="order", woo_id="42",
                             content_hash=record_hash(content), modified_at=modified,
                             read_at=modified.replace(second=30)))  # fmt: skip
    db.session.commit()


def test_the_version_processed_is_a_duplicate_only_with_the_same_content(client, redis):
    """A partial refund leaves `date_modified` as it was: a delivery as old as the processed
    version with other content (the refund, the totals) is new work, however late it comes."""
    ten = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    store = make_store()
    processed(store, order(modified="2026-11-22T10:00:00"), modified=ten)
    deliver(client, store, order(modified="2026-11-22T10:00:00"))
    assert [e.status for e in sorted_out(store)] == [EventStatus.DUPLICATE]
    refunded = order(modified="2026-11-22T10:00:00").replace(
        b'"10.00"', b'"10.00","refunds":[{"id":7,"total":"-4.00"}]'
    )
    deliver(client, store, refunded)
    assert [e.status for e in sorted_out(store)] == [EventStatus.DUPLICATE, EventStatus.PENDING]
    assert record_jobs(redis) == [(store.id, "order:42")]


def action(hook: str, arg: object) -> bytes:
    return json.dumps({"action": hook, "arg": arg}, separators=(",", ":")).encode()


def test_an_order_refunded_action_reads_the_order_again(client, redis):
    """WooCommerce's `action.woocommerce_order_refunded` carries only the order's id."""
    store = make_store()
    body = action("woocommerce_order_refunded", 42)
    topic = "action.woocommerce_order_refunded"
    assert deliver(client, store, body, topic=topic).status_code == 200
    assert deliver(client, store, body, topic=topic).status_code == 200
    assert [(e.topic, e.resource, e.resource_id, e.resource_modified_at, e.status)
            for e in sorted_out(store)] == [
        (topic, "order", "42", None, EventStatus.PENDING),
        (topic, "order", "42", None, EventStatus.DUPLICATE),
    ]  # fmt: skip
    assert record_jobs(redis) == [(store.id, "order:42")]


def test_another_action_is_kept_and_ignored(client, redis):
    store = make_store()
    body = action("woocommerce_new_order", 42)
    assert deliver(client, store, body, topic="action.woocommerce_new_order").status_code == 200
    assert [(e.resource, e.status) for e in events()] == [("action", EventStatus.IGNORED)]
    assert queued(redis) == []


@pytest.mark.parametrize(
    "body",
    [
        action("woocommerce_order_refunded", "42"),
        action("woocommerce_order_refunded", 0),
        action("woocommerce_order_refunded", True),
        action("woocommerce_order_status_changed", 42),
        b'{"arg": 42}',
    ],
)
def test_a_malformed_order_action_is_400(client, redis, body):
    store = make_store()
    answer = deliver(client, store, body, topic="action.woocommerce_order_refunded")
    assert answer.status_code == 400 and answer.json["error"]
    assert events() == [] and queued(redis) == []


def test_a_failed_event_does_not_make_the_next_copy_a_duplicate(client, redis):
    store = make_store()
    deliver(client, store, order())
    db.session.execute(sa.update(InboundEvent).values(status=EventStatus.FAILED))
    db.session.commit()
    deliver(client, store, order())
    assert [e.status for e in sorted_out(store)] == [EventStatus.FAILED, EventStatus.PENDING]


def test_a_burst_for_one_order_becomes_one_waiting_job(client, redis):
    store = make_store()
    for minute in range(10):
        deliver(client, store, order(modified=f"2026-11-22T10:{minute:02d}:00"))
    assert len(events()) == 10
    assert record_jobs(redis) == [(store.id, "order:42")]


def test_deliveries_for_several_orders_take_one_job_to_hand_them_to_the_stores_job(client, redis):
    store = make_store()
    for order_id in (7, 8, 7, 9):
        assert deliver(client, store, order(order_id=order_id)).status_code == 200
    assert record_jobs(redis) == [(store.id, f"order:{order_id}") for order_id in (7, 8, 9)]
    assert deliver(client, store, order(order_id=10)).status_code == 200
    assert record_jobs(redis)[-1] == (store.id, "order:10"), (
        "a delivery after the take-up job started gets a take-up job of its own"
    )


def test_a_store_with_a_backlog_takes_turns_with_the_others(client, redis, monkeypatch):
    busy, other = make_store(), make_store(url="https://other.example")
    for order_id in range(1, inbound.STORE_SLICE + 6):  # one take-up job for all of them
        deliver(client, busy, order(order_id=order_id))
    deliver(client, other, order(order_id=1))
    assert len(record_jobs(redis)) == inbound.STORE_SLICE + 6
    processed = []
    monkeypatch.setattr(inbound.records, "process", lambda store_id, resource, woo_id: (
        processed.append((store_id, woo_id)) or inbound.records.RecordResult(
            inbound.records.RecordOutcome.NOTHING_PENDING)))  # fmt: skip
    queue = Queue("default", connection=redis)
    queue.remove(queue.jobs[0])  # the busy store's job, run here as a worker would
    inbound.process_store_deliveries(busy.id)
    assert len(processed) == inbound.STORE_SLICE
    assert {store_id for store_id, _ in processed} == {busy.id}
    assert queued(redis) == [
        ("process_store_deliveries", (other.id,)),
        ("process_store_deliveries", (busy.id,)),
    ], "the rest of the backlog waits behind the other store"


def test_a_paused_store_gets_200_and_its_events_wait(client, redis):
    store = make_store(StoreState.PAUSED)
    assert deliver(client, store, order()).status_code == 200
    assert [e.status for e in events()] == [EventStatus.PENDING]
    assert queued(redis) == []


def test_deletions_and_unfollowed_resources(client, redis):
    store = make_store()
    deleted = json.dumps({"id": 42}).encode()
    deliver(client, store, deleted, topic="order.deleted")
    deliver(client, store, deleted, topic="order.deleted")
    coupon = json.dumps({"id": 3, "date_modified_gmt": "2026-11-22T10:00:00"}).encode()
    deliver(client, store, coupon, topic="coupon.updated")
    assert [(e.topic, e.status) for e in sorted_out(store)] == [
        ("order.deleted", EventStatus.PENDING),
        ("order.deleted", EventStatus.DUPLICATE),
        ("coupon.updated", EventStatus.IGNORED),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"id": 42, "meta": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"id": 42, "total": NaN}',
        b'{"id": 42, "note": "\\ud800"}',  # a lone surrogate: neither database stores it
    ],
)
def test_a_signed_delivery_that_cannot_be_read_is_400_and_stores_nothing(client, redis, body):
    store = make_store()
    answer = deliver(client, store, body)
    assert answer.status_code == 400 and answer.json["error"].startswith("not a WooCommerce")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert events() == [] and queued(redis) == []


def test_intake_answers_beside_the_app_as_the_app_would(client, redis):
    """Deliveries are answered in front of Flask's request handling: no session cookie, the
    headers every answer carries, and what is not a delivery still goes to the app."""
    store = make_store()
    path = f"/webhooks/woocommerce/{store.public_id}"
    answer = deliver(client, store, order())
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert client.get(path).status_code == 405
    assert client.post(path + "/more", data=order(), headers=headers(order())).status_code == 404
    assert client.post("/webhooks/woocommerce/%00", data=order()).status_code == 400
    assert [e.resource_id for e in events()] == ["42"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_modification_time_beyond_the_calendar_in_utc_is_read_as_none(client, moment):
    """As any unreadable time: the job reads the order's current version anyway."""
    store = make_store()
    body = json.dumps({"id": 42, "date_modified_gmt": moment}).encode()
    assert deliver(client, store, body).status_code == 200
    (event,) = events()
    assert event.resource_id == "42" and event.resource_modified_at is None


def test_a_chunked_delivery_over_the_limit_is_413_not_a_bad_signature(client, redis):
    store = make_store()
    limit = client.application.extensions["wooxero.config"].woocommerce.max_webhook_bytes
    body = order()[:-1] + b', "pad": "' + b"x" * limit + b'"}'
    answer = client.post(
        f"/webhooks/woocommerce/{store.public_id}", input_stream=io.BytesIO(body),
        headers={**headers(body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert answer.status_code == 413
    assert events() == [] and queued(redis) == []


def test_every_200_is_a_stored_row_under_concurrent_deliveries(app_context):
    """Eight senders at once, every delivery a new order: as many rows as 200s, each its own."""
    store = make_store()
    public_id = store.public_id
    db.session.commit()

    def send(sender: int) -> list[str]:
        client = app_context.test_client()
        answered = []
        for n in range(25):
            body = order(order_id=1000 * (sender + 1) + n)
            path = f"/webhooks/woocommerce/{public_id}"
            if client.post(path, data=body, headers=headers(body)).status_code == 200:
                answered.append(str(1000 * (sender + 1) + n))
        return answered

    with ThreadPoolExecutor(8) as senders:
        answered = [order_id for ids in senders.map(send, range(8)) for order_id in ids]
    assert len(answered) == 200
    assert sorted(e.resource_id for e in events()) == sorted(answered)


def test_a_changed_secret_applies_from_the_next_delivery(client, redis):
    store = make_store()
    assert deliver(client, store, order()).status_code == 200  # the old secret now kept
    connection = db.session.scalar(sa.select(WooConnection))
    connection.webhook_secret = "a-new-secret"
    db.session.commit()
    assert deliver(client, store, order(status="completed")).status_code == 401
    answer = deliver(client, store, order(status="completed"), secret="a-new-secret")
    assert answer.status_code == 200
    connection.webhook_secret = None  # as disconnecting leaves it
    db.session.commit()
    assert deliver(client, store, order(), secret="a-new-secret").status_code == 401
    assert [e.payload["status"] for e in events()] == ["processing", "completed"]


def test_a_stores_next_deliveries_take_one_statement_each_on_postgresql(client, redis):
    store = make_store()
    one_statement = db.engine.dialect.name in ONE_STATEMENT_DIALECTS
    assert deliver(client, store, order()).status_code == 200  # the store is read here
    store_id, url = store.id, f"/webhooks/woocommerce/{store.public_id}"
    body = order(status="completed")
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = client.post(url, data=body, headers=headers(body))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.status_code == 200
    kinds = ["INSERT"] if one_statement else ["SELECT", "INSERT"]
    assert [s.split()[0].upper() for s in statements] == kinds, statements
    assert [e.payload["status"] for e in events()] == ["processing", "completed"]
    assert record_jobs(redis) == [(store_id, "order:42")]


def test_a_store_paused_since_its_last_delivery_keeps_the_next_one_waiting(client, redis):
    store = make_store()
    assert deliver(client, store, order()).status_code == 200
    assert record_jobs(redis) == [(store.id, "order:42")]
    store.state = StoreState.PAUSED
    db.session.commit()
    redis.flushdb()
    assert deliver(client, store, order(status="completed")).status_code == 200
    assert [e.status for e in events()] == [EventStatus.PENDING] * 2
    assert Queue("high", connection=redis).jobs == [], "a paused store's record is not taken up"


def test_a_store_deleted_since_its_last_delivery_is_404_and_nothing_is_stored(client, redis):
    store = make_store()
    assert deliver(client, store, order()).status_code == 200
    db.session.delete(db.session.get(WooConnection, store.id) or db.session.scalar(
        sa.select(WooConnection).where(WooConnection.store_id == store.id)))  # fmt: skip
    db.session.delete(store)
    db.session.commit()
    assert deliver(client, store, order(status="completed")).status_code == 404
    assert events() == []


def test_with_redis_down_a_delivery_is_stored_and_the_sweeper_enqueues_it(
    client, redis, monkeypatch, tmp_path
):
    store = make_store()
    unreachable = redis_from_url(f"unix://{tmp_path}/nothing.sock")
    with monkeypatch.context() as down:
        down.setitem(client.application.extensions, redis_client.EXTENSION_KEY, unreachable)
        assert deliver(client, store, order()).status_code == 200
    assert [(e.resource_id, e.status) for e in events()] == [("42", EventStatus.PENDING)]
    assert queued(redis) == []
    db.session.execute(
        sa.update(InboundEvent).values(received_at=utcnow() - REQUEUE_AFTER - timedelta(seconds=1))
    )
    db.session.commit()
    assert requeue_pending_events() == 1
    assert queued(redis) == [("process_woo_record", (store.id, "order", "42"))]


def test_the_sweeper_leaves_a_backlog_to_its_stores_job_and_takes_up_what_was_lost(client, redis):
    store = make_store()
    for order_id in (7, 8):
        assert deliver(client, store, order(order_id=order_id)).status_code == 200
    assert record_jobs(redis) == [(store.id, "order:7"), (store.id, "order:8")]
    redis.lpop(f"{inbound.DELIVERED}:{store.id}")  # order 7 taken by a job then killed…
    Queue("default", connection=redis).empty()  # …and the store's job lost with its worker
    redis.delete(*redis.keys("wooxero:waiting:*"))
    db.session.execute(
        sa.update(InboundEvent).values(received_at=utcnow() - REQUEUE_AFTER - timedelta(seconds=1))
    )
    db.session.commit()
    assert requeue_pending_events() == 1
    assert sorted(queued(redis)) == [
        ("process_store_deliveries", (store.id,)),  # order 8's turn comes as before
        ("process_woo_record", (store.id, "order", "7")),
    ]
    attempts = {event.resource_id: event.attempts for event in events()}
    assert attempts == {"7": 1, "8": 0}, "an event still in its store's list spends no attempt"


def test_the_sweeper_enqueues_again_the_take_up_of_deliveries_a_killed_worker_lost(client, redis):
    store = make_store()
    assert deliver(client, store, order()).status_code == 200
    Queue("high", connection=redis).empty()
    redis.delete(*redis.keys("wooxero:waiting:*"))
    requeue_pending_events()
    assert record_jobs(redis) == [(store.id, "order:42")]
