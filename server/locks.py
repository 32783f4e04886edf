"""One Redis lock helper for every "one at a time" in wooxero: a store's flush, one record's
processing, a store's poll, a backfill page, a connection's token refresh.

A lock is given a lifetime (`hold`): a holder that dies never blocks for longer than that.
Jobs' locks are `kept`: a minute's lock renewed by a thread while the holder lives, so a
job killed with its process (SIGKILL, out of memory, the machine) holds up the work it
guarded for a minute at most, and a job killed by its time limit (its process ends) as
little. Releasing a lock that expired, or that Redis lost meanwhile, is not an error: the
work it guarded is done either way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

KEPT_SECONDS = 60.0  # a kept lock's lifetime, renewed every third of it while its holder lives


def take(
    redis: Redis, name: str, *, hold: float, wait: float = 0, holder: str | None = None
) -> Lock | None:
    """The lock `name` for at most `hold` seconds, waiting up to `wait` seconds for it, or
    None if another holder kept it. `holder` (unique) is stored as the lock's value, for
    others to say who holds it. A Redis error propagates."""
    # not thread-local: `kept` renews the lock from a thread of its own
    lock = redis.lock(name, timeout=hold, blocking_timeout=wait, thread_local=False)
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
def kept(
    redis: Redis, name: str, *, hold: float = KEPT_SECONDS, wait: float = 0
) -> Iterator[Lock | None]:
    """`take` for the length of a `with` block (None if another kept it for `wait`
    seconds), renewed by a thread every third of `hold` while the block runs: however long
    the work, a holder whose process dies (SIGKILL, out of memory, the machine) lets it go
    within `hold` seconds, where a lock sized for the job's time limit would keep others
    out for that long. Renewal stops once the lock is lost (Redis lost it): a holder that
    must not go on without it checks `renew` before each such step."""
    lock = take(redis, name, hold=hold, wait=wait)
    if lock is None:
        yield None
        return
    done = threading.Event()

    def renew_until_done() -> None:
        while not done.wait(hold / 3):
            try:
                if not renew(lock):
                    return
            except RedisError:
                continue  # Redis away for a moment: the next turn tries again

    renewer = threading.Thread(target=renew_until_done, name=f"renew {name}", daemon=True)
    renewer.start()
    try:
        yield lock
    finally:
        done.set()
        renewer.join()
        release(lock)
