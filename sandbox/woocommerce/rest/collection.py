"""Collection queries shared by list endpoints: paging, dates, ordering and headers.

Sourced (``WC_REST_CRUD_Controller::get_collection_params`` / ``get_items``): ``per_page``
1-100 (default 10), ``page`` ≥ 1, ``offset``; ``after``/``before`` compare the created date
and ``modified_after``/``modified_before`` the modified date, site-local unless
``dates_are_gmt``, all exclusive; date orderings break ties by id; headers ``X-WP-Total``,
``X-WP-TotalPages`` and a ``Link`` with ``prev``/``next`` built from the request's own query.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from ..php.dates import wall
from .params import Params
from .router import Call, Reply

T = TypeVar("T")


@dataclass
class Page:
    """Where a list starts and how long it is."""

    page: int
    per_page: int
    offset: int | None


def page_params(params: Params, maximum: int = 100) -> Page:
    """``page``, ``per_page`` and ``offset``."""
    page = params.integer("page", 1, minimum=1) or 1
    per_page = params.integer("per_page", 10, minimum=1, maximum=maximum) or 10
    offset = params.integer("offset", None)
    return Page(page, per_page, abs(offset) if offset is not None else None)


@dataclass
class DateFilter:
    """``after``/``before``/``modified_after``/``modified_before`` with ``dates_are_gmt``."""

    after: datetime | None
    before: datetime | None
    modified_after: datetime | None
    modified_before: datetime | None
    gmt: bool

    @classmethod
    def read(cls, params: Params) -> DateFilter:
        """Read the date parameters."""
        return cls(
            params.date("after"),
            params.date("before"),
            params.date("modified_after"),
            params.date("modified_before"),
            params.boolean("dates_are_gmt", False),
        )

    def keeps(self, call: Call, created: datetime, modified: datetime) -> bool:
        """Whether a record passes the filter."""
        zone = None if self.gmt else call.store.zone
        c, m = wall(created, zone), wall(modified, zone)
        return (
            (self.after is None or c > self.after)
            and (self.before is None or c < self.before)
            and (self.modified_after is None or m > self.modified_after)
            and (self.modified_before is None or m < self.modified_before)
        )


def order_by(
    items: list[T],
    orderby: str,
    descending: bool,
    keys: dict[str, Callable[[T], Any]],
    include: list[int],
    ident: Callable[[T], int],
) -> list[T]:
    """Sort like ``WP_Query``: ``include`` keeps the requested order; ties fall back to id."""
    if orderby == "include" and include:
        position = {value: index for index, value in enumerate(include)}
        return sorted(items, key=lambda i: position.get(ident(i), len(position)))
    key = keys.get(orderby, ident)
    return sorted(items, key=lambda i: (key(i), ident(i)), reverse=descending)


def paginate(
    call: Call, items: Sequence[Any], page: Page, path: str
) -> tuple[list[Any], dict[str, str]]:
    """The requested slice and the WordPress pagination headers."""
    total = len(items)
    start = page.offset if page.offset is not None else (page.page - 1) * page.per_page
    chunk = list(items[start : start + page.per_page])
    max_pages = math.ceil(total / page.per_page) if total else 0
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max_pages)}
    current = math.ceil(page.offset / page.per_page + 1) if page.offset is not None else page.page
    links = []
    base = dict(_flat(call.query))
    if current > 1:
        links.append(
            f'<{_link(call, path, base, min(current - 1, max(max_pages, 1)))}>; rel="prev"'
        )
    if max_pages > current:
        links.append(f'<{_link(call, path, base, current + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return chunk, headers


def _flat(query: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, list):
            value = {str(i): v for i, v in enumerate(value)}
        if isinstance(value, dict):
            pairs += _flat(value, name)
        else:
            pairs.append((name, str(value)))
    return pairs


def _link(call: Call, path: str, base: dict[str, str], page: int) -> str:
    return f"{call.view.url(path)}?{urlencode({**base, 'page': str(page)})}"


def listing(
    call: Call, items: Sequence[Any], page: Page, path: str, render: Callable[[Any], Any]
) -> Reply:
    """A paginated list reply."""
    chunk, headers = paginate(call, items, page, path)
    return Reply([render(i) for i in chunk], 200, headers)
