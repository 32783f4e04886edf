"""What the connect routes share: who is acting, which store, where to go back."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, url_for
from flask_login import current_user

from server.extensions import db, login_manager
from server.models import Store
from server.web.dashboard.sessions import dashboard_store_id

WORDPRESS_XERO_PAGE = "admin.php?page=wooxero-bridge-xero"
WORDPRESS_MAIN_PAGE = "admin.php?page=wooxero-bridge"


def actor() -> str:
    """Who acts: an operator, or a store admin in the store's dashboard session."""
    if current_user.is_authenticated:
        return f"operator:{current_user.id}"
    return f"dashboard:{dashboard_store_id()}"


def operator_or_store_admin(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operator (any store), or a store admin whose dashboard session is bound to the
    store of the URL (or, without one in the URL, to some store)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        store_id = dashboard_store_id()
        public_id = kwargs.get("public_id")
        if store_id is None:
            return login_manager.unauthorized()
        if public_id is not None and store_or_404(public_id).id != store_id:
            abort(403)
        return view(*args, **kwargs)

    return checked


def store_or_404(public_id: str) -> Store:
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if store is None:
        abort(404)
    return store


def back_to(store: Store, wordpress_page: str = WORDPRESS_XERO_PAGE) -> str:
    """Where the person goes back to: the admin panel, or the plugin's page in WordPress
    for a store admin."""
    if current_user.is_authenticated:
        return url_for("store.details_view", id=store.id)
    admin = store.admin_url or store.url.rstrip("/") + "/wp-admin/"
    return admin + wordpress_page
