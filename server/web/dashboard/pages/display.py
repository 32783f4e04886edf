"""How the dashboard shows times and money: times in the store's timezone (its Xero
organisation's, as its invoices are dated), said as people say them ("3 minutes ago") with
the exact time on hover; amounts with their currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from server.mapping.reference import DEFAULT_TIMEZONE, iana_timezone
from server.models.types import utcnow
from server.push import reference as xero_reference

UNITS = (
    (86400 * 365, "year"),
    (86400 * 30, "month"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def store_timezone(store_id: int) -> str:
    """The IANA zone of the store's Xero organisation, or UTC before it is known."""
    name = xero_reference.organisation(store_id).get("Timezone")
    return iana_timezone(str(name)) if name else DEFAULT_TIMEZONE


def relative(moment: datetime, now: datetime) -> str:
    """ "just now", "3 minutes ago", "in 2 hours", "yesterday"-free and unambiguous."""
    seconds = int((now - moment).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return "just now" if not future else "in a few seconds"
    size, unit = next(((size, unit) for size, unit in UNITS if seconds >= size), UNITS[-1])
    count = max(round(seconds / size), 1)
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if future else f"{words} ago"


@dataclass(frozen=True)
class Display:
    timezone: str

    def local(self, moment: datetime) -> datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.timezone))

    def exact(self, moment: datetime) -> str:
        return self.local(moment).strftime("%-d %b %Y, %H:%M:%S %Z")

    def when(self, moment: datetime | None, empty: str = "never") -> Markup:
        """A <time> saying how long ago, with the exact local time on hover."""
        if moment is None:
            return escape(empty)
        local = self.local(moment)
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            local.isoformat(timespec="seconds"), self.exact(moment), relative(moment, utcnow())
        )

    @staticmethod
    def date_of(day: date, short: bool = False) -> str:
        return day.strftime("%-d %b" if short else "%-d %b %Y")

    @staticmethod
    def money(amount: Decimal | None, currency: str = "") -> str:
        """1234.5, "NZD" → "NZD 1,234.50"; -3.1 → "NZD -3.10"."""
        if amount is None:
            return "—"
        text = f"{abs(amount):,.2f}"
        sign = "-" if amount < 0 else ""
        return f"{currency} {sign}{text}" if currency else f"{sign}{text}"
