"""Operators: the people who run wooxero and log in to /admin, and what each of them did."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from server.extensions import db
from server.models.types import UTCDateTime, string_enum, utcnow

MIN_PASSWORD_LENGTH = 12


class OperatorRole(enum.StrEnum):
    ADMIN = "admin"  # changes anything, manages operators
    SUPPORT = "support"  # sees everything, changes nothing


class Operator(UserMixin, db.Model):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the session cookie's id: a new password ends every existing session.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    role: Mapped[OperatorRole] = mapped_column(
        string_enum(OperatorRole),
        default=OperatorRole.ADMIN,
        server_default=OperatorRole.ADMIN.value,
    )
    # An IANA zone the panel shows times in; empty: the server's `server.operator_timezone`.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def may_change(self) -> bool:
        return self.role is OperatorRole.ADMIN

    def zone(self, default: str) -> ZoneInfo:
        """Where this operator reads times: their own zone, else the server's `default`."""
        return ZoneInfo(self.timezone or default)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive operators
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<Operator {self.email}>"


class ActionOutcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"  # attempted, and the change did not happen (a form error, Redis down)
    REFUSED = "refused"  # not allowed: a support operator, no CSRF token, a wrong password


class OperatorAction(db.Model):
    """One thing an operator did or tried: signing in or out, a change in the panel. The
    email is kept as it was, so the row still says who when the operator is gone; form
    values are never kept (they may be passwords or keys), only the rows acted on."""

    __tablename__ = "operator_actions"
    __table_args__ = (sa.Index("ix_operator_actions_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("operators.id", ondelete="SET NULL"), index=True
    )
    operator_email: Mapped[str] = mapped_column(sa.String(254), default="")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    view: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(64))
    targets: Mapped[str] = mapped_column(sa.String(500), default="")
    outcome: Mapped[ActionOutcome] = mapped_column(string_enum(ActionOutcome))
    status: Mapped[int] = mapped_column(default=0)  # the HTTP status answered
