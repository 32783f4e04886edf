"""One scheduler at a time: a second one refuses while the first is alive, takes over from one
that crashed once its claim lapses, and at once from one stopped cleanly; a scheduler whose
claim another took enqueues nothing, one whose claim Redis forgot takes it again. On the suite's real Redis, with real `wooxero scheduler`
processes for the refusal."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading

import pytest
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from server.jobs.queues import QUEUE_NAMES
from server.jobs.schedules import (
    CLAIM_KEY,
    CLAIM_SECONDS,
    SchedulerClaim,
    SchedulerRunningError,
    build_scheduler,
)
from tests.support.processes import PROJECT_ROOT, production_environment
from tests.support.waiting import PATIENCE, wait_until


def queued_jobs(redis: Redis) -> int:
    return sum(Queue(name, connection=redis).count for name in QUEUE_NAMES)


def test_a_second_scheduler_refuses_while_the_first_renews_its_claim(redis):
    taken, stop = threading.Event(), threading.Event()

    def first() -> None:  # a redis-py lock is renewed by the thread that took it
        claim = SchedulerClaim(redis, "first-host:1:aaaaaa", seconds=3)
        claim.take()
        taken.set()
        while not stop.wait(claim.renew_seconds):
            assert claim.renew()
        claim.release()

    holder = threading.Thread(target=first)
    holder.start()
    try:
        assert taken.wait(PATIENCE)
        with pytest.raises(SchedulerRunningError) as refused:
            SchedulerClaim(redis, "second-host:2:bbbbbb", seconds=3).take()
    finally:
        stop.set()
        holder.join(PATIENCE)
    assert str(refused.value) == (
        "another scheduler is running (first-host:1:aaaaaa); run exactly one. "
        "A scheduler that crashed gives way within 3 seconds"
    )


def test_a_crashed_schedulers_claim_lapses_and_the_stalled_one_enqueues_nothing(app_context, redis):
    stalled = build_scheduler(app_context, claim_seconds=1)
    stalled.claim.take()  # then never renewed, as if the process had died or hung
    successor = build_scheduler(app_context)
    successor.claim.take()  # waits for the lapse; raises if it never comes
    assert redis.get(CLAIM_KEY).decode() == successor.name

    with pytest.raises(StopRequested):
        stalled.enqueue_jobs()
    assert stalled.claim_lost
    assert queued_jobs(redis) == 0, "a scheduler without its claim enqueues nothing"

    assert successor.enqueue_jobs(), "the interval schedule runs at once"
    assert queued_jobs(redis) > 0
    successor.claim.release()


def test_a_claim_redis_forgot_is_taken_again_by_its_holder(app_context, redis):
    scheduler = build_scheduler(app_context)
    scheduler.claim.take()
    redis.flushdb()  # Redis restarted without its data
    assert scheduler.enqueue_jobs()
    assert redis.get(CLAIM_KEY).decode() == scheduler.name
    assert not scheduler.claim_lost
    scheduler.claim.release()


def test_a_scheduler_stopped_cleanly_gives_way_at_once(redis):
    first = SchedulerClaim(redis, "first-host:1:aaaaaa", seconds=600)
    first.take()
    first.release()
    assert not redis.exists(CLAIM_KEY)
    # a claim of 600 s still held would make this wait 1.3 s and refuse
    second = SchedulerClaim(redis, "second-host:2:bbbbbb", seconds=1)
    second.take()
    assert redis.get(CLAIM_KEY).decode() == "second-host:2:bbbbbb"
    second.release()


def spawn_scheduler(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server", "scheduler"],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_second_wooxero_scheduler_process_refuses_to_start(app_context, settings, redis):
    env = production_environment(settings, settings.redis.url)
    first = spawn_scheduler(env)
    try:
        running = wait_until(
            lambda: CronScheduler.all(connection=redis), "the first scheduler to start"
        )
        name = running[0].name
        assert name.startswith(f"{socket.gethostname()}:{first.pid}:")
        assert redis.get(CLAIM_KEY).decode() == name

        second = spawn_scheduler(env)
        _out, errors = second.communicate(timeout=CLAIM_SECONDS * 2 + PATIENCE)
        assert second.returncode == 1
        assert errors.strip().endswith(
            f"wooxero: another scheduler is running ({name}); run exactly one. "
            f"A scheduler that crashed gives way within {CLAIM_SECONDS:g} seconds"
        ), errors
        assert [s.name for s in CronScheduler.all(connection=redis)] == [name]
        assert first.poll() is None, "the first scheduler runs on"
    finally:
        first.send_signal(signal.SIGTERM)
        code = first.wait(PATIENCE)
    assert code == 0, first.stderr.read()
    assert not redis.exists(CLAIM_KEY), "a scheduler stopping cleanly releases its claim"
