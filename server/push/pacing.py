"""When a store's flush goes: at once while the organisation's Xero budget has room for each
order to go alone, or, while orders arrive faster than that budget allows, after gathering
them into batches (a batch of new customers costs about as many calls as one order alone).

The decision (`decide`) is a pure function of what waits and how fast orders arrive; the
arrivals are a small Redis record per store (`note_arrival`, from the outbox as an order is
marked). Losing that record only makes orders go at once; what waits is the outbox's, so a
gathering flush lost with its job is started again by the sweeper and decides anew.
"""

from __future__ import annotations

import contextlib
import enum
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from redis.exceptions import RedisError

from server.connections.xero import access as xero_access
from server.connectors.xero.ratelimit import CallPriority
from server.extensions import current_config, db
from server.models import OutboxEntry, OutboxPriority, OutboxStatus
from server.models.types import utcnow
from server.redis_client import get_redis

ARRIVALS_KEY = "wooxero:pacing:arrivals:{store_id}"
ARRIVAL_WINDOW = 60.0  # seconds of arrivals that give the rate
LOOK_AGAIN = 1.0  # seconds: when a flush was running, the next looks this much later
# seconds: arrivals are measured over this much time at least, so that two orders placed at
# one moment count as a pair rather than a stream of thousands a minute (the pair goes at
# once, for the calls of one batch); three at once are a burst and are gathered
MIN_SPAN = 5.0
# Sent, or on to their books: a flush must finish them at once.
UNFINISHED = (OutboxStatus.SENDING, OutboxStatus.UNCERTAIN, OutboxStatus.BOOKS)


class Decision(enum.Enum):
    NOW = "now"
    GATHER = "gather"


@dataclass(frozen=True)
class Policy:
    batch: int = 50  # orders a batch is gathered up to (documents per call)
    max_gather: float = 30.0  # seconds the oldest order waits at most before its batch goes
    calls_alone: int = 4  # one new customer's paid order alone: lookup, contact, invoice, payment
    min_delay: float = 1.0  # seconds before a gathering flush looks again


@dataclass(frozen=True)
class Situation:
    """What a store's flush knows as it starts."""

    unfinished: int  # orders sent, in doubt or on to their books: the flush finishes them now
    waiting: int  # orders waiting to go (new documents and updates)
    oldest_wait: float  # seconds the oldest of them has waited
    arrivals: int  # orders that arrived in the last ARRIVAL_WINDOW seconds
    arrival_span: float  # seconds from the first of those arrivals to now
    calls_used: int  # calls in the organisation's minute window
    minute_budget: int  # calls a minute new documents may use
    minute_limit: int  # calls a minute in all


@dataclass(frozen=True)
class Pace:
    decision: Decision
    delay: float  # seconds until the flush looks again (gathering)
    reason: str


def arrivals_per_minute(situation: Situation) -> float:
    """The recent arrival rate; one arrival alone is no rate (it goes at once)."""
    if situation.arrivals < 2:
        return 0.0
    return (situation.arrivals - 1) * 60.0 / max(situation.arrival_span, MIN_SPAN)


def policy() -> Policy:
    """The configured policy (`xero.gather_seconds`; 0 never gathers)."""
    return Policy(max_gather=current_config().xero.gather_seconds)


def decide(situation: Situation, policy: Policy) -> Pace:
    """Go now unless orders arrive faster than the budget lets each go alone (or the minute's
    calls are nearly used); then gather until a batch is full or the oldest has waited its
    most, whichever the arrival rate says comes first."""
    if situation.unfinished:
        return Pace(Decision.NOW, 0.0, f"{situation.unfinished} order(s) to finish first")
    if situation.waiting == 0:
        return Pace(Decision.NOW, 0.0, "nothing waits to be gathered")
    if situation.waiting >= policy.batch:
        return Pace(Decision.NOW, 0.0, f"{situation.waiting} orders wait: a full batch")
    if situation.oldest_wait >= policy.max_gather:
        return Pace(Decision.NOW, 0.0, f"the oldest order waited {situation.oldest_wait:.0f}s")
    rate = arrivals_per_minute(situation)
    fast = rate * policy.calls_alone > situation.minute_budget
    full = situation.calls_used + policy.calls_alone > situation.minute_limit
    if not (fast or full):
        return Pace(Decision.NOW, 0.0, f"{rate:.0f} orders a minute fit the budget alone")
    until_full = (policy.batch - situation.waiting) * 60.0 / rate if rate else policy.max_gather
    delay = max(policy.min_delay, min(policy.max_gather - situation.oldest_wait, until_full))
    why = f"{rate:.0f} orders a minute" if fast else f"{situation.calls_used} calls this minute"
    return Pace(Decision.GATHER, delay, f"{why}: {situation.waiting} order(s) gathered")


# -- the record of arrivals and the store's situation ------------------------------------


def note_arrival(store_id: int) -> None:
    """An order arrived for the store (best effort: without the record, orders go at once)."""
    key = ARRIVALS_KEY.format(store_id=store_id)
    now = time.time()
    with contextlib.suppress(RedisError):
        pipeline = get_redis().pipeline(transaction=False)
        pipeline.zadd(key, {f"{now:.6f}": now})
        pipeline.zremrangebyscore(key, "-inf", now - ARRIVAL_WINDOW)
        pipeline.expire(key, int(ARRIVAL_WINDOW) * 2)
        pipeline.execute()


def _arrivals(store_id: int) -> tuple[int, float]:
    """Arrivals in the window, and the seconds since the first of them."""
    now = time.time()
    try:
        first = get_redis().zrangebyscore(
            ARRIVALS_KEY.format(store_id=store_id), now - ARRIVAL_WINDOW, "+inf",
            withscores=True,
        )  # fmt: skip
    except RedisError:
        return 0, 0.0
    return (len(first), now - first[0][1]) if first else (0, 0.0)


def situation(store_id: int, tenant_id: str) -> Situation:
    """The store's situation now: its waiting orders (the outbox), their arrivals, and the
    organisation's minute window. Backfill is not gathered (it keeps its own pace)."""
    unfinished = db.session.scalar(
        sa.select(sa.func.count(OutboxEntry.id)).where(
            OutboxEntry.store_id == store_id,
            OutboxEntry.status.in_(UNFINISHED),
        )
    )
    waiting, oldest = db.session.execute(
        sa.select(sa.func.count(OutboxEntry.id), sa.func.min(OutboxEntry.updated_at)).where(
            OutboxEntry.store_id == store_id,
            OutboxEntry.status == OutboxStatus.PENDING,
            OutboxEntry.priority < int(OutboxPriority.BACKFILL),
        )
    ).one()
    arrivals, span = _arrivals(store_id)
    limiter = xero_access.rate_limiter()
    usage = limiter.usage([tenant_id])[tenant_id]
    return Situation(
        unfinished=int(unfinished or 0),
        waiting=int(waiting),
        oldest_wait=_age(oldest),
        arrivals=arrivals,
        arrival_span=span,
        calls_used=usage.minute,
        minute_budget=limiter.minute_budget(CallPriority.NORMAL),
        minute_limit=limiter.minute_budget(CallPriority.HIGH),
    )


def _age(moment: datetime | None) -> float:
    return max(0.0, (utcnow() - moment).total_seconds()) if moment else 0.0
