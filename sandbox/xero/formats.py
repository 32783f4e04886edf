"""Xero's wire formats: ``/Date(ms+0000)/`` dates, fixed-point money and exact JSON numbers."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


def now_utc() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def to_ms(value: datetime | date) -> int:
    """Milliseconds since the epoch; a plain date counts as midnight UTC."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), UTC)
    return int(value.timestamp() * 1000)


def ms_date(value: datetime | date) -> str:
    """``/Date(1518685950940+0000)/``, the form Xero uses in entity fields."""
    return f"/Date({to_ms(value)}+0000)/"


def envelope_date(value: datetime) -> str:
    """``/Date(1518685950940)/``, the form of the envelope's ``DateTimeUTC``."""
    return f"/Date({to_ms(value)})/"


def date_string(value: date) -> str:
    """``2024-03-01T00:00:00``, the companion ``DateString`` field."""
    return f"{value.isoformat()}T00:00:00"


def iso_utc(value: datetime) -> str:
    """``2024-03-01T10:20:30.123``, the form of webhook ``eventDateUtc`` (xero-webhooks.yaml)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def iso_utc_seconds(value: datetime) -> str:
    """``2024-03-01T10:20:30Z``, the form of ``UpdatedDateUTCString`` (spec examples)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: Any) -> date | None:
    """A document date from ``YYYY-MM-DD``, an ISO date-time or ``/Date(ms)/``; None if invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_http_date(value: str) -> datetime | None:
    """An ``If-Modified-Since`` value: ISO 8601 (Xero's form) or an RFC 7231 HTTP date."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_decimal(value: Any) -> Decimal | None:
    """A JSON number (already Decimal or int) or numeric string as Decimal; None if not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def round2(value: Decimal) -> Decimal:
    """Money to the cent, half away from zero (Xero's rounding)."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def round_to(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimals, half away from zero."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def dumps(value: Any) -> str:
    """JSON with Decimals written exactly as fixed-point numbers (never through float)."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """Parse a JSON request body with every non-integer number as Decimal."""
    return json.loads(text, parse_float=Decimal)
