"""Per-store sync settings and the mappings from WooCommerce things to Xero codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow


class SyncSettings(db.Model):
    """Modules switched on and the options of each (validated by the sync layer)."""

    __tablename__ = "sync_settings"

    store_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    modules: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaxMapping(db.Model):
    """The WooCommerce tax rates a line carries → the Xero TaxType used on that line.

    `woo_rates` is the key: "none" for a line without tax, a rate id ("5"), or the sorted ids
    of a line taxed at several rates at once ("5+7", compound or not).
    """

    __tablename__ = "tax_mappings"
    __table_args__ = (sa.UniqueConstraint("store_id", "woo_rates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    woo_rates: Mapped[str] = mapped_column(sa.String(64))
    woo_label: Mapped[str] = mapped_column(sa.String(200), default="")
    xero_tax_type: Mapped[str] = mapped_column(sa.String(50))


class SeenTaxKey(db.Model):
    """A tax mapping key found on one of the store's orders (or its refunds), kept when the
    order is kept: the tax mapping must hold every one, and reading them here costs a few
    rows where reading the orders would cost all of them. `label` names the rates as that
    order did, for keys whose rates the store has since deleted."""

    __tablename__ = "seen_tax_keys"
    __table_args__ = (sa.UniqueConstraint("store_id", "woo_rates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    woo_rates: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    woo_order_id: Mapped[str] = mapped_column(sa.String(64))  # the first order seen with it
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountMapping(db.Model):
    """A Xero account code for a scope: the store default, a product, a category, shipping…"""

    __tablename__ = "account_mappings"
    __table_args__ = (sa.UniqueConstraint("store_id", "scope", "woo_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(32))
    woo_ref: Mapped[str] = mapped_column(sa.String(64), default="")
    account_code: Mapped[str] = mapped_column(sa.String(10))


class TrackingRule(db.Model):
    """Which Xero tracking option an order line gets, from a property of the order."""

    __tablename__ = "tracking_rules"
    __table_args__ = (
        sa.CheckConstraint("position IN (1, 2)", name="position_1_or_2"),
        sa.UniqueConstraint("store_id", "position", "source", "match_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    position: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(32))
    source_key: Mapped[str] = mapped_column(sa.String(100), default="")
    match_value: Mapped[str] = mapped_column(sa.String(200))
    tracking_category: Mapped[str] = mapped_column(sa.String(100))
    tracking_option: Mapped[str] = mapped_column(sa.String(100))


class GatewayMapping(db.Model):
    """A WooCommerce payment gateway → the Xero bank account its payments are posted to."""

    __tablename__ = "gateway_mappings"
    __table_args__ = (sa.UniqueConstraint("store_id", "gateway_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    gateway_id: Mapped[str] = mapped_column(sa.String(100))
    xero_account_code: Mapped[str] = mapped_column(sa.String(10))
    post_payments: Mapped[bool] = mapped_column(default=True)
