"""What a store's Activity shows: its sync records, filtered and paged by a keyset (newest
first, a bounded page, so a store with years of records answers as fast as a new one); the
orders failed or held now; one order's whole trail; and the preview of what an order would
become in Xero, mapped from what is kept without writing or calling anything."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.extensions import db
from server.mapping.arithmetic import PricedLine, document_total
from server.mapping.orders import CannotMapError
from server.models import (
    Binding,
    BindingKind,
    OutboxEntry,
    Outcome,
    Store,
    SyncRecord,
)
from server.push import outbox
from server.push import reference as xero_reference
from server.push.plan import MAPPING_ERRORS, Context, mapped_order, order_record
from server.stores.settings import storage as settings_store

PAGE_SIZE = 50
MAX_ROW_ID = 2**63  # ids are 64-bit at most
TRAIL_LIMIT = 500  # an order's records, newest first: far more than any order makes
# The kinds of record that belong to an order's trail (their woo_id is the order's id).
ORDER_KINDS = ("order", "invoice", "quote", "credit_note", "payment")
KINDS = (*ORDER_KINDS, "product", "customer", "contact")
DOCUMENT_BINDINGS = (BindingKind.INVOICE, BindingKind.QUOTE)


class Show(enum.StrEnum):
    """What the list shows: records of one outcome, or the orders that wait for a person."""

    OK = Outcome.OK.value
    WARNING = Outcome.WARNING.value
    HELD = Outcome.HELD.value
    ERROR = Outcome.ERROR.value
    SKIPPED = Outcome.SKIPPED.value
    STUCK = "stuck"  # failed or held now (the outbox), whatever their records say


@dataclass(frozen=True)
class Filters:
    show: Show | None = None
    kind: str | None = None
    since: date | None = None  # local days, both included
    until: date | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's time and id (rows are newest first)."""

    moment: datetime
    row_id: int

    def encode(self) -> str:
        return f"{self.moment.isoformat()}~{self.row_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """The cursor `encode` wrote, or None for anything else (a time without its zone, an
        id no row can have)."""
        moment, _, row_id = text.partition("~")
        try:
            cursor = cls(datetime.fromisoformat(moment), int(row_id))
            if cursor.moment.tzinfo is None or not 0 < cursor.row_id < MAX_ROW_ID:
                return None
            cursor.moment.astimezone(ZoneInfo("UTC"))  # as the query will (year 1 or 9999 +1 h)
        except (ValueError, OverflowError):
            return None
        return cursor


@dataclass(frozen=True)
class Page:
    rows: list[Any]  # SyncRecord, or OutboxEntry when showing the stuck orders
    next: Cursor | None  # the next page's cursor; None on the last


def _window(filters: Filters, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The local days of `filters` as UTC moments [start, end)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(filters.since, time(), zone) if filters.since else None
    end = None
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), zone)
    return start, end


def records(store_id: int, filters: Filters, timezone: str, cursor: Cursor | None = None) -> Page:
    """A page of the store's activity, newest first (ix_sync_records_store_started, or
    …_store_outcome / …_store_kind for one outcome or kind; the outbox's index for the stuck
    orders)."""
    window = _window(filters, timezone)
    if filters.show is Show.STUCK:
        query = sa.select(OutboxEntry).where(
            OutboxEntry.store_id == store_id, OutboxEntry.status.in_(outbox.REPLAYABLE)
        )
        if filters.kind in ("invoice", "quote"):
            query = query.where(OutboxEntry.kind == filters.kind)
        return _newest(query, OutboxEntry.updated_at, OutboxEntry.id, window, cursor)
    query = sa.select(SyncRecord).where(SyncRecord.store_id == store_id)
    if filters.show is not None:
        query = query.where(SyncRecord.outcome == Outcome(filters.show.value))
    if filters.kind:
        query = query.where(SyncRecord.kind == filters.kind)
    return _newest(query, SyncRecord.started_at, SyncRecord.id, window, cursor)


def _newest(
    query: Any,
    moment: Any,
    row_id: Any,
    window: tuple[datetime | None, datetime | None],
    cursor: Cursor | None,
) -> Page:
    """One page of `query`'s rows in the window, newest first, after `cursor`."""
    start, end = window
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    if cursor is not None:
        query = query.where(
            sa.or_(moment < cursor.moment, sa.and_(moment == cursor.moment, row_id < cursor.row_id))
        )
    query = query.order_by(moment.desc(), row_id.desc()).limit(PAGE_SIZE + 1)
    rows = list(db.session.scalars(query))
    if len(rows) <= PAGE_SIZE:
        return Page(rows, None)
    rows = rows[:PAGE_SIZE]
    return Page(rows, Cursor(getattr(rows[-1], moment.key), rows[-1].id))


def stuck_count(store_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.store_id == store_id, OutboxEntry.status.in_(outbox.REPLAYABLE))
        )
        or 0
    )


@dataclass(frozen=True)
class Trail:
    """One order: its outbox entry (what Xero should hold), its documents' bindings and its
    records, newest first."""

    woo_order_id: str
    order_number: str  # WooCommerce's (a numbering plugin may differ from the id)
    entry: OutboxEntry | None
    documents: list[Binding]
    records: list[SyncRecord]

    @property
    def replayable(self) -> bool:
        return self.entry is not None and self.entry.status in outbox.REPLAYABLE


def trail(store_id: int, woo_order_id: str) -> Trail | None:
    """The order's trail in this store; None if the store knows no such order."""
    entry = db.session.scalar(
        sa.select(OutboxEntry).where(
            OutboxEntry.store_id == store_id, OutboxEntry.woo_order_id == woo_order_id
        )
    )
    # One exact lookup per kind on ix_sync_records_subject: with the kinds as a list and the
    # order by time, SQLite walks the store's whole history by time instead.
    subject = sa.union_all(
        *(
            sa.select(SyncRecord.id).where(
                SyncRecord.store_id == store_id,
                SyncRecord.kind == kind,
                SyncRecord.woo_id == woo_order_id,
            )
            for kind in ORDER_KINDS
        )
    ).subquery()
    rows = list(
        db.session.scalars(
            sa.select(SyncRecord)
            .where(SyncRecord.id.in_(sa.select(subject.c.id)))
            .order_by(SyncRecord.started_at.desc(), SyncRecord.id.desc())
            .limit(TRAIL_LIMIT)
        )
    )
    if entry is None and not rows:
        return None
    documents = list(
        db.session.scalars(
            sa.select(Binding).where(
                Binding.store_id == store_id,
                Binding.kind.in_(DOCUMENT_BINDINGS),
                Binding.woo_id == woo_order_id,
            )
        )
    )
    kept = order_record(store_id, woo_order_id)
    number = str(kept.data.get("number") or woo_order_id) if kept is not None else woo_order_id
    return Trail(woo_order_id, number, entry, documents, rows)


def short_code(store_id: int) -> str:
    """The organisation's short code, for deep links into Xero ("" before it is read)."""
    return str(xero_reference.organisation(store_id).get("ShortCode") or "")


# -- the preview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    discount: Decimal
    account: str
    tax_type: str
    tax_amount: Decimal
    line_amount: Decimal
    tracking: list[str]


@dataclass(frozen=True)
class Preview:
    """What the order would become in Xero now: a document (`kind`, `lines`, `total` as Xero
    would work it out, against the order's), or why none (`held`: reasons it cannot be
    represented; `none`: its status makes no document)."""

    woo_order_id: str
    order_number: str
    status: str
    currency: str
    order_total: Decimal | None
    kind: str = ""
    number: str = ""
    amounts: str = ""  # Inclusive, Exclusive or NoTax
    lines: list[PreviewLine] = field(default_factory=list)
    xero_total: Decimal | None = None
    explanation: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    none: str = ""

    @property
    def matches(self) -> bool:
        return self.xero_total is not None and self.xero_total == self.order_total


def preview(store: Store, woo_order_id: str) -> Preview | None:
    """The mapper's dry run on the order as last read, under today's settings and the cached
    Xero reference; None if the store keeps no such order. Reads only."""
    record = order_record(store.id, woo_order_id)
    if record is None or record.deleted:
        return None
    order = record.data
    base = Preview(
        woo_order_id=woo_order_id,
        order_number=str(order.get("number") or woo_order_id),
        status=str(order.get("status") or ""),
        currency=str(order.get("currency") or ""),
        order_total=_decimal(order.get("total")),
    )
    context = Context(store, settings_store.load(store.id), xero_reference.reference_for(store.id))
    try:
        mapped = mapped_order(context, order)
    except CannotMapError as error:
        return _with(base, held=list(error.reasons))
    except MAPPING_ERRORS as error:  # as the flush holds it: the order's shape is unexpected
        return _with(base, held=[f"could not be mapped ({type(error).__name__}: {error})"])
    if mapped is None:
        return _with(base, none=f"an order that is '{base.status}' makes no document (settings)")
    document = mapped.document
    lines = [_line(line) for line in document.get("LineItems", [])]
    amounts = str(document.get("LineAmountTypes") or "")
    priced = [PricedLine(x.quantity, x.unit_amount, x.discount, x.tax_amount) for x in lines]
    return _with(
        base,
        kind=mapped.kind,
        number=mapped.number,
        amounts=amounts.capitalize() if amounts.isupper() else amounts,
        lines=lines,
        xero_total=document_total(priced, inclusive=amounts.lower() == "inclusive"),
        explanation=list(mapped.explanation),
    )


def _with(base: Preview, **changes: Any) -> Preview:
    return Preview(**{**base.__dict__, **changes})


def _line(line: Mapping[str, Any]) -> PreviewLine:
    numbers = PricedLine(
        _decimal(line.get("Quantity")) or Decimal(0),
        _decimal(line.get("UnitAmount")) or Decimal(0),
        _decimal(line.get("DiscountAmount")) or Decimal(0),
        _decimal(line.get("TaxAmount")) or Decimal(0),
    )
    return PreviewLine(
        description=str(line.get("Description") or ""),
        quantity=numbers.quantity,
        unit_amount=numbers.unit_amount,
        discount=numbers.discount_amount,
        account=str(line.get("AccountCode") or ""),
        tax_type=str(line.get("TaxType") or ""),
        tax_amount=numbers.tax_amount,
        line_amount=numbers.line_amount,
        tracking=[
            f"{entry.get('Name')}: {entry.get('Option')}" for entry in line.get("Tracking") or []
        ],
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
