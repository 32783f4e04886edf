"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db
from server.redis_client import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database and Redis answer; 503 naming what does not."""
    problems: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        problems["database"] = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0]}"
    finally:
        db.session.rollback()
    try:
        get_redis().ping()
    except (RedisError, RuntimeError, OSError) as error:
        problems["redis"] = f"{type(error).__name__}: {error}"
    if problems:
        return jsonify(status="unavailable", problems=problems), 503
    return jsonify(status="ready"), 200
