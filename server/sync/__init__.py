"""The use cases: flows that cross systems (WooCommerce, Xero, the database). They run the
same from a job, a CLI command or a test: no `flask.request`, no rq.

Rule for every flow: never hold a database transaction while waiting on another system
(on SQLite any transaction holds the write lock). Commit what you wrote before calling Xero
or a store; the clients built here end the read-only transaction left before each call, and
refuse to call with writes still uncommitted (`database.UncommittedWritesError`).
"""

from server.database import end_read_only_transaction
from server.extensions import db


def end_transaction() -> None:
    """Before a call to another system: no transaction (no lock) held while it answers."""
    end_read_only_transaction(db.session)
