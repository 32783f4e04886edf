"""Pieces shared by every REST representation: links, meta rows, dates, money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..php import dates
from ..php.money import fmt
from ..store.database import Store
from ..store.models import Meta

CURRENCY_SYMBOLS = {
    "NZD": "&#36;",
    "AUD": "&#36;",
    "USD": "&#36;",
    "CAD": "&#36;",
    "EUR": "&euro;",
    "GBP": "&pound;",
}


@dataclass(frozen=True)
class View:
    """What rendering needs: the store, the home URL (scheme as the request saw it, like
    ``home_url()`` under ``is_ssl()``) and the decimals (``dp``)."""

    store: Store
    home: str
    dp: int

    @property
    def rest_base(self) -> str:
        """``rest_url('/wc/v3')``."""
        return f"{self.home}wp-json/wc/v3"

    def money(self, value: Decimal) -> str:
        """An amount with ``dp`` decimals."""
        return fmt(value, self.dp)

    def local(self, moment: datetime | None) -> str | None:
        """A site-local date."""
        return dates.local(moment, self.store.zone)

    def url(self, path: str) -> str:
        """A REST URL under ``/wp-json/wc/v3``."""
        return f"{self.rest_base}{path}"


def href(url: str) -> list[dict[str, str]]:
    """One ``_links`` relation."""
    return [{"href": url}]


def meta_rows(meta: list[Meta]) -> list[dict[str, Any]]:
    """Order, customer and product ``meta_data``: ``{id, key, value}``."""
    return [{"id": m.id, "key": m.key, "value": m.value} for m in meta]


def item_meta_rows(meta: list[Meta]) -> list[dict[str, Any]]:
    """Order item ``meta_data`` with ``display_key``/``display_value`` (WooCommerce 4.6+)."""
    rows = []
    for m in meta:
        display_key = m.key[3:].replace("-", " ").title() if m.key.startswith("pa_") else m.key
        rows.append(
            {
                "id": m.id,
                "key": m.key,
                "value": m.value,
                "display_key": display_key,
                "display_value": m.value,
            }
        )
    return rows
