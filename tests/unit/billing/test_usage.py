"""The billing period a moment falls in: the month ending at the period end the provider
set, or the calendar month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.billing.usage import Usage, current_period
from server.models import Subscription


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("end", "now", "period"),
    [
        (at(2026, 4, 12, 9), at(2026, 4, 1), (at(2026, 3, 12, 9), at(2026, 4, 12, 9))),
        (at(2026, 3, 31, 9), at(2026, 3, 15), (at(2026, 2, 28, 9), at(2026, 3, 31, 9))),
        (at(2028, 3, 31), at(2028, 3, 1), (at(2028, 2, 29), at(2028, 3, 31))),  # leap year
        (at(2027, 1, 20), at(2027, 1, 2), (at(2026, 12, 20), at(2027, 1, 20))),
        # a period end already past, or more than a month ahead: the calendar month
        (at(2026, 11, 30), at(2026, 12, 3, 17), (at(2026, 12, 1), at(2027, 1, 1))),
        (at(2027, 3, 1), at(2026, 12, 3, 17), (at(2026, 12, 1), at(2027, 1, 1))),
        (None, at(2026, 2, 14), (at(2026, 2, 1), at(2026, 3, 1))),
    ],
)
def test_the_period_a_moment_falls_in(end, now, period):
    assert current_period(Subscription(current_period_end=end), now) == period


def test_without_a_subscription_the_period_is_the_calendar_month():
    assert current_period(None, at(2026, 12, 31, 23)) == (at(2026, 12, 1), at(2027, 1, 1))


@pytest.mark.parametrize(
    ("orders", "quota", "percent", "over"),
    [(0, 40, 0, False), (3, 40, 7, False), (40, 40, 100, False), (41, 40, 102, True),
     (9, None, 0, False)],
)  # fmt: skip
def test_the_share_of_the_quota_used(orders, quota, percent, over):
    used = Usage(at(2026, 1, 1), at(2026, 2, 1), orders, quota)
    assert (used.percent, used.over) == (percent, over)
