"""Liveness and readiness probes. Readiness names what is down; the details go to the log."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.database import NO_TRANSACTION
from server.extensions import db
from server.redis_client import get_redis

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database and Redis answer; 503 naming what does not."""
    problems: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            connection.execution_options(**NO_TRANSACTION).execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning("readiness: the database does not answer: %s", error)
        problems["database"] = "does not answer"
    try:
        get_redis().ping()
    except RuntimeError:
        problems["redis"] = "not configured"
    except (RedisError, OSError) as error:
        logger.warning("readiness: Redis does not answer: %s", error)
        problems["redis"] = "does not answer"
    if problems:
        return jsonify(status="unavailable", problems=problems), 503
    return jsonify(status="ready"), 200
