"""What the operator's System page shows about queues, workers and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from server.jobs.queues import QUEUE_NAMES
from server.redis_client import get_redis


@dataclass(frozen=True)
class QueueStats:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


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
