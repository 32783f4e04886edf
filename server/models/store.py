"""Stores: the tenants, one WooCommerce site each, the record of their state changes, and the
notifications told of them (each occurrence of a condition a person must act on)."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.crypto import EncryptedText
from server.extensions import db
from server.models.types import UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from server.models.connection import WooConnection, XeroConnection


class StoreState(enum.StrEnum):
    PENDING = "pending"  # consent received, ownership challenge in progress
    ACTIVE = "active"
    PAUSED = "paused"  # plugin deactivated or paused by an operator: events kept, no sync
    UNINSTALLED = "uninstalled"


def new_public_id() -> str:
    return secrets.token_urlsafe(16)


class Store(db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    url: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    # where the site's wp-admin lives (WordPress in a subfolder, an admin host); "" = url
    admin_url: Mapped[str] = mapped_column(sa.String(2048), default="", server_default="")
    state: Mapped[StoreState] = mapped_column(string_enum(StoreState), default=StoreState.PENDING)
    admin_email: Mapped[str] = mapped_column(sa.String(254), default="")
    admin_username: Mapped[str] = mapped_column(sa.String(60), default="")
    wp_user_id: Mapped[int | None]
    signing_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    plugin_version: Mapped[str] = mapped_column(sa.String(32), default="")
    wp_version: Mapped[str] = mapped_column(sa.String(32), default="")
    wc_version: Mapped[str] = mapped_column(sa.String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    xero_connection: Mapped[XeroConnection | None] = relationship(viewonly=True)
    woo_connection: Mapped[WooConnection | None] = relationship(viewonly=True)
    transitions: Mapped[list[StoreTransition]] = relationship(
        back_populates="store", cascade="all, delete-orphan", order_by="StoreTransition.id"
    )

    def transition_to(self, state: StoreState, reason: str, actor: str) -> StoreTransition | None:
        """Move to `state` and record why and by whom; nothing happens if already there."""
        if state == self.state:
            return None
        change = StoreTransition(from_state=self.state, to_state=state, reason=reason, actor=actor)
        self.transitions.append(change)
        self.state = state
        return change

    def __repr__(self) -> str:
        return f"<Store {self.id} {self.url}>"

    def __str__(self) -> str:
        """How the admin names a store wherever another row refers to it."""
        return f"{self.name} ({self.url})" if self.name else self.url


class StoreTransition(db.Model):
    __tablename__ = "store_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[StoreState | None] = mapped_column(string_enum(StoreState))
    to_state: Mapped[StoreState] = mapped_column(string_enum(StoreState))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    actor: Mapped[str] = mapped_column(sa.String(254), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    store: Mapped[Store] = relationship(back_populates="transitions")


class NotificationKind(enum.StrEnum):
    """What happened. A store kind's value is also its switch in the store's settings
    (`notifications.<kind>`)."""

    TRIAL_ENDING = "trial_ending"
    TRIAL_ENDED = "trial_ended"
    PAYMENT_FAILED = "payment_failed"
    XERO_REAUTHORISATION = "xero_reauthorisation"
    WOOCOMMERCE_REFUSED = "woocommerce_refused"
    WEBHOOKS_LOST = "webhooks_lost"
    ORDERS_NEED_ATTENTION = "orders_need_attention"


class Audience(enum.StrEnum):
    STORE = "store"  # the store's admin (its admin_email)
    OPERATORS = "operators"  # the addresses in email.operators


class Notification(db.Model):
    """One occurrence of a condition for one audience: open (`resolved_at` None) while the
    condition lasts; told at most once (`sent_at`), at once or in a digest."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The open occurrence of a store's condition, looked up at every check.
        sa.Index("ix_notifications_open", "store_id", "kind", "audience", "resolved_at"),
        # What waits for a recipient, and when they were last written to.
        sa.Index("ix_notifications_recipient", "audience", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, length=32))
    audience: Mapped[Audience] = mapped_column(string_enum(Audience, length=16))
    # The store admin's address when it was found ("" for the operators, or a store without
    # one: then it is written to the log).
    recipient: Mapped[str] = mapped_column(sa.String(254), default="")
    # What makes it this occurrence: the trial's end date, the held orders' episode…
    occurrence_key: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")  # Xero's reason, counts…
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_digest: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
