"""Periodic jobs, declared as data and registered with RQ's cron scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from rq.cron import CronScheduler

from server.extensions import current_settings
from server.jobs import tasks
from server.jobs.queues import Priority
from server.redis_client import get_redis


@dataclass(frozen=True)
class Schedule:
    name: str
    func: Callable[..., Any]
    cron: str
    priority: Priority = Priority.LOW


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("purge-expired-records", tasks.purge_expired_records, cron="17 3 * * *"),
    Schedule("requeue-pending-events", tasks.requeue_pending_events, cron="*/5 * * * *"),
)


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        connection = get_redis()
        settings = current_settings()
    scheduler = CronScheduler(
        connection=connection, logging_level=logging.getLevelName(settings.server.log_level)
    )
    for schedule in SCHEDULES:
        scheduler.register(
            schedule.func,
            schedule.priority.value,
            cron=schedule.cron,
            name=schedule.name,
            job_timeout=settings.worker.job_timeout,
        )
    return scheduler
