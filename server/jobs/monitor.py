"""What the operator's System page and the /metrics endpoint show about queues, workers and
the scheduler, read from RQ's registries in Redis (the truth for every process)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from rq import Queue, Worker
from rq.cron import CronScheduler
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
    return [
        WorkerInfo(
            name=worker.name,
            state=str(worker.get_state()),
            queues=", ".join(worker.queue_names()),
            last_heartbeat=worker.last_heartbeat,
        )
        for worker in Worker.all(connection=get_redis())
    ]


def schedulers() -> list[SchedulerInfo]:
    return [
        SchedulerInfo(name=scheduler.name, last_heartbeat=scheduler.last_heartbeat)
        for scheduler in CronScheduler.all(connection=get_redis())
    ]


def worker_count() -> int:
    return Worker.count(connection=get_redis())
