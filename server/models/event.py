"""Inbound events: every webhook delivery or poll result, stored before it is acknowledged."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, string_enum, utcnow


class EventSource(enum.StrEnum):
    WOOCOMMERCE_WEBHOOK = "woocommerce_webhook"
    WOOCOMMERCE_POLL = "woocommerce_poll"
    XERO_WEBHOOK = "xero_webhook"


class EventStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    FAILED = "failed"


class InboundEvent(db.Model):
    __tablename__ = "inbound_events"
    __table_args__ = (
        sa.Index("ix_inbound_events_resource", "store_id", "resource", "resource_id"),
        sa.Index("ix_inbound_events_status_received", "status", "received_at"),
        sa.Index("ix_inbound_events_delivery", "source", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    source: Mapped[EventSource] = mapped_column(string_enum(EventSource, length=32))
    topic: Mapped[str] = mapped_column(sa.String(100))
    resource: Mapped[str] = mapped_column(sa.String(32))
    resource_id: Mapped[str] = mapped_column(sa.String(64))
    resource_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_id: Mapped[str] = mapped_column(sa.String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    payload_hash: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    status: Mapped[EventStatus] = mapped_column(
        string_enum(EventStatus), default=EventStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)  # retries so far
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: now
    error: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
