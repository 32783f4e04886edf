"""WordPress dates: second resolution, ``Y-m-d\\TH:i:s`` with no offset, site-local or GMT."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:?\d{2})?$"
)


def now_utc() -> datetime:
    """The current time in UTC, truncated to the second as MySQL stores it."""
    return datetime.now(UTC).replace(microsecond=0)


def gmt(moment: datetime | None) -> str | None:
    """``wc_rest_prepare_date_response($date)``: the GMT wall clock."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """``wc_rest_prepare_date_response($date, false)``: the site-local wall clock."""
    return None if moment is None else moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def parse_param(text: str) -> datetime | None:
    """A ``date-time`` request parameter as a naive wall clock, or None if invalid.

    Assumed from ``WP_Date_Query``: an offset in the value is parsed but the digits are
    compared as written against the site-local (or, with ``dates_are_gmt``, the GMT) column.
    """
    match = _DATE_TIME.match(text.strip())
    if match is None:
        return None
    try:
        return datetime(*(int(match.group(i)) for i in range(1, 7)))
    except ValueError:
        return None


def wall(moment: datetime, zone: ZoneInfo | None) -> datetime:
    """``moment`` as a naive wall clock in ``zone`` (None: GMT)."""
    return moment.astimezone(zone or UTC).replace(tzinfo=None)
