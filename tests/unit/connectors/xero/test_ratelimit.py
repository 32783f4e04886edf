import threading
import time

import pytest

from server.connectors.base import RateLimitError
from server.connectors.xero.config import Limits
from server.connectors.xero.ratelimit import CallPriority, RateLimiter
from tests.support.waiting import PATIENCE

HIGH, NORMAL, LOW = CallPriority.HIGH, CallPriority.NORMAL, CallPriority.LOW


def limiter(redis_client, **limits) -> RateLimiter:
    return RateLimiter(redis_client, Limits(**limits), app_id="t")


def take(rl: RateLimiter, tenant: str, count: int, priority=HIGH) -> None:
    for _ in range(count):
        with rl.slot(tenant, priority, max_wait=0):
            pass


def test_the_minute_window_refuses_the_call_over_the_limit(redis_client):
    rl = limiter(redis_client, per_minute=10, minute_window=30)
    started = time.monotonic()
    take(rl, "org", 10)
    with pytest.raises(RateLimitError) as caught:
        take(rl, "org", 1)
    elapsed = time.monotonic() - started
    assert caught.value.limit == "minute"
    assert 30 - elapsed <= caught.value.retry_after <= 30, "when the first call leaves the window"
    take(rl, "other-org", 10)  # limits are per organisation


def test_the_window_slides(redis_client):
    rl = limiter(redis_client, per_minute=3, minute_window=0.5)
    take(rl, "org", 3)
    time.sleep(0.6)
    take(rl, "org", 3)


def test_low_priority_leaves_headroom_for_payments(redis_client):
    rl = limiter(redis_client, per_minute=10)
    take(rl, "org", 7, LOW)
    with pytest.raises(RateLimitError):
        take(rl, "org", 1, LOW)
    take(rl, "org", 2, NORMAL)
    with pytest.raises(RateLimitError):
        take(rl, "org", 1, NORMAL)
    take(rl, "org", 1, HIGH)


def test_the_daily_budget(redis_client):
    rl = limiter(redis_client, per_day=5)
    take(rl, "org", 5)
    with pytest.raises(RateLimitError) as caught:
        take(rl, "org", 1)
    assert caught.value.limit == "day"


def test_the_app_limit_spans_organisations(redis_client):
    rl = limiter(redis_client, app_per_minute=4)
    take(rl, "a", 2)
    take(rl, "b", 2)
    with pytest.raises(RateLimitError) as caught:
        take(rl, "c", 1)
    assert caught.value.limit == "appminute"


def test_at_most_five_calls_in_flight_and_a_slot_frees_when_a_call_ends(redis_client):
    rl = limiter(redis_client)
    holders = [rl.slot("org", HIGH, 0) for _ in range(5)]
    for holder in holders:
        holder.__enter__()
    with pytest.raises(RateLimitError) as caught:
        take(rl, "org", 1)
    assert caught.value.limit == "concurrent"
    holders[0].__exit__(None, None, None)
    take(rl, "org", 1)
    for holder in holders[1:]:
        holder.__exit__(None, None, None)


def test_a_caller_waits_for_a_slot_within_max_wait(redis_client):
    rl = limiter(redis_client, concurrent=1)
    entered, leaving = threading.Event(), threading.Event()

    def hold() -> None:
        with rl.slot("org", HIGH, 0):
            entered.set()
            time.sleep(0.3)
            leaving.set()

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(PATIENCE)
    with rl.slot("org", HIGH, max_wait=PATIENCE):
        assert leaving.is_set(), "the slot was had only once the holder let it go"
    thread.join()


def test_a_call_in_flight_counts_until_it_ends_then_from_its_end(redis_client):
    window = 3.0  # seconds: longer than a pause between two calls, even on a loaded machine
    rl = limiter(redis_client, per_minute=2, minute_window=window)
    with rl.slot("org", HIGH, 0):
        time.sleep(window + 0.1)  # longer than the window: still counted while in flight
        take(rl, "org", 1)
        with pytest.raises(RateLimitError):
            take(rl, "org", 1)
    with pytest.raises(RateLimitError):
        take(rl, "org", 1)  # re-scored to when it ended: inside the window again
    time.sleep(window + 0.05)
    take(rl, "org", 2)


def test_a_block_after_429_is_shared(redis_client):
    first, second = limiter(redis_client), limiter(redis_client)
    started = time.monotonic()
    first.block("org", "day", 100)
    with pytest.raises(RateLimitError) as caught:
        take(second, "org", 1)
    elapsed = time.monotonic() - started
    assert caught.value.limit == "day"
    assert 100 - elapsed <= caught.value.retry_after <= 100


def test_the_day_is_planned_by_class_so_payments_keep_room(redis_client):
    rl = limiter(redis_client, per_day=100, per_minute=1000)
    for priority, share in ((LOW, 50), (CallPriority.UPDATE, 70), (NORMAL, 90), (HIGH, 100)):
        used = rl.usage(["org"])["org"].day
        assert rl.day_room(rl.usage(["org"])["org"], priority) == share - used
        take(rl, "org", share - used, priority)
        with pytest.raises(RateLimitError) as caught:
            take(rl, "org", 1, priority)
        assert caught.value.limit == "day"
        assert rl.day_room(rl.usage(["org"])["org"], priority) == 0
