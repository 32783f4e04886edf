"""Xero's JSON: `/Date(…)/` timestamps, money as Decimal both ways."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server import untrusted

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(value: str) -> datetime | None:
    """`/Date(1573755038314+0000)/` → an aware UTC datetime; None if `value` is not one."""
    match = _MS_DATE.match(value)
    if match is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))


def _convert_dates(value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_ms_date(value) if value.startswith("/Date(") else None
        return value if parsed is None else parsed
    if isinstance(value, list):
        return [_convert_dates(item) for item in value]
    if isinstance(value, dict):
        return {key: _convert_dates(item) for key, item in value.items()}
    return value


def loads(text: str) -> Any:
    """Parse a Xero response: numbers with a fraction become Decimal, `/Date()/` datetimes."""
    return _convert_dates(untrusted.loads(text, parse_float=Decimal))


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            number = float(o)
            if Decimal(repr(number)) != o:
                raise ValueError(f"{o} has too many significant digits to send exactly")
            return number
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        return super().default(o)


def dumps(value: Any) -> str:
    """Serialise a request body; Decimal becomes a JSON number with the same digits."""
    return json.dumps(value, cls=_Encoder, separators=(",", ":"), ensure_ascii=False)
