"""Queues by priority. Workers take from `high` first, then `default`, then `low`."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from server.extensions import current_settings
from server.redis_client import get_redis


class Priority(enum.StrEnum):
    HIGH = "high"  # payments, credit notes, operator-requested checks
    DEFAULT = "default"  # new documents
    LOW = "low"  # updates, backfill, housekeeping


QUEUE_NAMES = tuple(priority.value for priority in Priority)


def get_queue(priority: Priority = Priority.DEFAULT) -> Queue:
    return Queue(
        priority.value,
        connection=get_redis(),
        default_timeout=current_settings().worker.job_timeout,
    )


def enqueue(
    func: Callable[..., Any], *args: Any, priority: Priority = Priority.DEFAULT, **options: Any
) -> Job:
    """Enqueue `func(*args)`; `options` are RQ's (job_id, retry, result_ttl…)."""
    return get_queue(priority).enqueue(func, *args, **options)


SETTLED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED)


def enqueue_once(
    func: Callable[..., Any], *args: Any, job_id: str, priority: Priority = Priority.DEFAULT
) -> Job:
    """Enqueue unless a job with `job_id` is already waiting or running (then that one will
    do: bursts coalesce). A settled job of that id is replaced."""
    queue = get_queue(priority)
    try:
        return queue.enqueue(func, *args, job_id=job_id, unique=True)
    except DuplicateJobError:
        existing = Job.fetch(job_id, connection=queue.connection)
        if existing.get_status() not in SETTLED:
            return existing
        existing.delete()
        return queue.enqueue(func, *args, job_id=job_id, unique=True)


WAITING = (
    JobStatus.CREATED, JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
    JobStatus.RATE_LIMITED, JobStatus.READY_TO_ENQUEUE,
)  # fmt: skip


def enqueue_coalesced(
    func: Callable[..., Any], *args: Any, key: str, priority: Priority = Priority.DEFAULT
) -> Job:
    """One job per `key` waiting and at most one running: a burst of requests for the same
    record becomes one job, and a request arriving while that job runs gets a job of its own
    to follow it (so nothing waits for the sweeper). The job itself must serialise per key.
    """
    queue = get_queue(priority)
    for job_id in (key, f"{key}:next"):
        try:
            return queue.enqueue(func, *args, job_id=job_id, unique=True)
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=queue.connection)
            status = existing.get_status()
            if status in WAITING:
                return existing
            if status in SETTLED:
                existing.delete()
                return queue.enqueue(func, *args, job_id=job_id, unique=True)
    return existing  # both running: the later one will see this request's event


def fetch_job(job_id: str) -> Job | None:
    connection = get_redis()
    return Job.fetch(job_id, connection=connection) if Job.exists(job_id, connection) else None
