"""Queues by priority. Workers take from `high` first, then `default`, then `low`."""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rq import Queue
from rq.job import Job
from rq.utils import import_attribute

from server.extensions import current_config
from server.redis_client import get_redis


class Priority(enum.StrEnum):
    HIGH = "high"  # payments, credit notes, operator-requested checks
    DEFAULT = "default"  # new documents
    LOW = "low"  # updates, backfill, housekeeping


QUEUE_NAMES = tuple(priority.value for priority in Priority)
_URGENCY = {name: rank for rank, name in enumerate(QUEUE_NAMES)}  # 0: the most urgent


def get_queue(priority: Priority = Priority.DEFAULT) -> Queue:
    return Queue(
        priority.value,
        connection=get_redis(),
        default_timeout=current_config().worker.job_timeout,
    )


def enqueue(
    func: Callable[..., Any], *args: Any, priority: Priority = Priority.DEFAULT, **options: Any
) -> Job:
    """Enqueue `func(*args)`; `options` are RQ's (job_id, retry, result_ttl…)."""
    return get_queue(priority).enqueue(func, *args, **options)


# A job lost between RQ taking it from its queue and its start (a worker killed then) blocks
# its key this long at most. A job waiting longer behind a deep queue only lets one more job
# in for its key each time the marker lapses: coalesced work takes its own lock and finds
# what the first left, so the cost is a job, never a second write.
WAITING_SECONDS = 120


def _waiting_marker(key: str) -> str:
    return f"wooxero:waiting:{key}"


def enqueue_coalesced(
    func: Callable[..., Any] | str, *args: Any, key: str, priority: Priority = Priority.DEFAULT
) -> Job | None:
    """Enqueue `func(*args)` unless a job for `key` is already waiting to start at this
    priority or a higher one: a burst of requests for one record becomes one job (None is
    returned for the ones that joined).

    The job must call `started(key)` before it looks for work (`coalesced` does). A request
    arriving after that gets a job of its own, so every request is seen by a job that had
    not yet looked. A request more urgent than the waiting job gets a job of its own too,
    which the marker then names: a flush asked for at `default` never waits behind a backlog
    for the `low` one the sweeper queued (the `low` one finds little or nothing left). Job
    ids are never reused: RQ may still be writing a finished job's state under its id.
    """
    redis, marker = get_redis(), _waiting_marker(key)
    while not redis.set(marker, priority.value, nx=True, ex=WAITING_SECONDS):
        waiting = redis.get(marker)
        if waiting is None:  # the waiting job has just started: this request needs its own
            continue
        if _URGENCY.get(waiting.decode(), 0) <= _URGENCY[priority.value]:
            return None
        redis.set(marker, priority.value, ex=WAITING_SECONDS)
        break
    return _enqueue_claimed(func, *args, key=key, priority=priority)


def _enqueue_claimed(
    func: Callable[..., Any] | str, *args: Any, key: str, priority: Priority
) -> Job:
    """Enqueue the job whose waiting marker the caller has just set."""
    connection = get_redis()
    try:
        with connection.pipeline() as pipeline:  # the job's writes in one round trip
            job = get_queue(priority).enqueue_call(
                func, args=args, job_id=f"{key}-{uuid.uuid4().hex}", pipeline=pipeline
            )
            pipeline.execute()
        return job
    except Exception:
        connection.delete(_waiting_marker(key))
        raise


def note(list_name: str, items: list[str], key: str) -> bool:
    """Append `items` to a Redis list and claim the waiting marker of `key`, in one round
    trip; True if claimed, and then the caller enqueues the job of `key` (`enqueue_claimed`)
    that takes the list up (`take_noted`). As with `enqueue_coalesced`, an item noted after
    that job started gets a job of its own."""
    pipeline = get_redis().pipeline(transaction=False)
    pipeline.rpush(list_name, *items)
    pipeline.set(_waiting_marker(key), "1", nx=True, ex=WAITING_SECONDS)
    return bool(pipeline.execute()[1])


def take_noted(list_name: str, batch: int = 1000) -> list[str]:
    """Every item noted so far, oldest first, removed from the list."""
    connection = get_redis()
    taken: list[str] = []
    while chunk := connection.lpop(list_name, batch):
        taken.extend(item.decode() for item in chunk)
    return taken


def take_one_noted(list_name: str) -> str | None:
    """The oldest item noted, removed from the list; None when there is none."""
    item = get_redis().lpop(list_name)
    return None if item is None else item.decode()


def append_noted(list_name: str, items: list[str]) -> None:
    """Note `items` at the end of a list, for the job that takes it up (`take_noted`)."""
    if items:
        get_redis().rpush(list_name, *items)


def has_noted(list_name: str) -> bool:
    return bool(get_redis().llen(list_name))


def still_noted(list_name: str) -> list[str]:
    """The items noted and not yet taken, oldest first (the list is left as it is)."""
    return [item.decode() for item in get_redis().lrange(list_name, 0, -1)]


def is_waiting(key: str) -> bool:
    """Whether a job for `key` is enqueued and has not started yet."""
    return bool(get_redis().exists(_waiting_marker(key)))


def started(key: str) -> None:
    """Called by a coalesced job as it starts, before it looks for its work."""
    get_redis().delete(_waiting_marker(key))


class CoalescedJob:
    """A job function of which at most one call per key waits in the queues; see
    `coalesced`. Calling it runs the job (as the worker does); `enqueue` queues it."""

    def __init__(
        self, func: Callable[..., Any], key: Callable[..., str], priority: Priority
    ) -> None:
        functools.update_wrapper(self, func)
        self.func = func
        self.key = key
        self.priority = priority
        # RQ imports the job by this name and calls what it finds: this object.
        self.path = f"{func.__module__}.{func.__qualname__}"

    def __call__(self, *args: Any) -> Any:
        started(self.key(*args))
        return self.func(*args)

    def enqueue(self, *args: Any, priority: Priority | None = None) -> Job | None:
        return enqueue_coalesced(
            self.path, *args, key=self.key(*args), priority=priority or self.priority
        )

    def enqueue_in(
        self, seconds: float, *args: Any, priority: Priority | None = None
    ) -> Job | None:
        """The job again in `seconds`, unless one is already due in that time. Requests
        meanwhile still get jobs of their own (each may decide to go sooner); the delayed
        one's marker lapses as it becomes due, so a later decision can delay another."""
        key = self.key(*args)
        connection = get_redis()
        marker = f"wooxero:delayed:{key}"
        if not connection.set(marker, "1", nx=True, px=max(1, int(seconds * 1000))):
            return None
        try:
            with connection.pipeline() as pipeline:
                # kept in Redis, moved to its queue when due by a worker's scheduler
                job = get_queue(priority or self.priority).enqueue_in(
                    timedelta(seconds=seconds), self.path, *args,
                    job_id=f"{key}-{uuid.uuid4().hex}", pipeline=pipeline,
                )  # fmt: skip
                pipeline.execute()
            return job
        except Exception:
            connection.delete(marker)
            raise

    def enqueue_claimed(self, *args: Any) -> Job:
        """Enqueue it once its waiting marker is claimed (see `note`)."""
        return _enqueue_claimed(self.path, *args, key=self.key(*args), priority=self.priority)

    def is_waiting(self, *args: Any) -> bool:
        return is_waiting(self.key(*args))

    def __reduce__(self) -> tuple[Callable[[str], Any], tuple[str]]:
        """Pickled as a reference to its path (RQ pickles a callable it is given)."""
        return import_attribute, (self.path,)


def coalesced(
    key: Callable[..., str], priority: Priority = Priority.DEFAULT
) -> Callable[[Callable[..., Any]], CoalescedJob]:
    """Make a job function coalesced: `key(*args)` (from `server.jobs.keys`) names its work,
    `job.enqueue(*args)` queues it unless a call with that key is waiting already, and the
    job marks itself started before it runs, so a request that arrives while it works gets
    a job of its own."""

    def wrap(func: Callable[..., Any]) -> CoalescedJob:
        return CoalescedJob(func, key, priority)

    return wrap


def fetch_job(job_id: str) -> Job | None:
    connection = get_redis()
    return Job.fetch(job_id, connection=connection) if Job.exists(job_id, connection) else None
