"""Stores > Sync settings: an operator reads and changes a store's settings document and
starts its syncs, backfills and replays — all through the store's JSON API, as the
dashboard does (`static/sync_settings.js`)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import abort, request
from flask_admin import expose

from server.admin.access import SecureView
from server.extensions import db
from server.inbound import backfill
from server.models import Store
from server.stores.settings import storage as settings_store

SCOPES = ("tax_rates", "contacts", "items", "push", "pull")


class SyncSettingsView(SecureView):
    def is_visible(self) -> bool:
        return False  # reached from a store's row, never from the menu

    @expose("/")
    def index(self) -> str:
        public_id = request.args.get("store", "")
        store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
        if store is None:
            abort(404)
        document = settings_store.load(store.id).model_dump(mode="json")
        latest = backfill.latest(store.id)
        return self.render(
            "admin/sync_settings.html",
            store=store,
            document=json.dumps(document, indent=2),
            scopes=SCOPES,
            backfill=backfill.progress(latest).as_dict() if latest else None,
        )
