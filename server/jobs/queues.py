"""Queues by priority. Workers take from `high` first, then `default`, then `low`."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from rq import Queue
from rq.job import Job

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


def fetch_job(job_id: str) -> Job | None:
    connection = get_redis()
    return Job.fetch(job_id, connection=connection) if Job.exists(job_id, connection) else None
