"""When to try an inbound event again after a failure, and when to give up.

A job that fails settles nothing: its events stay pending with the reason and a time before
which the sweeper leaves them alone. A rate limit defers them for its Retry-After without
counting an attempt; a refusal of the data or a bug in it (PermanentError, ValidationError)
fails them at once; anything passing (5xx, timeouts) waits longer after each attempt. Each
time the sweeper enqueues an event again counts one attempt; after MAX_ATTEMPTS (about a day
of backing off) the event is marked failed, for a person to look at. Events waiting for a
store to be reconnected are not swept, so they spend no attempts meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.connectors.base import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitError,
    ValidationError,
)
from server.extensions import db
from server.models import EventStatus, InboundEvent
from server.models.types import utcnow

MAX_ATTEMPTS = 12
LONGEST_WAIT = timedelta(hours=6)


def delay_after(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours: twelve attempts span about a day."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def defer(
    event_ids: Sequence[int],
    error: ConnectorError,
    now: datetime | None = None,
    *,
    fail_on_permanent: bool = True,
) -> str:
    """Record why `event_ids` failed and when they may be tried again (or that they failed
    for good), in a transaction of its own. Without `fail_on_permanent` a permanent error
    (one of the store or its set-up, not of these events) backs off like a passing one."""
    now = now or utcnow()
    db.session.rollback()
    events = db.session.scalars(sa.select(InboundEvent).where(InboundEvent.id.in_(event_ids))).all()
    for event in events:
        event.error = str(error)[:2000]
        if fail_on_permanent and isinstance(error, PermanentError | ValidationError):
            event.status = EventStatus.FAILED
            event.processed_at = now
        elif isinstance(error, RateLimitError):
            event.next_attempt_at = now + timedelta(seconds=error.retry_after)
        elif not isinstance(error, AuthError):  # auth: waits for the store to reconnect
            event.next_attempt_at = now + delay_after(event.attempts + 1)
    db.session.commit()
    return f"deferred: {error}"


def give_up_or_count(event: InboundEvent, now: datetime) -> bool:
    """The sweeper is about to enqueue `event` again: count the attempt, or give up (the
    event is then failed and False is returned)."""
    if event.attempts >= MAX_ATTEMPTS:
        event.status = EventStatus.FAILED
        event.processed_at = now
        event.error = f"gave up after {event.attempts} attempts: {event.error}"
        return False
    event.attempts += 1
    event.next_attempt_at = now + delay_after(event.attempts)
    return True
