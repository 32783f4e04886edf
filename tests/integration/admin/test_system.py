"""System > Status: each queue's failed jobs, requeued one or all, and the workers alive,
against a real (embedded) Redis."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.utils import utcformat

from server.jobs.queues import Priority, enqueue
from server.jobs.tasks import housekeeping
from server.jobs.worker import build_worker
from server.redis_client import EXTENSION_KEY, redis_from_url
from tests.support.jobs import run_jobs
from tests.support.processes import free_port
from tests.support.web import csrf_token, log_in, make_operator


def _fail(app, priority: Priority = Priority.DEFAULT, secret: str = "") -> str:
    """A job that fails (an argument its function does not take), run to its failure."""
    job = enqueue(housekeeping.purge_expired_records, f"consumer_secret={secret}" if secret else 1,
                  priority=priority)  # fmt: skip
    run_jobs(app)
    return job.id


def _requeue(client, **fields: str):
    token = csrf_token(client.get("/admin/system/").text)
    return client.post("/admin/system/requeue", data={**fields, "csrf_token": token})


def test_failed_jobs_are_listed_and_requeued_one_at_a_time(client, app_context, redis):
    make_operator()
    first, second = _fail(app_context), _fail(app_context, secret="cs_NOPE")
    log_in(client)
    page = client.get("/admin/system/").text
    listed = re.search(r'<table class="table table-sm mt-2" id="failed-jobs">.*?</table>', page,
                       re.DOTALL).group(0)  # fmt: skip
    assert first in listed and second in listed
    assert "TypeError" in listed and "purge_expired_records" in listed
    assert "NOPE" not in page, "a secret in a job's arguments is not shown"
    answer = _requeue(client, queue="default", job=first)
    assert answer.status_code == 302
    said = html.unescape(client.get("/admin/system/").text)
    assert f"Job {first} is queued again on the default queue." in said
    default = Queue("default", connection=redis)
    assert default.job_ids == [first]
    assert FailedJobRegistry(queue=default).get_job_ids() == [second]
    _requeue(client, queue="default", job=first)
    assert "is no longer among the default queue&#39;s failed jobs" in client.get(
        "/admin/system/").text  # fmt: skip


def test_all_failed_jobs_of_a_queue_are_requeued_at_once(client, app_context, redis):
    make_operator()
    low = {_fail(app_context, Priority.LOW), _fail(app_context, Priority.LOW)}
    other = _fail(app_context, Priority.HIGH)
    log_in(client)
    assert "Requeue all 2 of low" in client.get("/admin/system/").text
    _requeue(client, queue="low")
    assert "2 failed job(s) of the low queue are queued again." in client.get(
        "/admin/system/").text  # fmt: skip
    assert set(Queue("low", connection=redis).job_ids) == low
    assert FailedJobRegistry(queue=Queue("high", connection=redis)).get_job_ids() == [other]


@pytest.mark.parametrize(
    "fields",
    [
        {"queue": "nope"},
        {"queue": "default", "job": "../x y"},
        {"queue": "default", "job": ""},
        {"job": "abc"},
    ],
)
def test_a_queue_or_job_that_is_not_one_is_refused_in_words(client, fields):
    make_operator()
    log_in(client)
    answer = _requeue(client, **fields)
    assert answer.status_code == 400


def test_requeueing_needs_the_csrf_token(client, app_context, redis):
    make_operator()
    job_id = _fail(app_context)
    log_in(client)
    answer = client.post("/admin/system/requeue", data={"queue": "default", "job": job_id})
    assert answer.status_code == 400
    assert FailedJobRegistry(queue=Queue("default", connection=redis)).get_job_ids() == [job_id]


def test_without_redis_the_page_and_the_requeue_say_so(client, app_context, monkeypatch):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/system/").text)
    monkeypatch.setitem(
        app_context.extensions, EXTENSION_KEY, redis_from_url(f"redis://127.0.0.1:{free_port()}")
    )
    assert "Redis is not reachable" in client.get("/admin/system/").text
    answer = client.post("/admin/system/requeue", data={"queue": "low", "csrf_token": token},
                         follow_redirects=True)  # fmt: skip
    assert answer.status_code == 200
    assert "Nothing was requeued: Redis is not reachable" in answer.text


def test_workers_say_whether_they_are_alive(client, app_context, redis):
    make_operator()
    log_in(client)
    alive, silent = (build_worker(app_context, in_process=True) for _ in range(2))
    alive.register_birth()
    silent.register_birth()
    long_ago = datetime.now(UTC) - timedelta(seconds=silent.worker_ttl + 60)
    redis.hset(silent.key, "last_heartbeat", utcformat(long_ago))
    try:
        page = client.get("/admin/system/").text
    finally:
        alive.register_death()
        silent.register_death()
    rows = dict(re.findall(r"<tr><td>([^<]+)</td>\s*<td>([^<]+)</td>", page))
    assert rows[alive.name] == "yes"
    assert rows[silent.name].startswith("no")
