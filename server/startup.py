"""Checks and one-time set-up done before the processes start serving."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from server.crypto import DecryptionError, MissingKeyError
from server.extensions import db
from server.models import EncryptionCanary, Operator

FIRST_OPERATOR_EMAIL = "admin@localhost"


class StartupError(RuntimeError):
    """The installation is not in a state to start; the message says what to do."""


def apply_migrations() -> None:
    upgrade(directory=current_app.extensions["migrate"].directory)


def require_current_schema() -> None:
    """Refuse to run against a database that is not at the latest migration."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != set(script.get_heads()):
        raise StartupError(
            "the database schema is not up to date: run `wooxero db upgrade` "
            f"(database at {sorted(current) or 'nothing'}, code at {sorted(script.get_heads())})"
        )


def verify_encryption_keys() -> None:
    """Prove the configured keys decrypt this database's secrets (write the canary if new)."""
    try:
        canary = db.session.get(EncryptionCanary, 1)
        if canary is None:
            db.session.add(EncryptionCanary.new())
            db.session.commit()
        else:
            _ = canary.token  # decrypts
            db.session.rollback()
    except IntegrityError:  # another process wrote it first: check that one
        db.session.rollback()
        verify_encryption_keys()
    except DecryptionError:
        db.session.rollback()
        raise StartupError(
            "the encryption keys cannot decrypt the secrets stored in this database; "
            "configure the keys they were written with (security.encryption_keys, or "
            "encryption_keys in the data directory)"
        ) from None
    except MissingKeyError as error:
        db.session.rollback()
        raise StartupError(str(error)) from None


def ensure_first_operator() -> str | None:
    """Create an operator with a random password if there is none; return that password."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Operator)):
        return None
    password = secrets.token_urlsafe(15)
    operator = Operator(email=FIRST_OPERATOR_EMAIL)
    operator.set_password(password)
    db.session.add(operator)
    db.session.commit()
    return password
