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


class ContactIndex(db.Model):
    """A store's copy of its organisation's contacts (`IndexedContact`): when it was filled
    (never, for an organisation too big to copy) and the newest UpdatedDateUTC Xero's reads
    have given it, from which it is brought current."""

    __tablename__ = "xero_contact_indexes"
    __table_args__ = (sa.UniqueConstraint("store_id", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(sa.String(36))
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: too many to copy
    # The newest UpdatedDateUTC Xero's reads gave (not our own writes', which could hide a
    # contact made in Xero meanwhile); None while the organisation has no contacts.
    read_through: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IndexedContact(db.Model):
    """What a contact lookup needs of one Xero contact, and nothing more."""

    __tablename__ = "xero_contacts"
    __table_args__ = (
        sa.UniqueConstraint("index_id", "contact_id"),
        sa.Index("ix_xero_contacts_number", "index_id", "contact_number"),
        sa.Index("ix_xero_contacts_email", "index_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    index_id: Mapped[int] = mapped_column(
        sa.ForeignKey("xero_contact_indexes.id", ondelete="CASCADE")
    )
    contact_id: Mapped[str] = mapped_column(sa.String(36))
    contact_number: Mapped[str] = mapped_column(sa.String(50), default="")
    email: Mapped[str] = mapped_column(sa.String(255), default="")  # lower-cased
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(24), default="ACTIVE")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
