"""What wooxero last saw of each WooCommerce record, and how many versions it processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow

# In an order's `data`: its refunds in full (lines, taxes, dates), read from
# `orders/<id>/refunds` when the order lists any; the order names them only by id and total.
REFUND_DETAILS = "_wooxero_refunds"


class WooRecord(db.Model):
    """The latest version of an order, customer or product read from the store itself
    (webhook payloads may be stale), with a hash to tell a real change from a repeat."""

    __tablename__ = "woo_records"
    __table_args__ = (sa.UniqueConstraint("store_id", "resource", "woo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(sa.String(32))
    woo_id: Mapped[str] = mapped_column(sa.String(64))
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the store's clock
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    deleted: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    versions_processed: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
