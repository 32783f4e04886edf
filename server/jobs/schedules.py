"""Periodic jobs, declared as data and registered with RQ's cron scheduler, which runs only
while it holds the one scheduler claim in Redis: a second `wooxero scheduler` never doubles
the periodic work.

RQ's CronScheduler registers itself in Redis but lets any number run side by side. The claim
is a Redis lock of CLAIM_SECONDS, renewed before every round of enqueueing and at least
every RENEW_SECONDS. A scheduler stopped cleanly releases it at once; one that crashed
leaves it to lapse within CLAIM_SECONDS. A new scheduler waits that long for the claim
(so it takes over from a crashed one) and refuses to start when a live one keeps it. A
scheduler that finds its claim taken by another (it stalled for longer than CLAIM_SECONDS
and was replaced) stops before enqueueing anything; one whose claim merely lapsed, or that
Redis lost, takes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from redis import Redis
from redis.lock import Lock
from rq.cron import CronJob, CronScheduler
from rq.exceptions import StopRequested

from server import locks
from server.config import Config
from server.extensions import current_config
from server.jobs.queues import Priority
from server.jobs.tasks import billing, housekeeping, inbound, notifications, pull, push, stores
from server.redis_client import get_redis
from server.startup import StartupError

CLAIM_KEY = "wooxero:scheduler:claim"
CLAIM_SECONDS = 30.0


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
    Schedule("requeue-pending-events", inbound.requeue_pending_events, cron="* * * * *"),
    Schedule("poll-woocommerce", inbound.poll_woo_stores, cron="* * * * *"),
    Schedule("check-woocommerce-refunds", inbound.check_woo_refunds, cron="* * * * *"),
    Schedule("flush-outboxes", push.flush_stores, cron="* * * * *"),
    Schedule("resume-backfills", push.resume_stalled_backfills, cron="* * * * *"),
    Schedule("pull-from-xero", pull.pull_stores, cron="*/15 * * * *"),
    Schedule("expire-trials", billing.expire_trials, cron="7 * * * *"),
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


class SchedulerRunningError(StartupError):
    """Another scheduler holds the claim (or took it over from this one)."""


class SchedulerClaim:
    """The right to enqueue the periodic jobs, held by one scheduler at a time."""

    def __init__(self, redis: Redis, holder: str, seconds: float = CLAIM_SECONDS) -> None:
        self.redis = redis
        self.holder = holder
        self.seconds = seconds
        self._lock: Lock | None = None

    @property
    def renew_seconds(self) -> float:
        """How often the holder renews: three chances before the claim lapses."""
        return self.seconds / 3

    def take(self) -> None:
        """Take the claim, waiting long enough for a crashed holder's claim to lapse;
        SchedulerRunningError if a live holder keeps renewing it."""
        self._lock = locks.take(
            self.redis, CLAIM_KEY, hold=self.seconds,
            wait=self.seconds + self.renew_seconds, holder=self.holder,
        )  # fmt: skip
        if self._lock is None:
            raise SchedulerRunningError(
                f"another scheduler is running ({self._current_holder()}); run exactly one. "
                f"A scheduler that crashed gives way within {self.seconds:g} seconds"
            )

    def renew(self) -> bool:
        """Keep the claim, or take it again if it lapsed (this scheduler stalled, Redis lost
        it) and nobody else took it; False when another scheduler holds it: this one must
        stop."""
        if self._lock is not None and locks.renew(self._lock):
            return True
        self._lock = locks.take(self.redis, CLAIM_KEY, hold=self.seconds, holder=self.holder)
        return self._lock is not None

    def release(self) -> None:
        if self._lock is not None:
            locks.release(self._lock)
            self._lock = None

    def _current_holder(self) -> str:
        value = self.redis.get(CLAIM_KEY)
        return value.decode(errors="replace") if isinstance(value, bytes) else "unknown"


class SingleCronScheduler(CronScheduler):
    """RQ's cron scheduler, running only while it holds the scheduler claim."""

    def __init__(self, *args: Any, claim_seconds: float = CLAIM_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claim = SchedulerClaim(self.connection, self.name, claim_seconds)
        self.claim_lost = False

    def start(self) -> None:
        self.claim.take()
        try:
            super().start()
        finally:
            self.claim.release()
        if self.claim_lost:
            raise SchedulerRunningError(
                "this scheduler stalled past its claim and another took over; it stopped"
            )

    def enqueue_jobs(self) -> list[CronJob]:
        self._keep_claim()
        return super().enqueue_jobs()

    def heartbeat(self) -> None:
        self._keep_claim()
        super().heartbeat()

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), self.claim.renew_seconds)

    def _keep_claim(self) -> None:
        if not self.claim.renew():
            self.claim_lost = True
            self.log.error("CronScheduler %s: lost the scheduler claim; stopping", self.name)
            raise StopRequested()


def build_scheduler(app: Flask, *, claim_seconds: float = CLAIM_SECONDS) -> SingleCronScheduler:
    with app.app_context():
        connection = get_redis()
        settings = current_config()
    scheduler = SingleCronScheduler(
        connection=connection,
        logging_level=logging.getLevelName(settings.server.log_level),
        claim_seconds=claim_seconds,
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
