"""Times as people say them, in the store's timezone; money with its currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.web.dashboard.pages.display import Display, relative

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_recent_moments_read_as_people_say_them() -> None:
    assert relative(NOW - timedelta(seconds=10), NOW) == "just now"
    assert relative(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert relative(NOW - timedelta(minutes=3, seconds=10), NOW) == "3 minutes ago"
    assert relative(NOW - timedelta(hours=2), NOW) == "2 hours ago"
    assert relative(NOW - timedelta(days=1), NOW) == "1 day ago"
    assert relative(NOW - timedelta(days=400), NOW) == "1 year ago"
    assert relative(NOW + timedelta(hours=5), NOW) == "in 5 hours"


@given(st.integers(min_value=45, max_value=10 * 365 * 86400))
def test_every_past_moment_has_one_count_and_unit(seconds: int) -> None:
    words = relative(NOW - timedelta(seconds=seconds), NOW).split()
    assert words[-1] == "ago" and int(words[0]) >= 1
    assert words[1].rstrip("s") in {"minute", "hour", "day", "month", "year"}
    assert words[1].endswith("s") == (int(words[0]) != 1)


def test_the_exact_time_is_the_stores_local_time() -> None:
    show = Display("Pacific/Auckland")  # NZDT, +13:00 in December
    moment = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
    assert show.exact(moment) == "4 Dec 2026, 00:30:00 NZDT"
    html = str(show.when(moment))
    assert 'datetime="2026-12-04T00:30:00+13:00"' in html and 'title="4 Dec 2026' in html
    assert str(show.when(None)) == "never"


def test_money_keeps_its_currency_and_cents() -> None:
    assert Display.money(Decimal("1234.5"), "NZD") == "NZD 1,234.50"
    assert Display.money(Decimal("-3.1"), "USD") == "USD -3.10"
    assert Display.money(None, "NZD") == "—"
