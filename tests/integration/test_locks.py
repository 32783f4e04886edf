"""The one lock helper, against a real Redis."""

from __future__ import annotations

from server.locks import held
from tests.support.waiting import wait_until


def test_one_holder_at_a_time_and_free_again_after(redis):
    with held(redis, "wooxero:test:lock", hold=30) as first:
        assert first
        with held(redis, "wooxero:test:lock", hold=30) as second:
            assert not second, "taken already: the second caller is told, not blocked"
    with held(redis, "wooxero:test:lock", hold=30) as again:
        assert again, "released when the body ended"


def test_a_holder_that_outlived_its_lock_ends_quietly(redis):
    """An expired lock (the holder was slower than `hold`) is not an error at release, and
    the lock someone else took meanwhile is left alone."""
    with held(redis, "wooxero:test:expiring", hold=0.2) as taken:
        assert taken
        wait_until(lambda: not redis.exists("wooxero:test:expiring"), "the lock to expire")
        assert redis.lock("wooxero:test:expiring", timeout=30).acquire(blocking=False)
    assert redis.exists("wooxero:test:expiring"), "the other holder's lock was left alone"


def test_waiting_takes_the_lock_once_its_holder_is_gone(redis):
    """A holder that died (never released) blocks only until its lock expires."""
    assert redis.lock("wooxero:test:waited", timeout=0.3).acquire(blocking=False)
    with held(redis, "wooxero:test:waited", hold=30, wait=30) as waited:
        assert waited
    with held(redis, "wooxero:test:waited", hold=30) as not_waiting:
        assert not_waiting, "released by the holder that waited"
