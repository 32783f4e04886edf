"""Who may use a store's API: a signed-in operator (any store), or a dashboard session
bound to that store.

The dashboard lives in an iframe inside WordPress, on another site than this server, where
browsers refuse or partition cookies (Safari always; any browser over plain http). So an
embedded dashboard session is a bearer token, not a cookie: the embed flow opens it, pages
carry it in their links and forms (`s`), scripts send it in `X-Wooxero-Dashboard`. The
top-level flows (Xero's consent) also bind the cookie session to the store, as first-party
cookies work there. A session ends after an hour unused, eight hours after it opened, when
the store is linked again, uninstalled or pending.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import sqlalchemy as sa
from flask import abort, request, session
from flask_login import current_user

from server.extensions import db
from server.models import Store, StoreState
from server.redis_client import get_redis

# Set by the top-level flows to the id of the one store the cookie session may use.
DASHBOARD_STORE_KEY = "dashboard_store_id"
DASHBOARD_HEADER = "X-Wooxero-Dashboard"
DASHBOARD_PARAM = "s"
DASHBOARD_IDLE_SECONDS = 3600  # a dashboard session ends after an hour unused,
DASHBOARD_MAX_SECONDS = 8 * 3600  # and eight hours after it was opened in any case
MAX_TOKEN_LENGTH = 100
CLOSED_STATES = (StoreState.PENDING, StoreState.UNINSTALLED)


def _key(token: str) -> str:
    return f"wooxero:dashboard:{token}"


def _link_digest(store: Store) -> str:
    """Changes whenever the store is linked again (a new signing secret), which ends every
    dashboard session opened before."""
    return hashlib.sha256((store.signing_secret or "").encode()).hexdigest()[:32]


def open_dashboard_session(store: Store) -> str:
    """A new dashboard session bound to `store`; returns its token."""
    token = secrets.token_urlsafe(32)
    value = {"store_id": store.id, "link": _link_digest(store), "opened": int(time.time())}
    get_redis().set(_key(token), json.dumps(value), ex=DASHBOARD_IDLE_SECONDS)
    return token


def dashboard_token() -> str:
    """The dashboard token the request carries (header, query or form), or ""."""
    token = (
        request.headers.get(DASHBOARD_HEADER)
        or request.args.get(DASHBOARD_PARAM)
        or (request.form.get(DASHBOARD_PARAM) if request.method == "POST" else None)
        or ""
    )
    return token[: MAX_TOKEN_LENGTH + 1]


def _carries_token() -> bool:
    return DASHBOARD_HEADER in request.headers or bool(dashboard_token())


def _token_store_id(token: str) -> int | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    raw = get_redis().getex(_key(token), ex=DASHBOARD_IDLE_SECONDS)
    if raw is None:
        return None
    value = json.loads(raw)
    store = db.session.get(Store, int(value["store_id"]))
    if (
        store is None
        or store.state in CLOSED_STATES
        or value["link"] != _link_digest(store)
        or time.time() - value["opened"] > DASHBOARD_MAX_SECONDS
    ):
        get_redis().delete(_key(token))
        return None
    return store.id


def dashboard_store_id() -> int | None:
    """The store this request's dashboard session is bound to. A request carrying a token
    (even an empty or malformed one) is judged by it alone; one without, by the cookie
    session of the top-level flows."""
    if _carries_token():
        return _token_store_id(dashboard_token())
    value = session.get(DASHBOARD_STORE_KEY)
    return value if isinstance(value, int) else None


def store_for_request(public_id: str) -> Store:
    """The store named in the URL if the caller may use it; 401 if not, 404 if unknown
    (only operators learn whether a store exists). A call carrying a dashboard token is
    judged by that token alone."""
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if current_user.is_authenticated and not _carries_token():
        if store is None:
            abort(404, "no such store")
        return store
    if store is None or dashboard_store_id() != store.id:
        abort(401, "sign in to use this store's settings")
    return store
