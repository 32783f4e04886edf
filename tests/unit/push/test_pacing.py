"""The pacing decision: at once while each order may go alone within the minute budget;
gathered while orders arrive faster, for no longer than the policy allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.push.pacing import Decision, Policy, Situation, arrivals_per_minute, decide

POLICY = Policy(batch=50, max_gather=30.0, calls_alone=4, min_delay=1.0)
BUDGET, LIMIT = 54, 60  # Xero's 60 a minute; new documents may use 90 % of it


def situation(**changes: float) -> Situation:
    values: dict = {
        "unfinished": 0, "waiting": 1, "oldest_wait": 0.0, "arrivals": 1, "arrival_span": 0.0,
        "calls_used": 0, "minute_budget": BUDGET, "minute_limit": LIMIT,
    }  # fmt: skip
    values.update(changes)
    return Situation(**values)


def stream(every: float, seen: int, **changes: float) -> Situation:
    """`seen` orders arrived one every `every` seconds, the last one just now."""
    return situation(arrivals=seen, arrival_span=every * (seen - 1), **changes)


def test_a_lone_order_goes_at_once() -> None:
    assert decide(situation(), POLICY).decision is Decision.NOW


def test_one_order_every_five_seconds_goes_at_once() -> None:
    # 12 a minute at 4 calls each: 48 calls, inside the 54 new documents may use
    for seen in range(2, 13):
        pace = decide(stream(5.0, seen, calls_used=4 * (seen - 1)), POLICY)
        assert pace.decision is Decision.NOW, seen


def test_two_orders_a_second_are_gathered_from_the_third_order() -> None:
    assert decide(stream(0.5, 2), POLICY).decision is Decision.NOW
    pace = decide(stream(0.5, 3), POLICY)
    assert pace.decision is Decision.GATHER
    # measured over 5 s at least, 3 orders are 24 a minute (96 calls alone: over the budget),
    # at which the batch would fill in 2 minutes: the oldest waits the policy's most
    assert pace.delay == POLICY.max_gather


def test_two_orders_at_one_moment_go_at_once_and_a_burst_is_gathered() -> None:
    assert decide(stream(0.0, 2, waiting=2), POLICY).decision is Decision.NOW
    assert decide(stream(0.0, 3, waiting=3), POLICY).decision is Decision.GATHER


def test_a_full_minute_window_gathers_even_a_slow_stream() -> None:
    pace = decide(situation(calls_used=LIMIT - POLICY.calls_alone + 1), POLICY)
    assert pace.decision is Decision.GATHER
    assert pace.delay == POLICY.max_gather


def test_orders_in_doubt_or_on_to_their_books_are_finished_at_once() -> None:
    assert decide(stream(0.1, 30, unfinished=1), POLICY).decision is Decision.NOW


def test_no_gathering_when_the_policy_allows_none() -> None:
    assert decide(stream(0.1, 30), Policy(max_gather=0.0)).decision is Decision.NOW


@given(
    waiting=st.integers(0, 200),
    oldest_wait=st.floats(0, 120),
    arrivals=st.integers(0, 500),
    arrival_span=st.floats(0, 60),
    calls_used=st.integers(0, 60),
)
def test_gathering_never_keeps_an_order_past_the_policys_wait(
    waiting: int, oldest_wait: float, arrivals: int, arrival_span: float, calls_used: int
) -> None:
    s = situation(waiting=waiting, oldest_wait=oldest_wait, arrivals=arrivals,
                  arrival_span=arrival_span, calls_used=calls_used)  # fmt: skip
    pace = decide(s, POLICY)
    if pace.decision is Decision.NOW:
        return
    assert 0 < waiting < POLICY.batch, "a full batch, or nothing, goes at once"
    assert oldest_wait < POLICY.max_gather
    assert pace.delay >= POLICY.min_delay
    assert oldest_wait + pace.delay <= max(POLICY.max_gather, oldest_wait + POLICY.min_delay)


@given(
    rate=st.floats(1, 600),
    calls_used=st.integers(0, LIMIT - 5),
    waiting=st.integers(1, 49),
)
def test_it_gathers_exactly_when_orders_alone_would_overrun_the_budget(
    rate: float, calls_used: int, waiting: int
) -> None:
    seen = 20
    s = stream(60.0 / rate, seen, calls_used=calls_used, waiting=waiting)
    alone = arrivals_per_minute(s) * POLICY.calls_alone
    gathered = decide(s, POLICY).decision is Decision.GATHER
    assert gathered == (alone > BUDGET)
