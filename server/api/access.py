"""Who may use a store's API: a signed-in operator (any store), or a dashboard session
bound to that store."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, session
from flask_login import current_user

from server.extensions import db
from server.models import Store

# Set by the dashboard's embed flow to the id of the one store its session may use.
DASHBOARD_STORE_KEY = "dashboard_store_id"


def store_for_request(public_id: str) -> Store:
    """The store named in the URL if the caller may use it; 401 if not, 404 if unknown
    (only operators learn whether a store exists)."""
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if current_user.is_authenticated:
        if store is None:
            abort(404, "no such store")
        return store
    if store is None or session.get(DASHBOARD_STORE_KEY) != store.id:
        abort(401, "sign in to use this store's settings")
    return store
