"""Roles, page by page over every view the panel registers (a view added later is walked
too): support sees every page and changes nothing, whichever way it asks; admin changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from server.extensions import db
from server.models import ActionOutcome, Operator, OperatorAction, OperatorRole, Plan
from server.web.auth.roles import OPEN_TO_EVERY_ROLE, READS
from tests.integration.admin.conftest import (
    ADMIN_EMAIL,
    SUPPORT_EMAIL,
    admin_views,
    database_rows,
    model_views,
)
from tests.support.web import csrf_token, log_in

REFUSED_WORDS = "Your operator role is support"


def _first_id(model: type) -> int:
    row_id = db.session.scalar(sa.select(sa.func.min(model.id)))
    assert row_id is not None, f"the fixture seeds a {model.__name__}"
    return row_id


def _support_client(app, panel):
    client = app.test_client()
    assert log_in(client, email=SUPPORT_EMAIL).status_code == 302
    return client, csrf_token(client.get("/admin/").text)


def _url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def test_support_sees_every_list_and_details_page_read_only(app_context, panel):
    client, _token = _support_client(app_context, panel)
    for view in model_views(app_context):
        listing = client.get(_url(app_context, f"{view.endpoint}.index_view"))
        if view.admins_only:
            assert listing.status_code == 403 and "Only an admin" in listing.text, view.endpoint
            continue
        assert listing.status_code == 200, view.endpoint
        assert "/new/" not in listing.text, f"{view.endpoint}: no Create for support"
        assert "/edit/" not in listing.text and "/delete/" not in listing.text, view.endpoint
        assert "action_form" not in listing.text, f"{view.endpoint}: no actions for support"
        row_id = _first_id(view.model)
        details = client.get(_url(app_context, f"{view.endpoint}.details_view", id=row_id))
        assert details.status_code == 200, view.endpoint
        assert "/edit/" not in details.text, view.endpoint


def test_every_other_admin_page_answers_support(app_context, panel):
    client, _token = _support_client(app_context, panel)
    pages = [
        rule
        for view in admin_views(app_context)
        if not hasattr(view, "model")
        for rule in app_context.url_map.iter_rules()
        if rule.endpoint.startswith(f"{view.endpoint}.") and "GET" in rule.methods
        and not rule.arguments
    ]  # fmt: skip
    assert {rule.endpoint for rule in pages} >= {"admin.index", "system.index", "account.index"}
    for rule in pages:
        answer = client.get(rule.rule, query_string={"store": panel.store.public_id})
        assert answer.status_code == 200, rule.endpoint


def test_the_operators_page_is_out_of_supports_menu(app_context, panel):
    client, _token = _support_client(app_context, panel)
    menu = client.get("/admin/").text
    assert "/admin/operator/" not in menu
    assert "/admin/operatoraction/" in menu and "(support: read only)" in menu


def test_support_can_create_edit_delete_or_act_on_nothing_page_by_page(app_context, panel):
    client, token = _support_client(app_context, panel)
    before = database_rows()
    attempts = 0
    for view in model_views(app_context):
        row_id = _first_id(view.model)
        posts = [
            (_url(app_context, f"{view.endpoint}.create_view"), {"name": "changed"}),
            (_url(app_context, f"{view.endpoint}.edit_view", id=row_id), {"name": "changed"}),
            (_url(app_context, f"{view.endpoint}.delete_view"), {"id": str(row_id)}),
        ]
        posts += [
            (_url(app_context, f"{view.endpoint}.action_view"), {"action": name, "rowid": row_id})
            for name, _label in view._actions
        ]
        for url, form in posts:
            answer = client.post(url, data={**form, "csrf_token": token})
            assert answer.status_code == 403, (url, form)
            assert REFUSED_WORDS in answer.text or "Only an admin" in answer.text, url
            attempts += 1
    assert attempts > 3 * len(model_views(app_context)), "the actions were tried too"
    db.session.expire_all()
    assert database_rows() == before


def test_every_post_route_of_the_app_refuses_support(app_context, panel):
    """Every route taking anything but GET (the admin's buttons, open dashboard, check worker,
    sync settings' save, the connect buttons, the store API the panel's pages call)."""
    client, token = _support_client(app_context, panel)
    before = database_rows()
    tried = set()
    for rule in app_context.url_map.iter_rules():
        view = app_context.view_functions[rule.endpoint]
        if getattr(view, OPEN_TO_EVERY_ROLE, False):
            continue
        for method in sorted(rule.methods - READS):
            values = {
                name: panel.store.public_id if name == "public_id" else "1"
                for name in rule.arguments
            }
            url = _url(app_context, rule.endpoint, **values)
            answer = client.open(
                url, method=method, data={"csrf_token": token},
                query_string={"store": panel.store.public_id}, headers={"X-CSRFToken": token},
            )  # fmt: skip
            assert answer.status_code == 403, (method, url, answer.status_code)
            tried.add(rule.endpoint)
    assert {"store.open_dashboard", "system.check_worker", "sync_settings.save"} <= tried
    assert any(endpoint.startswith("connect.") for endpoint in tried)
    db.session.expire_all()
    assert database_rows() == before
    refusals = db.session.scalars(
        sa.select(OperatorAction).where(OperatorAction.action != "sign in")
    ).all()
    assert len(refusals) >= len(tried)
    assert {entry.outcome for entry in refusals} == {ActionOutcome.REFUSED}
    assert {entry.operator_email for entry in refusals} == {SUPPORT_EMAIL}


def test_an_admin_changes_what_support_cannot(client, panel):
    log_in(client)
    token = csrf_token(client.get("/admin/plan/").text)
    plan_id = _first_id(Plan)
    answer = client.post("/admin/plan/delete/", data={"id": str(plan_id), "csrf_token": token})
    assert answer.status_code == 302
    listing = client.get("/admin/inboundevent/").text
    assert "action_form" in listing, "an admin has the list actions"


@pytest.mark.parametrize("view", ["store", "outboxentry", "inboundevent"])
def test_an_action_without_csrf_token_is_refused(client, panel, view):
    log_in(client)
    before = database_rows()
    action = {"store": "pause", "outboxentry": "replay", "inboundevent": "retry"}[view]
    answer = client.post(f"/admin/{view}/action/", data={"action": action, "rowid": "1"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert database_rows() == before


def test_a_model_edit_without_csrf_token_is_refused(client, panel):
    log_in(client)
    plan_id = _first_id(Plan)
    answer = client.post(f"/admin/plan/edit/?id={plan_id}", data={"name": "Renamed"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Plan, plan_id).name == "Standard"


def test_an_admin_gives_roles_but_cannot_make_themselves_support(client, panel):
    log_in(client)
    token = csrf_token(client.get("/admin/operator/").text)

    def set_role(operator_id: int, email: str, role: str):
        form = {"email": email, "role": role, "active": "y", "csrf_token": token}
        return client.post(f"/admin/operator/edit/?id={operator_id}", data=form)

    assert set_role(panel.support.id, SUPPORT_EMAIL, "admin").status_code == 302
    refused = set_role(panel.admin.id, ADMIN_EMAIL, "support")
    assert "You cannot make your own account support" in refused.text
    db.session.expire_all()
    roles = dict(db.session.execute(sa.select(Operator.email, Operator.role)).all())
    assert roles == {ADMIN_EMAIL: OperatorRole.ADMIN, SUPPORT_EMAIL: OperatorRole.ADMIN}


def test_supports_pages_hide_every_button_that_posts(app_context, panel):
    """The store's connect and dashboard buttons, check worker, the settings' save: hidden
    for support by the panel's master template, shown to an admin."""
    hiding = 'form[method="post" i]:not([data-own-account]) [type="submit"]'
    support, _token = _support_client(app_context, panel)
    admin = app_context.test_client()
    log_in(admin)
    for page in (f"/admin/store/details/?id={panel.store.id}", "/admin/system/"):
        assert hiding in support.get(page).text, page
        shown = admin.get(page).text
        assert hiding not in shown and 'method="post"' in shown, page


def test_the_sync_settings_save_is_left_out_for_support(app_context, panel):
    support, _token = _support_client(app_context, panel)
    admin = app_context.test_client()
    log_in(admin)
    page = f"/admin/sync_settings/?store={panel.store.public_id}"
    assert "Save settings" in admin.get(page).text
    answer = support.get(page)
    assert answer.status_code == 200 and "Save settings" not in answer.text
