"""What a resource handler gets: the tenant, the request's options and the webhook sink."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..formats import parse_date
from ..store import Row, Tenant

PublishEvent = Callable[[str, str, str, str, dict[str, Any] | None], None]
"""(category, event type, resource collection, resource id, data) → None."""


class ElementErrors(Exception):  # noqa: N818 - mirrors Xero's element-level ValidationErrors
    """One element of a batch failed validation; ``messages`` are Xero's messages."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class Context:
    """The tenant being served and the request-wide options."""

    tenant: Tenant
    now: datetime
    unitdp: int = 2
    publish: PublishEvent = field(default=lambda *args: None)

    def rows(self, collection: str) -> dict[str, Row]:
        """Shortcut for the tenant's collection."""
        return self.tenant.rows(collection)

    def date_or_today(self, value: Any, errors: list[str]) -> date | None:
        """A ``Date`` field as a date, today when it is absent; None (and a message in
        ``errors``) when it is not a date."""
        when = parse_date(value) if value else self.now.date()
        if when is None:
            errors.append("The Date field is not a valid date.")
        return when


def text(value: Any) -> str:
    """A JSON string field as stripped text ('' when absent or not a string)."""
    return value.strip() if isinstance(value, str) else ""


def same_text(a: str | None, b: str | None) -> bool:
    """Case-insensitive equality of two optional strings."""
    return (a or "").casefold() == (b or "").casefold()
