"""Secrets at rest: an encrypted column type (Fernet/MultiFernet) and key rotation.

The first configured key encrypts; every configured key decrypts. Rotating means putting a
new key first, re-encrypting every stored secret with it (`rotate_secrets`), then dropping
the old key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy.engine import Connection, Dialect

EXTENSION_KEY = "wooxero.keyring"


class MissingKeyError(RuntimeError):
    """A secret had to be encrypted or decrypted but no encryption key is configured."""


class DecryptionError(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


def make_keyring(keys: Sequence[str]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def init_app(app: Flask, keys: Sequence[str]) -> None:
    if keys:
        app.extensions[EXTENSION_KEY] = make_keyring(keys)


def keyring() -> MultiFernet:
    ring = current_app.extensions.get(EXTENSION_KEY)
    if ring is None:
        raise MissingKeyError("no encryption key is configured (security.encryption_keys)")
    return ring


class EncryptedText(sa.TypeDecorator[str]):
    """Text stored as a Fernet token: unreadable in the raw row, plain text in Python."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


def decrypt(stored: str) -> str:
    """A secret as stored by EncryptedText, in plain text (for a column read raw)."""
    try:
        return keyring().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "a stored secret cannot be decrypted with the configured encryption keys"
        ) from None


def encrypted_columns(metadata: sa.MetaData) -> list[sa.Column[str]]:
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


def rotate_secrets(
    connection: Connection, metadata: sa.MetaData, keys: Sequence[str]
) -> dict[str, int]:
    """Re-encrypt with the first of `keys` every stored secret that key cannot already read;
    return how many moved, per table.

    Works on the raw tokens, so it is independent of the models' Python types, and each
    update applies only if the token is unchanged, so a secret written meanwhile (a refreshed
    Xero token) is never overwritten. Raises DecryptionError, before anything is written, if
    a token matches none of the keys. Safe to run again.
    """
    ring = make_keyring(keys)
    primary = make_keyring(keys[:1])
    planned: list[tuple[sa.Table, dict[str, object], str, str, str]] = []
    for column in encrypted_columns(metadata):
        table = column.table
        primary_key = list(table.primary_key.columns)
        raw = sa.type_coerce(column, sa.Text).label("token")
        for row in connection.execute(sa.select(*primary_key, raw).where(column.is_not(None))):
            if _readable(primary, row.token):
                continue
            try:
                token = ring.rotate(row.token.encode()).decode()
            except InvalidToken:
                raise DecryptionError(
                    f"{table.name}.{column.name} holds a secret no configured key can decrypt"
                ) from None
            key = {pk.name: getattr(row, pk.name) for pk in primary_key}
            planned.append((table, key, column.name, row.token, token))
    moved: dict[str, int] = {}
    for table, key, column_name, old, new in planned:
        raw_column = sa.type_coerce(table.c[column_name], sa.Text)
        condition = sa.and_(
            raw_column == old, *(table.c[name] == value for name, value in key.items())
        )
        statement = (
            sa.update(table).where(condition).values({column_name: sa.literal(new, sa.Text)})
        )
        if connection.execute(statement).rowcount:
            moved[table.name] = moved.get(table.name, 0) + 1
    return moved


def _readable(ring: MultiFernet, token: str) -> bool:
    try:
        ring.decrypt(token.encode())
    except InvalidToken:
        return False
    return True
