"""Installation-wide state: the canary that proves the encryption keys match the database."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from server.crypto import EncryptedText
from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class EncryptionCanary(db.Model):
    """One row holding a known value encrypted with the keys in use when it was written.

    If it cannot be decrypted at start-up, the configured keys are not the ones the stored
    secrets were written with, and starting would make every connection unusable.
    """

    __tablename__ = "encryption_canary"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @staticmethod
    def new() -> EncryptionCanary:
        return EncryptionCanary(id=1, token=secrets.token_hex(16))
