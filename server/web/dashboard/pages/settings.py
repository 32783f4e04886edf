"""Settings: the store's sync settings as one form (`templates/settings/form.html`, which the
operator's admin shows too), saved through `actions.change_settings`. All sections post at
once: the module switches depend on the tax mapping, so both can be done in one save, and a
save that fails shows every field as it was typed with each error under its field."""

from __future__ import annotations

from flask import abort, request

from server.extensions import current_config
from server.models import Store
from server.web.dashboard import settings_form
from server.web.dashboard.pages import page_url, render, store_page
from server.web.dashboard.sessions import DASHBOARD_PARAM, dashboard_token


@store_page("settings", methods=("GET", "POST"))
def settings_page(store: Store) -> str | tuple[str, int]:
    default_minutes = current_config().woocommerce.poll_interval_minutes
    if request.method == "GET":
        form = settings_form.load_form(store, default_minutes)
        return _page(store, form, [("warning", text) for text in form.warnings.values()])
    try:
        saved = settings_form.save_form(store, request.form, default_minutes)
    except ValueError as error:
        abort(400, str(error))
    failed = saved.form.errors or any(kind == "error" for kind, _ in saved.notices)
    page = _page(store, saved.form, saved.notices)
    return (page, 422) if failed else page


def _page(store: Store, form: settings_form.SettingsForm, notices: list[tuple[str, str]]) -> str:
    return render(
        store,
        "settings",
        "dashboard/settings.html",
        notices=notices,
        form=form,
        action=page_url("settings"),
        hidden={DASHBOARD_PARAM: dashboard_token()},
    )
