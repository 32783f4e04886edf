"""Xero `where` expressions built safely. Values are quoted; a value containing a double
quote cannot be escaped reliably in Xero's filter language, so it is refused (search by
another field, or by `searchTerm`). `&` and `+` need no care here: the client URL-encodes
the whole expression."""

from __future__ import annotations

import re
import uuid
from datetime import date

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")


class UnsafeFilterValue(ValueError):  # noqa: N818 - a ValueError by nature
    pass


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"not a Xero field name: {name!r}")
    return name


def quote(value: str) -> str:
    if '"' in value:
        raise UnsafeFilterValue(f"Xero filters cannot match a value containing '\"': {value!r}")
    if any(ord(char) < 32 for char in value):
        raise UnsafeFilterValue(f"control characters cannot be filtered on: {value!r}")
    return f'"{value}"'


def equals(field: str, value: str | bool | int) -> str:
    if isinstance(value, bool):
        return f"{_field(field)}=={'true' if value else 'false'}"
    if isinstance(value, int):
        return f"{_field(field)}=={value}"
    return f"{_field(field)}=={quote(value)}"


def equals_ignoring_case(field: str, value: str) -> str:
    """`Field` equal to `value` whatever the case (records without the field never match)."""
    return f"{_field(field)}!=null AND {field}.ToLower()=={quote(value.lower())}"


def equals_guid(field: str, value: str) -> str:
    return f'{_field(field)}==Guid("{uuid.UUID(value)}")'


def on_or_after(field: str, day: date) -> str:
    return f"{_field(field)}>=DateTime({day.year}, {day.month:02d}, {day.day:02d})"


def any_of(expressions: list[str]) -> str:
    return " OR ".join(f"({expression})" for expression in expressions)


def all_of(expressions: list[str]) -> str:
    return " AND ".join(f"({expression})" for expression in expressions)
