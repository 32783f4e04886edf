"""The per-store outbox: Xero documents waiting to be written, flushed in batches."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, Money, UTCDateTime, string_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # to be written
    SENDING = "sending"  # in a batch on its way; uncertain if the worker dies
    UNCERTAIN = "uncertain"  # the write may have been applied: reconcile before writing again
    BOOKS = "books"  # the document is in Xero; its payment and credit notes are next
    DONE = "done"  # Xero has it all (see the bindings)
    WAITING = "waiting"  # for the store's prerequisites (Xero, modules, tax mapping); resumes
    HELD = "held"  # cannot be sent until a person acts (reason in `error`)
    FAILED = "failed"  # Xero refused it (its messages in `error`)


class OutboxAction(enum.StrEnum):
    UPSERT = "upsert"  # create the document, or update it to the order's current content
    CANCEL = "cancel"  # delete a draft, void an unpaid authorised document


class OutboxPriority(enum.IntEnum):
    """Lower goes first: new documents before updates before backfill."""

    CANCEL = 1
    NEW = 2
    UPDATE = 3
    BACKFILL = 4


class OutboxEntry(db.Model):
    """What Xero should hold for one order: one row per (store, order), rewritten as the
    order changes, so a burst of edits costs one write."""

    __tablename__ = "outbox_entries"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "woo_order_id"),
        sa.Index("ix_outbox_entries_store_status", "store_id", "status", "priority"),
        sa.Index("ix_outbox_entries_backfill", "backfill_id", "status"),  # its progress
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    woo_order_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # "invoice" or "quote"
    action: Mapped[OutboxAction] = mapped_column(string_enum(OutboxAction))
    number: Mapped[str] = mapped_column(sa.String(255), default="")
    customer_key: Mapped[str] = mapped_column(sa.String(320), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    contact: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    explanation: Mapped[list[str]] = mapped_column(JSONType, default=list)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    total: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[OutboxStatus] = mapped_column(string_enum(OutboxStatus))
    priority: Mapped[int] = mapped_column(default=int(OutboxPriority.NEW))
    attempts: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)  # +1 each time the order changes
    error: Mapped[str] = mapped_column(sa.Text, default="")
    backfill_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("backfills.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackfillStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Backfill(db.Model):
    """Every order since a date, read page by page and queued for Xero."""

    __tablename__ = "backfills"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BackfillStatus] = mapped_column(
        string_enum(BackfillStatus), default=BackfillStatus.RUNNING
    )
    total: Mapped[int | None]  # orders the store reported (X-WP-Total)
    read: Mapped[int] = mapped_column(default=0)  # orders read so far
    next_page: Mapped[int] = mapped_column(default=1)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
