"""Connections: a store's credentials and state for each external system."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.crypto import EncryptedText
from server.extensions import db
from server.models.store import Store
from server.models.types import JSONType, UTCDateTime, string_enum, utcnow


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    CHOOSING_ORGANISATION = "choosing_organisation"  # authorised several; one to pick
    NEEDS_REAUTHORISATION = "needs_reauthorisation"
    ERROR = "error"
    DISCONNECTED = "disconnected"


class _ConnectionState:
    """Columns every connection has: its status, why, and when it changed."""

    status: Mapped[ConnectionStatus] = mapped_column(
        string_enum(ConnectionStatus, length=32), default=ConnectionStatus.DISCONNECTED
    )
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def mark(self, status: ConnectionStatus, reason: str = "") -> None:
        self.status = status
        self.status_reason = reason[:500]


class XeroConnection(_ConnectionState, db.Model):
    """The Xero organisation (tenant) a store syncs to and its OAuth2 token set."""

    __tablename__ = "xero_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="CASCADE"), unique=True
    )
    tenant_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    tenant_name: Mapped[str] = mapped_column(sa.String(255), default="")
    connection_id: Mapped[str | None] = mapped_column(sa.String(36))
    xero_user_id: Mapped[str | None] = mapped_column(sa.String(64))  # who authorised
    scopes: Mapped[str] = mapped_column(sa.Text, default="")
    access_token: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Xero's changes read up to

    store: Mapped[Store] = relationship()

    def erase_tokens(self) -> None:
        self.access_token = None
        self.refresh_token = None
        self.access_token_expires_at = None


class WooConnection(_ConnectionState, db.Model):
    """A store's WooCommerce REST keys and the secret its webhooks are signed with."""

    __tablename__ = "woo_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="CASCADE"), unique=True
    )
    consumer_key: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    consumer_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    key_id: Mapped[int | None]
    # Ids of keys WooCommerce granted us that a newer grant (or a disconnection) replaced:
    # the plugin deletes them in the store (it learns them from the bridge's answers).
    retired_key_ids: Mapped[list[int]] = mapped_column(
        JSONType, default=list, server_default=sa.text("'[]'")
    )
    key_permissions: Mapped[str] = mapped_column(sa.String(16), default="")
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The store's web server drops the Authorization header: keys go in the query string.
    query_string_auth: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Polling: minutes between polls (None: the configured default) and the scan in progress,
    # kept here so a restart resumes it: orders modified after `poll_cursor`, in id order,
    # `poll_offset` of them read so far, the last being `poll_last_id`; the store's clock
    # when the scan began (None: no scan running). Failures in a row back the polls off.
    poll_interval_minutes: Mapped[int | None]
    poll_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_offset: Mapped[int] = mapped_column(default=0, server_default="0")
    poll_last_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    poll_scan_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    poll_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The refund check (server.inbound.refund_check): the round in progress reads the bound
    # invoices after binding id `refund_check_cursor` (0: no round running), so a restart
    # resumes it; when the last round ended; failures in a row back the checks off.
    refund_check_cursor: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_check_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_check_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_check_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    store: Mapped[Store] = relationship()


class WooWebhook(db.Model):
    """A webhook wooxero created in the store, one per topic."""

    __tablename__ = "woo_webhooks"
    __table_args__ = (sa.UniqueConstraint("store_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(sa.String(64))
    webhook_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
