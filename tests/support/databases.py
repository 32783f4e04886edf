"""Throwaway PostgreSQL databases, for the suite and the benchmarks: never the machine's
own database."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def create_postgres_database(
    url: str, prefix: str = "wooxero_test"
) -> tuple[str, Callable[[], None]]:
    """A new empty database on the server of `url`; returns its URL and a dropper."""
    admin_url = make_url(url)
    name = f"{prefix}_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop
