"""One Redis lock helper for every "one at a time" in wooxero: a store's flush, one record's
processing, a store's poll, a backfill page, a connection's token refresh.

A lock is given a lifetime (`hold`): a holder that dies never blocks for longer than that.
Locks held by jobs outlive the job's time limit (`WorkerConfig.lock_seconds`), so a job
killed by its timeout cannot overlap the next one. Releasing a lock that expired, or that
Redis lost meanwhile, is not an error: the work it guarded is done either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock


def take(
    redis: Redis, name: str, *, hold: float, wait: float = 0, holder: str | None = None
) -> Lock | None:
    """The lock `name` for at most `hold` seconds, waiting up to `wait` seconds for it, or
    None if another holder kept it. `holder` (unique) is stored as the lock's value, for
    others to say who holds it. A Redis error propagates."""
    lock = redis.lock(name, timeout=hold, blocking_timeout=wait)
    return lock if lock.acquire(blocking=wait > 0, token=holder) else None


def renew(lock: Lock) -> bool:
    """Give a held lock its whole lifetime again; False if it expired and is lost (another
    may hold it now). A Redis error propagates."""
    try:
        lock.reacquire()
    except LockError:
        return False
    return True


def release(lock: Lock) -> None:
    with contextlib.suppress(LockError, RedisError):
        lock.release()


@contextlib.contextmanager
def held(redis: Redis, name: str, *, hold: float, wait: float = 0) -> Iterator[bool]:
    """`take` for the length of a `with` block; yields whether the lock was taken (the
    body decides what to do when it was not)."""
    lock = take(redis, name, hold=hold, wait=wait)
    try:
        yield lock is not None
    finally:
        if lock is not None:
            release(lock)
