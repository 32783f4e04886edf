"""Every error of the API answers JSON: `{"error": "…"}` with the status."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from server.web.dashboard.api import bp

logger = logging.getLogger(__name__)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[dict[str, str], int]:
    return {"error": error.description or error.name}, error.code or 500


@bp.errorhandler(RedisError)
def redis_error(error: RedisError) -> tuple[dict[str, str], int]:
    logger.warning("Redis is unavailable: %s", error)
    return {"error": "the server's Redis is unavailable; try again shortly"}, 503
