"""Engine options per database, and SQLite made safe for several processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url

from server.extensions import db

SQLITE_BUSY_TIMEOUT_SECONDS = 30
DEFAULT_POOL_SIZE = 5  # SQLAlchemy's
NO_TRANSACTION = {"wooxero_no_transaction": True}  # execution option: a probe that takes no lock


def engine_options(url: str, threads: int) -> dict[str, Any]:
    """hide_parameters: a failed statement's message never carries its values (hashes,
    tokens). pool_size: a connection kept for each of a web process's threads, which all
    use one at once under load (with fewer, the others are opened and closed per request)."""
    pool_size = max(threads, DEFAULT_POOL_SIZE)
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, "hide_parameters": True,
                "pool_size": pool_size}  # fmt: skip
    return {"pool_pre_ping": True, "pool_recycle": 1800, "hide_parameters": True,
            "pool_size": pool_size}  # fmt: skip


def configure_sqlite(engine: Engine) -> None:
    """WAL (readers never wait), foreign keys, and `BEGIN IMMEDIATE`.

    A deferred transaction that has read cannot become a writer once another process has
    committed ("database is locked" at once, whatever the busy timeout). IMMEDIATE takes the
    write lock at BEGIN, so the web, worker and scheduler queue behind each other's writes
    (up to the busy timeout) instead. Keep transactions short: never hold one across a call
    to another system. A connection with the NO_TRANSACTION option (health probes) runs its
    statements in SQLite's autocommit mode and takes no lock.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if not connection.get_execution_options().get("wooxero_no_transaction"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def autocommit_connection() -> sa.Connection:
    """A connection for reads that need no transaction: on SQLite it takes no lock
    (NO_TRANSACTION), on PostgreSQL it spends no round trips on BEGIN and ROLLBACK."""
    connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        return connection.execution_options(**NO_TRANSACTION)
    return connection.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def sqlite_foreign_keys_off(connection: sa.Connection) -> Iterator[None]:
    """For migrations: SQLite's batch mode rebuilds a table by dropping it, which with
    foreign keys on would cascade-delete every row that refers to it. Checked afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or it is ignored
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


WROTE = "wooxero.wrote"


def track_writes(session_factory: Any) -> None:
    """Note on each session whether its transaction has written (flushed) anything."""
    if not sa.event.contains(session_factory, "after_flush", _note_write):
        sa.event.listen(session_factory, "after_flush", _note_write)
        sa.event.listen(session_factory, "after_commit", _forget_writes)
        sa.event.listen(session_factory, "after_rollback", _forget_writes)


def _note_write(session: Any, _context: Any) -> None:
    session.info[WROTE] = True


def _forget_writes(session: Any) -> None:
    session.info.pop(WROTE, None)


class UncommittedWritesError(RuntimeError):
    """A flow was about to wait on another system with writes not yet committed."""


def end_read_only_transaction(session: Any) -> None:
    """Before a call to another system: end the session's transaction, which may only have
    read (on SQLite any open transaction holds the write lock). Writes must be committed by
    the flow itself, at a point it chose: finding some here is a bug, so it is refused."""
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        raise UncommittedWritesError("commit (or roll back) before calling another system")
    session.rollback()


def end_transaction() -> None:
    """The rule for every flow that calls another system (Xero, a store, a WordPress site):
    no transaction, so no lock, is held while it answers. Commit what you wrote first; the
    clients built in `server.connections` call this before each request."""
    end_read_only_transaction(db.session)


def dialect_insert() -> Any:
    """The session's database's own INSERT, which knows `on_conflict_do_nothing` and
    `on_conflict_do_update` (PostgreSQL and SQLite spell them alike)."""
    return (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
