"""Bindings: the one link between a WooCommerce record and the Xero record made from it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, string_enum, utcnow


class BindingKind(enum.StrEnum):
    CONTACT = "contact"
    ITEM = "item"
    INVOICE = "invoice"
    QUOTE = "quote"
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"


class Binding(db.Model):
    """`(store, kind, woo_id) ↔ (xero_id, xero_number, content_hash)`; unique per WooCommerce id.

    No binding means "create"; a binding means "update, or skip if the hash is unchanged".
    """

    __tablename__ = "bindings"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "kind", "woo_id"),
        sa.Index("ix_bindings_store_kind_xero", "store_id", "kind", "xero_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[BindingKind] = mapped_column(string_enum(BindingKind))
    woo_id: Mapped[str] = mapped_column(sa.String(64))
    xero_id: Mapped[str | None] = mapped_column(sa.String(36))
    xero_number: Mapped[str] = mapped_column(sa.String(255), default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    xero_status: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
