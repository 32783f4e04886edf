"""Dates: WooCommerce's GMT moments as the organisation's days, Xero's own date formats, and
lock dates (a document dated on or before one goes to the first open day, saying so)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.mapping.dates import local_date, open_date, xero_date
from tests.unit.mapping.helpers import nz_tenant, reference_of


@pytest.mark.parametrize(
    ("gmt", "zone", "day"),
    [
        ("2026-03-31T20:30:00", "Pacific/Auckland", date(2026, 4, 1)),
        ("2026-03-31T10:59:59", "Pacific/Auckland", date(2026, 3, 31)),
        ("2026-04-01T03:00:00", "America/Los_Angeles", date(2026, 3, 31)),
        ("2026-04-01T03:00:00", "UTC", date(2026, 4, 1)),
    ],
)
def test_a_gmt_moment_is_the_day_it_was_in_the_organisation(gmt: str, zone: str, day: date):
    assert local_date(gmt, zone) == day


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01T00:00:00"])
def test_what_is_not_a_moment_is_refused(value: object):
    with pytest.raises(ValueError):
        local_date(value, "UTC")


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("/Date(1577750400000+0000)/", date(2019, 12, 31)),
        ("/Date(1577750400000)/", date(2019, 12, 31)),
        ("/Date(-86400000+0000)/", date(1969, 12, 31)),
        ("2020-12-31", date(2020, 12, 31)),
        ("2020-12-31T00:00:00", date(2020, 12, 31)),
        (None, None),
        ("", None),
        ("/Date(soon)/", None),
    ],
)
def test_xero_dates_are_read_in_both_of_its_formats(value: object, day: date | None):
    assert xero_date(value) == day


LOCK = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("day", "period", "end_of_year", "expected"),
    [
        (date(2026, 4, 1), LOCK, None, date(2026, 4, 1)),  # after the lock: kept
        (LOCK, LOCK, None, date(2026, 4, 1)),  # on the lock day: locked
        (date(2026, 1, 5), LOCK, None, date(2026, 4, 1)),
        (date(2026, 1, 5), None, LOCK, date(2026, 4, 1)),  # the end-of-year lock alone
        (date(2026, 1, 5), LOCK, date(2025, 12, 31), date(2026, 4, 1)),  # the later one
        (date(2026, 1, 5), None, None, date(2026, 1, 5)),  # no locks
    ],
)
def test_a_locked_date_moves_to_the_first_open_day(
    day: date, period: date | None, end_of_year: date | None, expected: date
):
    result = open_date(day, period, end_of_year)
    assert (result.date, result.original, result.moved) == (expected, day, expected != day)


locks = st.none() | st.dates(max_value=date.max - timedelta(days=1))


@given(day=st.dates(), locks=st.tuples(locks, locks))
def test_the_open_date_is_never_locked_and_moves_only_when_it_must(
    day: date, locks: tuple[date | None, date | None]
):
    result = open_date(day, *locks)
    assert result.date >= day
    assert all(result.date > lock for lock in locks if lock is not None)
    assert result.moved == any(day <= lock for lock in locks if lock is not None)


def test_the_reference_holds_the_lock_dates_and_the_accounts_that_take_payments():
    tenant = nz_tenant()
    tenant.organisation["PeriodLockDate"] = "/Date(1774915200000+0000)/"  # 31 March 2026
    tenant.organisation["EndOfYearLockDate"] = "/Date(1743379200000+0000)/"  # 31 March 2025
    reference = reference_of(tenant)
    assert reference.period_lock_date == date(2026, 3, 31)
    assert reference.end_of_year_lock_date == date(2025, 3, 31)
    # the seeded organisation's two bank accounts and its payments clearing account
    assert reference.payment_accounts == {"090", "091", "615"}
    assert reference_of(nz_tenant()).period_lock_date is None
