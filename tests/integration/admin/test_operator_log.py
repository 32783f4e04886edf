"""The operator log: who did what and when, for every change asked in the panel, sign-ins
and sign-outs; never a password; read in System > Operator log, filtered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.extensions import db
from server.models import ActionOutcome, Operator, OperatorAction, Plan, Store, StoreState
from tests.integration.admin.conftest import ADMIN_EMAIL
from tests.support.web import PASSWORD, admin_action, csrf_token, log_in

NEW_PASSWORD = "a-password-NOBODY-may-read"


def _log() -> list[OperatorAction]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OperatorAction).order_by(OperatorAction.id)))


def _summary(entry: OperatorAction) -> tuple[str, str, str, str, ActionOutcome]:
    return (entry.operator_email, entry.view, entry.action, entry.targets, entry.outcome)


def test_changes_in_the_panel_are_kept_with_who_what_and_when(client, panel):
    started = datetime.now(UTC) - timedelta(seconds=1)
    log_in(client)
    token = csrf_token(client.get("/admin/plan/").text)
    plan_form = {
        "code": "pro", "name": "Pro", "currency": "USD", "monthly_price": "20",
        "trial_days": "14", "interval": "month", "csrf_token": token,
    }  # fmt: skip
    assert client.post("/admin/plan/new/", data=plan_form).status_code == 302
    new_plan = db.session.scalar(sa.select(Plan.id).where(Plan.code == "pro"))
    edited = {**plan_form, "name": "Pro plus"}
    assert client.post(f"/admin/plan/edit/?id={new_plan}", data=edited).status_code == 302
    refused = {**plan_form, "monthly_price": "NaN"}
    assert client.post(f"/admin/plan/edit/?id={new_plan}", data=refused).status_code == 200
    client.post("/admin/plan/delete/", data={"id": str(new_plan), "csrf_token": token})
    store_id = panel.store.id
    db.session.get(Store, store_id).state = StoreState.ACTIVE
    db.session.commit()
    admin_action(client, "store", "pause", [store_id])
    client.post("/logout", data={"csrf_token": token})

    entries = _log()
    assert [_summary(entry) for entry in entries] == [
        (ADMIN_EMAIL, "auth", "sign in", "", ActionOutcome.DONE),
        (ADMIN_EMAIL, "plan", "create", f"id={new_plan}", ActionOutcome.DONE),
        (ADMIN_EMAIL, "plan", "edit", f"id={new_plan}", ActionOutcome.DONE),
        (ADMIN_EMAIL, "plan", "edit", f"id={new_plan}", ActionOutcome.FAILED),
        (ADMIN_EMAIL, "plan", "delete", f"id={new_plan}", ActionOutcome.DONE),
        (ADMIN_EMAIL, "store", "pause", f"id={store_id}", ActionOutcome.DONE),
        (ADMIN_EMAIL, "auth", "sign out", "", ActionOutcome.DONE),
    ]
    assert all(entry.operator_id == panel.admin.id for entry in entries)
    assert all(started <= entry.at <= datetime.now(UTC) for entry in entries)
    assert {entry.address for entry in entries} == {"127.0.0.1"}


def test_failed_sign_ins_are_kept_without_what_was_typed(client, panel):
    log_in(client, password="wrong password!!")
    log_in(client, email="typo@example.com", password=PASSWORD)
    entries = _log()
    assert [_summary(entry) for entry in entries] == [
        (ADMIN_EMAIL, "auth", "sign in", "", ActionOutcome.REFUSED),
        ("(no such operator)", "auth", "sign in", "", ActionOutcome.REFUSED),
    ]
    assert entries[1].operator_id is None


def test_no_password_reaches_the_log(client, panel):
    log_in(client)
    token = csrf_token(client.get("/admin/operator/new/").text)
    form = {
        "email": "new@example.com", "role": "support", "active": "y",
        "new_password": NEW_PASSWORD, "csrf_token": token,
    }  # fmt: skip
    assert client.post("/admin/operator/new/", data=form).status_code == 302
    created = db.session.scalar(sa.select(Operator.id).where(Operator.email == "new@example.com"))
    assert _summary(_log()[-1]) == (
        ADMIN_EMAIL, "operator", "create", f"id={created}", ActionOutcome.DONE,
    )  # fmt: skip
    rows = db.session.execute(sa.select(OperatorAction.__table__)).all()
    assert NEW_PASSWORD not in repr(rows) and PASSWORD not in repr(rows)
    page = client.get("/admin/operatoraction/").text
    assert NEW_PASSWORD not in page and PASSWORD not in page


def test_the_log_page_filters_by_operator_action_and_time(client, panel):
    log_in(client)
    token = csrf_token(client.get("/admin/").text)
    client.post("/admin/system/check-worker", data={"csrf_token": token})
    old = OperatorAction(
        operator_email="gone@example.com", action="pause", outcome=ActionOutcome.DONE,
        at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
    )  # fmt: skip
    db.session.add(old)
    db.session.commit()
    page = client.get("/admin/operatoraction/").text
    assert "check_worker" in page and "gone@example.com" in page
    assert "2020-01-02 03:04:05 UTC" in page

    def shown(**filters: str) -> str:
        return client.get("/admin/operatoraction/", query_string=filters).text

    by_operator = shown(flt0_operator_equals="gone@example.com")
    assert "gone@example.com" in by_operator and "check_worker" not in by_operator
    recent = shown(flt0_when_greater_than="2026-01-01 00:00:00")
    assert "check_worker" in recent and "gone@example.com" not in recent
    early = shown(flt0_when_smaller_than="2020-01-02 03:04:06")
    assert "gone@example.com" in early and "check_worker" not in early
    paused = shown(flt0_action_equals="pause")
    assert "gone@example.com" in paused and "check_worker" not in paused
