"""Who may use a store's API: a signed-in operator (any store), or a dashboard session
bound to that store.

The dashboard lives in an iframe inside WordPress, on another site than this server, where
browsers refuse or partition cookies (Safari always; any browser over plain http). So an
embedded dashboard session is a bearer token, not a cookie: the embed flow opens it, pages
carry it in their links and forms (`s`), scripts send it in `X-Wooxero-Dashboard`. The
top-level flows (Xero's consent) also bind the cookie session to the store, as first-party
cookies work there.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, request, session
from flask_login import current_user

from server.extensions import db
from server.models import Store
from server.redis_client import get_redis

# Set by the top-level flows to the id of the one store the cookie session may use.
DASHBOARD_STORE_KEY = "dashboard_store_id"
DASHBOARD_HEADER = "X-Wooxero-Dashboard"
DASHBOARD_PARAM = "s"
DASHBOARD_IDLE_SECONDS = 3600  # a dashboard session ends after an hour unused
MAX_TOKEN_LENGTH = 100


def _key(token: str) -> str:
    return f"wooxero:dashboard:{token}"


def open_dashboard_session(store_id: int) -> str:
    """A new dashboard session bound to `store_id`; returns its token."""
    token = secrets.token_urlsafe(32)
    get_redis().set(_key(token), str(store_id), ex=DASHBOARD_IDLE_SECONDS)
    return token


def dashboard_token() -> str:
    """The dashboard token the request carries (header, query or form), or ""."""
    token = (
        request.headers.get(DASHBOARD_HEADER)
        or request.args.get(DASHBOARD_PARAM)
        or (request.form.get(DASHBOARD_PARAM) if request.method == "POST" else None)
        or ""
    )
    return token if 0 < len(token) <= MAX_TOKEN_LENGTH else ""


def _token_store_id(token: str) -> int | None:
    value = get_redis().getex(_key(token), ex=DASHBOARD_IDLE_SECONDS) if token else None
    return int(value) if value is not None else None


def dashboard_store_id() -> int | None:
    """The store this request's dashboard session is bound to: by its token if it carries
    one (an unknown or expired token binds nothing), else by the cookie session."""
    token = dashboard_token()
    if token:
        return _token_store_id(token)
    value = session.get(DASHBOARD_STORE_KEY)
    return value if isinstance(value, int) else None


def store_for_request(public_id: str) -> Store:
    """The store named in the URL if the caller may use it; 401 if not, 404 if unknown
    (only operators learn whether a store exists). A call carrying a dashboard token is
    judged by that token alone."""
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if current_user.is_authenticated and not dashboard_token():
        if store is None:
            abort(404, "no such store")
        return store
    if store is None or dashboard_store_id() != store.id:
        abort(401, "sign in to use this store's settings")
    return store
