"""Sync records: the audit trail of every attempt to move a record, and the numbers it moved;
and the drift check's reports of where Xero and the store no longer agree."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, Money, UTCDateTime, string_enum, utcnow


class Direction(enum.StrEnum):
    PUSH = "push"  # WooCommerce → Xero
    PULL = "pull"  # Xero → WooCommerce


class Outcome(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    SKIPPED = "skipped"
    HELD = "held"  # not sent: cannot be represented exactly until a person acts
    ERROR = "error"


class SyncRecord(db.Model):
    __tablename__ = "sync_records"
    __table_args__ = (
        sa.Index("ix_sync_records_store_started", "store_id", "started_at"),
        sa.Index("ix_sync_records_subject", "store_id", "kind", "woo_id"),
        # The dashboard's Activity filtered by outcome: the rare ones (errors, held) newest
        # first without walking the store's whole history.
        sa.Index("ix_sync_records_store_outcome", "store_id", "outcome", "started_at"),
        sa.Index("ix_sync_records_store_kind", "store_id", "kind", "started_at"),  # and by kind
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    inbound_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_events.id", ondelete="SET NULL")
    )
    direction: Mapped[Direction] = mapped_column(string_enum(Direction), default=Direction.PUSH)
    kind: Mapped[str] = mapped_column(sa.String(32))
    woo_id: Mapped[str] = mapped_column(sa.String(64), default="")
    xero_id: Mapped[str | None] = mapped_column(sa.String(36))
    action: Mapped[str] = mapped_column(sa.String(32))
    outcome: Mapped[Outcome] = mapped_column(string_enum(Outcome))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    woo_total: Mapped[Decimal | None] = mapped_column(Money)
    xero_total: Mapped[Decimal | None] = mapped_column(Money)
    job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DriftReport(db.Model):
    """A run of the drift check over a store's bound invoices, in binding id order. While
    `finished_at` is empty the run goes on from `position` (the last binding checked), so a
    big store is checked over several jobs and a lost job is resumed; the latest finished
    run is the store's report."""

    __tablename__ = "drift_reports"
    __table_args__ = (sa.Index("ix_drift_reports_store", "store_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(default=0)
    checked: Mapped[int] = mapped_column(default=0)  # invoices walked (in motion or not)
    differences: Mapped[int] = mapped_column(default=0)  # all found, kept or not
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str] = mapped_column(sa.Text, default="")
