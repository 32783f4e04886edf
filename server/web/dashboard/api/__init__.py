"""The JSON API of a store's settings and manual syncs, for the dashboard and operators."""

from flask import Blueprint, Response, request

from server.extensions import csrf
from server.web.dashboard.sessions import DASHBOARD_HEADER

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below: only calls that ride on a cookie need the CSRF token


@bp.before_request
def check_csrf() -> None:
    """Writes on a cookie session carry the CSRF token. A dashboard call proves itself with
    its `X-Wooxero-Dashboard` header, which no other site can make a browser send."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and DASHBOARD_HEADER not in request.headers:
        csrf.protect()


@bp.after_request
def not_stored(response: Response) -> Response:
    """A store's settings, progress and CSRF tokens: no cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


from server.web.dashboard.api import (  # noqa: E402,F401 - registers the routes
    drift,
    errors,
    settings,
    sync,
)

__all__ = ["bp"]
