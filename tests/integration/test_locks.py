"""The one lock helper, against a real Redis."""

from __future__ import annotations

import subprocess
import sys
import time

from server.locks import kept, renew, take
from tests.support.processes import PROJECT_ROOT, kill_with_descendants
from tests.support.waiting import wait_until

HOLD = 3.0  # seconds a kept lock lives unless renewed


def test_one_holder_at_a_time_and_free_again_after(redis):
    with kept(redis, "wooxero:test:lock") as first:
        assert first is not None
        with kept(redis, "wooxero:test:lock") as second:
            assert second is None, "taken already: the second caller is told, not blocked"
    with kept(redis, "wooxero:test:lock") as again:
        assert again is not None, "released when the body ended"


def test_a_holder_whose_lock_redis_lost_ends_quietly(redis):
    """A lock Redis lost (a restart without its data) is not renewed again, nor an error at
    release, and the lock someone else took meanwhile is left alone."""
    with kept(redis, "wooxero:test:lost", hold=HOLD) as lock:
        assert lock is not None
        redis.delete("wooxero:test:lost")
        assert not renew(lock), "the holder is told it lost the lock"
        assert redis.lock("wooxero:test:lost", timeout=30).acquire(blocking=False)
    assert redis.exists("wooxero:test:lost"), "the other holder's lock was left alone"


def test_waiting_takes_the_lock_once_its_holder_is_gone(redis):
    """A holder that died (never released) blocks only until its lock expires."""
    assert redis.lock("wooxero:test:waited", timeout=0.3).acquire(blocking=False)
    with kept(redis, "wooxero:test:waited", wait=30) as waited:
        assert waited is not None
    with kept(redis, "wooxero:test:waited") as not_waiting:
        assert not_waiting is not None, "released by the holder that waited"


def test_a_kept_lock_outlives_its_hold_while_its_holder_works(redis):
    with kept(redis, "wooxero:test:kept", hold=HOLD) as lock:
        assert lock is not None
        with kept(redis, "wooxero:test:kept", hold=HOLD) as second:
            assert second is None, "one holder at a time"
        worked_until = time.monotonic() + 2.5 * HOLD
        wait_until(lambda: time.monotonic() > worked_until, "work longer than the hold")
        assert take(redis, "wooxero:test:kept", hold=30) is None, "renewed while held"
    assert take(redis, "wooxero:test:kept", hold=30) is not None, "released when the body ended"


HOLDER = """
import sys, time
from redis import Redis
from server.locks import kept
with kept(Redis.from_url(sys.argv[1]), "wooxero:test:killed", hold=float(sys.argv[2])):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_kept_lock_is_let_go_soon_after_its_holder_is_killed(redis, redis_url):
    """However long the holder meant to work, its death frees the lock once the hold runs
    out (a lock sized for a job's time limit would keep it for ten minutes)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url, str(HOLD)], cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert redis.exists("wooxero:test:killed")
    finally:
        kill_with_descendants(holder.pid)
        holder.wait()
    wait_until(lambda: not redis.exists("wooxero:test:killed"), "the dead holder's lock to go")
