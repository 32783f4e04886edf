"""What the operator's System page and the /metrics endpoint show about queues, workers and
the scheduler, read from RQ's registries in Redis (the truth for every process), and the
failed jobs the System page can requeue."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from server.jobs.queues import QUEUE_NAMES
from server.redis_client import get_redis


@dataclass(frozen=True)
class QueueStats:
    """A queue's jobs by where RQ keeps them; finished, failed and canceled jobs stay
    counted until their result or failure TTL ends."""

    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    deferred: int
    finished: int
    canceled: int

    def by_state(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    queues: str
    last_heartbeat: datetime | None
    alive: bool  # heard from within its time to live; a killed worker stays listed till then


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    description: str  # the function and its arguments
    error: str  # the exception's last line
    failed_at: datetime | None


@dataclass(frozen=True)
class SchedulerInfo:
    name: str
    last_heartbeat: datetime | None


def queue_stats() -> list[QueueStats]:
    connection = get_redis()
    stats = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        stats.append(
            QueueStats(
                name=name,
                queued=queue.count,
                started=StartedJobRegistry(queue=queue).count,
                scheduled=ScheduledJobRegistry(queue=queue).count,
                failed=FailedJobRegistry(queue=queue).count,
                deferred=DeferredJobRegistry(queue=queue).count,
                finished=FinishedJobRegistry(queue=queue).count,
                canceled=CanceledJobRegistry(queue=queue).count,
            )
        )
    return stats


def workers() -> list[WorkerInfo]:
    now = datetime.now(UTC)
    return [
        WorkerInfo(
            name=worker.name,
            state=str(worker.get_state()),
            queues=", ".join(worker.queue_names()),
            last_heartbeat=worker.last_heartbeat,
            alive=worker.last_heartbeat is not None
            and now - _aware(worker.last_heartbeat) < timedelta(seconds=worker.worker_ttl),
        )
        for worker in Worker.all(connection=get_redis())
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class UnknownQueueError(ValueError):
    """A queue name that is none of ours (it came from a request)."""


def _failed_registry(queue_name: str) -> FailedJobRegistry:
    if queue_name not in QUEUE_NAMES:
        raise UnknownQueueError(f"no queue is named {queue_name!r}: {', '.join(QUEUE_NAMES)}")
    return FailedJobRegistry(queue=Queue(queue_name, connection=get_redis()))


def failed_jobs(queue_name: str, limit: int = 50) -> list[FailedJob]:
    """The queue's latest failed jobs, newest first (jobs expired meanwhile left out)."""
    registry = _failed_registry(queue_name)
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    found = []
    for job in Job.fetch_many(ids, connection=get_redis()):
        if job is None:
            continue
        result = job.latest_result()
        trace = (result.exc_string if result is not None else "") or ""
        lines = [line for line in trace.strip().splitlines() if line.strip()]
        found.append(
            FailedJob(
                id=job.id,
                queue=queue_name,
                description=job.description or job.func_name,
                error=lines[-1] if lines else "",
                failed_at=job.ended_at,
            )
        )
    return found


def requeue_failed(queue_name: str, job_id: str) -> bool:
    """One failed job back on its queue; False if it is no longer among the failed."""
    try:
        _failed_registry(queue_name).requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        return False
    return True


def requeue_all_failed(queue_name: str) -> int:
    """Every failed job of the queue back on it; how many."""
    registry = _failed_registry(queue_name)
    return sum(requeue_failed(queue_name, job_id) for job_id in registry.get_job_ids())


def schedulers() -> list[SchedulerInfo]:
    return [
        SchedulerInfo(name=scheduler.name, last_heartbeat=scheduler.last_heartbeat)
        for scheduler in CronScheduler.all(connection=get_redis())
    ]


def worker_count() -> int:
    return Worker.count(connection=get_redis())
