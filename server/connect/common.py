"""What the connect routes share: who is acting, which store, where to go back."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, url_for
from flask_login import current_user

from server.extensions import db
from server.models import Store


def actor() -> str:
    return f"operator:{current_user.id}"


def store_or_404(public_id: str) -> Store:
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if store is None:
        abort(404)
    return store


def back_to(store: Store) -> str:
    return url_for("store.details_view", id=store.id)
