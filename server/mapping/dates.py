"""Dates as Xero books them (pure: every moment is passed in, the clock is never read).

WooCommerce's `*_gmt` fields are moments in UTC; Xero dates a document by the day it was in
the organisation's timezone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def local_date(gmt: object, timezone: str) -> date:
    """The day a WooCommerce GMT moment ("2026-03-31T20:30:00") was in `timezone` (IANA).
    ValueError if it is not such a moment."""
    moment = datetime.fromisoformat(str(gmt)).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()
