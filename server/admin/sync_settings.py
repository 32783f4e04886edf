"""Stores > Sync settings: an operator changes a store's settings with the same form the
store's Settings page shows (`templates/settings/form.html`), posted with the CSRF token to
`save`, which saves it through `actions.change_settings` as the page and the API do; and
starts its syncs, backfills and replays through the store's JSON API
(`static/sync_settings.js`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_admin import expose
from flask_wtf.csrf import generate_csrf

from server.admin.access import SecureView
from server.extensions import current_config, db
from server.inbound import backfill
from server.models import Store
from server.web.dashboard import settings_form

SCOPES = ("tax_rates", "contacts", "items", "push", "pull")


class SyncSettingsView(SecureView):
    def is_visible(self) -> bool:
        return False  # reached from a store's row, never from the menu

    @expose("/")
    def index(self) -> str:
        store = _store()
        form = settings_form.load_form(store, _default_poll_minutes())
        return self._page(store, form, [("warning", text) for text in form.warnings.values()])

    @expose("/save", methods=("POST",))
    def save(self) -> str | tuple[str, int]:
        store = _store()
        try:
            saved = settings_form.save_form(store, request.form, _default_poll_minutes())
        except ValueError as error:
            abort(400, str(error))
        page = self._page(store, saved.form, saved.notices)
        return (page, 422) if any(kind == "error" for kind, _ in saved.notices) else page

    def _page(
        self, store: Store, form: settings_form.SettingsForm, notices: list[tuple[str, str]]
    ) -> str:
        latest = backfill.latest(store.id)
        return self.render(
            "admin/sync_settings.html",
            store=store,
            form=form,
            notices=notices,
            action=url_for(".save", store=store.public_id),
            hidden={"csrf_token": generate_csrf()},
            scopes=SCOPES,
            backfill=backfill.progress(latest).as_dict() if latest else None,
        )


def _store() -> Store:
    public_id = request.args.get("store", "")
    store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
    if store is None:
        abort(404)
    return store


def _default_poll_minutes() -> int:
    return current_config().woocommerce.poll_interval_minutes
