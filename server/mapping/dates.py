"""Dates as Xero books them (pure: every moment is passed in, the clock is never read).

WooCommerce's `*_gmt` fields are moments in UTC; Xero dates a document by the day it was in
the organisation's timezone. Xero refuses documents dated on or before a lock date, so a
document that falls there is dated on the first open day instead, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def local_date(gmt: object, timezone: str) -> date:
    """The day a WooCommerce GMT moment ("2026-03-31T20:30:00") was in `timezone` (IANA).
    ValueError if it is not such a moment."""
    moment = datetime.fromisoformat(str(gmt)).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def xero_date(value: object) -> date | None:
    """A date as Xero's JSON writes it ("/Date(1577750400000+0000)/", or "2020-12-31" and
    "2020-12-31T00:00:00"); None when absent or unreadable."""
    text = str(value or "").strip()
    match = _MS_DATE.match(text)
    if match:  # milliseconds since the epoch, at midnight UTC of the day meant
        return (datetime(1970, 1, 1) + timedelta(milliseconds=int(match[1]))).date()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


@dataclass(frozen=True)
class OpenDate:
    """The date to give a document, and the one it would have had."""

    date: date
    original: date

    @property
    def moved(self) -> bool:
        """True when a lock date moved the document (the caller notes the original date in
        its Reference and the audit trail)."""
        return self.date != self.original


def open_date(
    day: date, period_lock_date: date | None, end_of_year_lock_date: date | None
) -> OpenDate:
    """`day`, or the first day after the organisation's lock dates when it is on or before
    them. Both locks count: the period lock binds all but advisers, and wooxero cannot know
    whether the person who connected it is one."""
    locks = [lock for lock in (period_lock_date, end_of_year_lock_date) if lock is not None]
    if locks and day <= max(locks):
        return OpenDate(max(locks) + timedelta(days=1), day)
    return OpenDate(day, day)
