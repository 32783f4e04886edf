"""Periodic jobs, declared as data and registered with RQ's cron scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from rq.cron import CronScheduler

from server.config import Config
from server.extensions import current_config
from server.jobs.queues import Priority
from server.jobs.tasks import housekeeping, inbound, notifications, pull, push, stores
from server.redis_client import get_redis


@dataclass(frozen=True)
class Schedule:
    """A periodic job: on a cron line, or every `interval(settings)` seconds."""

    name: str
    func: Callable[..., Any]
    cron: str | None = None
    interval: Callable[[Config], int] | None = None
    priority: Priority = Priority.LOW


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("purge-expired-records", housekeeping.purge_expired_records, cron="17 3 * * *"),
    Schedule("erase-uninstalled-stores", stores.erase_expired_stores, cron="29 3 * * *"),
    Schedule("requeue-pending-events", inbound.requeue_pending_events, cron="*/5 * * * *"),
    Schedule("poll-woocommerce", inbound.poll_woo_stores, cron="* * * * *"),
    Schedule("check-woocommerce-refunds", inbound.check_woo_refunds, cron="* * * * *"),
    Schedule("flush-outboxes", push.flush_stores, cron="* * * * *"),
    Schedule("resume-backfills", push.resume_stalled_backfills, cron="* * * * *"),
    Schedule("pull-from-xero", pull.pull_stores, cron="*/15 * * * *"),
    Schedule("check-drift", pull.check_drift_stores, cron="53 2 * * *"),
    Schedule("refresh-xero-reference-data", push.refresh_references, cron="41 4 * * *"),
    Schedule(
        "check-woocommerce-webhooks",
        inbound.check_woo_webhooks,
        interval=lambda settings: settings.woocommerce.webhook_check_minutes * 60,
    ),
    Schedule(
        "check-notifications",
        notifications.check_notifications,
        interval=lambda settings: settings.notifications.check_minutes * 60,
    ),
)


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        connection = get_redis()
        settings = current_config()
    scheduler = CronScheduler(
        connection=connection, logging_level=logging.getLevelName(settings.server.log_level)
    )
    for schedule in SCHEDULES:
        scheduler.register(
            schedule.func,
            schedule.priority.value,
            cron=schedule.cron,
            interval=schedule.interval(settings) if schedule.interval else None,
            name=schedule.name,
            job_timeout=settings.worker.job_timeout,
        )
    return scheduler
