"""Xero reference data cached per store: read once, used for mapping and lookups."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, string_enum, utcnow


class ReferenceKind(enum.StrEnum):
    ORGANISATION = "organisation"
    TAX_RATES = "tax_rates"
    ACCOUNTS = "accounts"
    TRACKING_CATEGORIES = "tracking_categories"
    ITEMS = "items"
    WOO_TAX_RATES = "woo_tax_rates"  # the store's own rates, for the tax mapping
    WOO_PAYMENT_GATEWAYS = "woo_payment_gateways"  # for the payment accounts' mapping


class XeroReference(db.Model):
    """One kind of reference data of a store's organisation as Xero last gave it."""

    __tablename__ = "xero_references"
    __table_args__ = (sa.UniqueConstraint("store_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[ReferenceKind] = mapped_column(string_enum(ReferenceKind))
    tenant_id: Mapped[str] = mapped_column(sa.String(36), default="")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
