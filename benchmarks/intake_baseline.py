"""The yardstick for intake (`benchmarks.intake`): the least a webhook endpoint can do — a
bare Flask app that checks the delivery's HMAC and inserts the raw body, on the same
database, served the same way. Configured from the environment:

    INTAKE_BASELINE_DATABASE  a SQLAlchemy URL, where DELIVERIES was created
    INTAKE_BASELINE_SECRET    the webhook secret deliveries are signed with

    gunicorn -w 4 -k gthread --threads 8 'benchmarks.intake_baseline:create_app()'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, request

METADATA = sa.MetaData()
DELIVERIES = sa.Table(
    "baseline_deliveries",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


def _engine(url: str, pool_size: int) -> sa.Engine:
    """SQLite as wooxero runs it (WAL, the same busy timeout and sync level); a pool of a
    connection per thread, as wooxero's."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=pool_size)
    engine = sa.create_engine(url, pool_size=pool_size, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_app() -> Flask:
    engine = _engine(
        os.environ["INTAKE_BASELINE_DATABASE"], int(os.environ["INTAKE_BASELINE_THREADS"])
    )
    secret = os.environ["INTAKE_BASELINE_SECRET"].encode()
    app = Flask(__name__)

    @app.post("/webhooks/woocommerce/<public_id>")
    def deliver(public_id: str) -> Response:
        raw = request.get_data(cache=False)
        expected = base64.b64encode(hmac.new(secret, raw, hashlib.sha256).digest())
        signature = (request.headers.get("X-WC-Webhook-Signature") or "").encode()
        if not hmac.compare_digest(expected, signature):
            return Response(b"", status=401)
        with engine.begin() as connection:
            connection.execute(
                DELIVERIES.insert().values(
                    store=public_id, body=raw.decode(), received_at=datetime.now(UTC)
                )
            )
        return Response(b"", status=200)

    return app
