import itertools
import os
import pickle
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from croniter import croniter
from rq import Queue

from server.extensions import db
from server.jobs import queues
from server.jobs.queues import Priority, enqueue, enqueue_coalesced, is_waiting, started
from server.jobs.schedules import SCHEDULES, build_scheduler
from server.jobs.tasks import housekeeping, inbound, push
from server.jobs.worker import build_worker
from server.models import (
    Audience,
    EventSource,
    EventStatus,
    InboundEvent,
    Notification,
    NotificationKind,
    Outcome,
    Store,
    SyncRecord,
)
from server.models.types import utcnow
from tests.support.jobs import run_jobs
from tests.support.waiting import wait_until
from tests.support.web import csrf_token, log_in, make_operator


def test_a_job_goes_through_redis_to_a_worker_and_back(app_context):
    job = enqueue(housekeeping.check_worker, priority=Priority.HIGH)
    run_jobs(app_context)
    job.refresh()
    assert job.get_status() == "finished"
    result = job.return_value()
    assert result["pid"] == os.getpid()
    assert result["database_time"]


def test_failed_jobs_land_in_the_failed_registry(app_context):
    job = enqueue(housekeeping.purge_expired_records, "unexpected argument")
    run_jobs(app_context)
    job.refresh()
    assert job.get_status() == "failed"
    assert "TypeError" in job.latest_result().exc_string


def event(store, status, age_days):
    return InboundEvent(
        store_id=store.id,
        source=EventSource.WOOCOMMERCE_WEBHOOK,
        topic="order.updated",
        resource="order",
        resource_id="1",
        status=status,
        received_at=utcnow() - timedelta(days=age_days),
    )


def test_purge_keeps_owed_work_and_recent_history(app_context, monkeypatch):
    store = Store(url="https://shop.example")
    db.session.add(store)
    db.session.flush()
    db.session.add_all(
        [
            event(store, EventStatus.DONE, 200),  # settled and old: purged
            event(store, EventStatus.DUPLICATE, 200),  # settled and old: purged
            event(store, EventStatus.DONE, 10),  # recent: kept
            event(store, EventStatus.PENDING, 400),  # owed work: kept
            event(store, EventStatus.FAILED, 400),  # owed work: kept
        ]
    )
    db.session.add_all(
        [
            SyncRecord(
                store_id=store.id,
                kind="invoice",
                action="create",
                outcome=Outcome.OK,
                started_at=utcnow() - timedelta(days=3000),
            ),
            SyncRecord(
                store_id=store.id,
                kind="invoice",
                action="create",
                outcome=Outcome.OK,
                started_at=utcnow() - timedelta(days=30),
            ),
        ]
    )
    db.session.commit()

    long_ago, lately = utcnow() - timedelta(days=100), utcnow() - timedelta(days=10)
    db.session.add_all(
        [
            _notification(store, resolved_at=long_ago),  # over for longer than events are kept
            _notification(store, resolved_at=lately),
            _notification(store, resolved_at=None),  # still going on
        ]
    )
    db.session.commit()

    monkeypatch.setattr(housekeeping, "PURGE_BATCH", 1)  # several batches
    assert housekeeping.purge_expired_records() == {
        "inbound_events": 2, "sync_records": 1, "notifications": 1,
    }  # fmt: skip
    kept = db.session.scalars(sa.select(Notification.resolved_at).order_by(Notification.id))
    assert [moment is None for moment in kept] == [False, True]
    remaining = db.session.scalars(sa.select(InboundEvent.status).order_by(InboundEvent.id)).all()
    assert remaining == [EventStatus.DONE, EventStatus.PENDING, EventStatus.FAILED]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncRecord)) == 1


def _notification(store: Store, resolved_at: datetime | None) -> Notification:
    return Notification(
        store_id=store.id, kind=NotificationKind.TRIAL_ENDED, audience=Audience.STORE,
        occurrence_key="2026-01-01", detected_at=utcnow() - timedelta(days=200),
        resolved_at=resolved_at,
    )  # fmt: skip


def test_scheduler_registers_every_schedule_with_the_job_timeout(app_context, settings):
    scheduler = build_scheduler(app_context)
    registered = {job.name: job for job in scheduler.get_jobs()}
    assert set(registered) == {schedule.name for schedule in SCHEDULES}
    timeouts = {job.job_options["job_timeout"] for job in registered.values()}
    assert timeouts == {settings.worker.job_timeout}


def test_a_lost_delivery_waits_for_the_sweeper_at_most_a_minute_past_its_grace():
    """A delivery whose job was lost (Redis wiped, a worker killed) is owed its sweep soon
    after REQUEUE_AFTER, and a sweep whose own job was lost is followed by another within
    the minute: a five-minute sweep left one such delivery pending for ten minutes."""
    sweeper = next(s for s in SCHEDULES if s.func is inbound.requeue_pending_events)
    assert sweeper.cron is not None
    fires = croniter(sweeper.cron, datetime(2026, 1, 1, tzinfo=UTC))
    moments = [fires.get_next(datetime) for _ in range(120)]
    longest = max(later - earlier for earlier, later in itertools.pairwise(moments))
    assert longest <= timedelta(minutes=1)


def test_system_page_checks_the_worker_round_trip(client, app_context):
    make_operator()
    log_in(client)
    page = client.get("/admin/system/")
    assert "No worker is running" in page.text
    response = client.post("/admin/system/check-worker", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    job_id = re.search(r"job=([\w-]+)", response.headers["Location"]).group(1)
    assert "reload to see the answer" in client.get(response.headers["Location"]).text
    run_jobs(app_context)
    shown = client.get(f"/admin/system/?job={job_id}").text
    assert f"(pid {os.getpid()})" in shown
    assert "finished" in shown


def test_system_page_lists_running_workers_and_schedulers(client, app_context):
    make_operator()
    log_in(client)
    scheduler = build_scheduler(app_context)
    scheduler.claim.take()  # its heartbeat renews the claim, as `start` holds it
    scheduler.register_birth()
    scheduler.heartbeat()
    worker = build_worker(app_context, in_process=True)
    worker.register_birth()
    try:
        page = client.get("/admin/system/").text
    finally:
        worker.register_death()
        scheduler.register_death()
        scheduler.claim.release()
    assert scheduler.name in page
    assert worker.name in page
    assert "No worker is running" not in page
    assert "No scheduler is running" not in page


def test_coalescing_gives_every_request_a_job_that_has_not_looked_yet(app_context, redis):
    first = enqueue_coalesced(housekeeping.check_worker, key="record-1")
    assert first is not None
    assert enqueue_coalesced(housekeeping.check_worker, key="record-1") is None, "waiting: joined"
    started("record-1")  # the job begins and is about to look for its work
    second = enqueue_coalesced(housekeeping.check_worker, key="record-1")
    assert second is not None and second.id != first.id, "a request after that gets its own"
    assert enqueue_coalesced(housekeeping.check_worker, key="record-1") is None
    assert is_waiting("record-1") and not is_waiting("record-2")
    assert len(Queue("default", connection=redis).job_ids) == 2


def test_a_more_urgent_request_does_not_join_a_less_urgent_waiting_job(app_context, redis):
    """The sweeper's `low` flush waits behind a backlog; a `default` request for the same
    store gets a job at its own priority, and later requests join that one."""
    low = enqueue_coalesced(housekeeping.check_worker, key="flush-1", priority=Priority.LOW)
    urgent = enqueue_coalesced(housekeeping.check_worker, key="flush-1")
    assert low is not None and urgent is not None and urgent.id != low.id
    assert enqueue_coalesced(housekeeping.check_worker, key="flush-1") is None
    assert (
        enqueue_coalesced(housekeeping.check_worker, key="flush-1", priority=Priority.LOW) is None
    )
    assert Queue("low", connection=redis).job_ids == [low.id]
    assert Queue("default", connection=redis).job_ids == [urgent.id]


def test_a_job_lost_before_it_started_blocks_its_key_only_while_its_marker_lasts(
    app_context, redis, monkeypatch
):
    """A worker killed just after RQ took the job from its queue loses it: nothing holds it
    any more. Requests join the lost job only until its waiting marker lapses; then one gets
    a job of its own."""
    monkeypatch.setattr(queues, "WAITING_SECONDS", 1)
    lost = enqueue_coalesced(housekeeping.check_worker, key="take-up")
    assert lost is not None
    redis.delete(Queue("default", connection=redis).key)  # taken by the worker that died
    assert enqueue_coalesced(housekeeping.check_worker, key="take-up") is None
    wait_until(lambda: not is_waiting("take-up"), "the lost job's marker to lapse")
    again = enqueue_coalesced(housekeeping.check_worker, key="take-up")
    assert again is not None
    assert Queue("default", connection=redis).job_ids == [again.id]


def test_a_coalesced_job_is_queued_once_per_key_and_marks_itself_started(app_context, redis):
    """`coalesced`: RQ finds the job by its path, and running it frees its key at once."""
    assert inbound.requeue_store_events.enqueue(41) is not None
    assert inbound.requeue_store_events.enqueue(41) is None, "joined the waiting job"
    assert inbound.requeue_store_events.enqueue(42) is not None, "another store, another key"
    assert inbound.requeue_store_events.is_waiting(41)
    (job, _) = Queue("high", connection=redis).get_jobs()
    assert job.func_name == "server.jobs.tasks.inbound.requeue_store_events"
    run_jobs(app_context)
    assert not inbound.requeue_store_events.is_waiting(41)
    assert inbound.requeue_store_events.enqueue(41) is not None, "started: a new request queues"


def test_a_coalesced_job_pickles_as_a_reference_to_its_path():
    """RQ pickles a callable it is handed directly (a schedule, `enqueue`): the job must come
    back as the same object, not fail as "not the same object as …"."""
    assert pickle.loads(pickle.dumps(push.flush)) is push.flush
