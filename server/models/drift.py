"""The drift check's reports: one row per run of a store's check (see `server.pull.drift`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow


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
    checked: Mapped[int] = mapped_column(default=0)  # invoices compared
    differences: Mapped[int] = mapped_column(default=0)  # all found, kept or not
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str] = mapped_column(sa.Text, default="")
