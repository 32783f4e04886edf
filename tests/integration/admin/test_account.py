"""My account: each operator, support included, chooses the zone the panel shows times in;
without a choice, `server.operator_timezone`."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from server import create_app
from server.extensions import current_config, db
from server.models import ActionOutcome, Operator, OperatorAction
from tests.integration.admin.conftest import SUPPORT_EMAIL
from tests.support.web import csrf_token, log_in

SEEDED_RECORD = "2026-12-03 09:12:36"  # the fixture's sync record, in UTC


def _choose(client, zone: str):
    token = csrf_token(client.get("/admin/account/").text)
    return client.post("/admin/account/", data={"timezone": zone, "csrf_token": token})


def test_times_are_shown_in_the_zone_the_operator_chose(client, panel):
    log_in(client)
    assert f"{SEEDED_RECORD} UTC" in client.get("/admin/syncrecord/").text
    assert _choose(client, "Pacific/Auckland").status_code == 302
    records = client.get("/admin/syncrecord/").text
    assert "2026-12-03 22:12:36 NZDT" in records and SEEDED_RECORD not in records
    db.session.expire_all()
    assert db.session.get(Operator, panel.admin.id).timezone == "Pacific/Auckland"


def test_a_time_typed_in_a_filter_is_the_operators_local_time(client, panel):
    db.session.add(OperatorAction(
        operator_email="gone@example.com", action="pause", outcome=ActionOutcome.DONE,
        at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),  # 16:04:05 in Auckland
    ))  # fmt: skip
    log_in(client)
    _choose(client, "Pacific/Auckland")

    def before(moment: str) -> str:
        page = client.get("/admin/operatoraction/", query_string={"flt0_when_smaller_than": moment})
        return page.text

    assert "gone@example.com" in before("2020-01-02 16:04:06")
    assert "gone@example.com" not in before("2020-01-02 16:04:04")


def test_support_chooses_their_zone_too_and_it_is_logged(app_context, panel):
    client = app_context.test_client()
    log_in(client, email=SUPPORT_EMAIL)
    assert _choose(client, "Europe/Paris").status_code == 302
    db.session.expire_all()
    assert db.session.get(Operator, panel.support.id).timezone == "Europe/Paris"
    entry = db.session.scalars(sa.select(OperatorAction).order_by(OperatorAction.id.desc())).first()
    assert (entry.operator_email, entry.view, entry.action, entry.outcome) == (
        SUPPORT_EMAIL, "account", "save", ActionOutcome.DONE,
    )  # fmt: skip


def test_a_zone_that_does_not_exist_is_refused_in_words(client, panel):
    log_in(client)
    for bad in ("Mars/Olympus", "../../etc/passwd", "UTC\x00"):
        answer = _choose(client, bad)
        assert answer.status_code in (400, 422) and "Not a valid choice" in answer.text, bad
    db.session.expire_all()
    assert db.session.get(Operator, panel.admin.id).timezone == ""


def test_the_servers_zone_is_the_default_and_the_operator_can_go_back_to_it(app_context, panel):
    settings = current_config().with_overrides({"server": {"operator_timezone": "Europe/Paris"}})
    paris = create_app(settings)
    paris.test_client_class = type(app_context.test_client())
    client = paris.test_client()
    log_in(client)
    assert "2026-12-03 10:12:36 CET" in client.get("/admin/syncrecord/").text
    _choose(client, "Asia/Tokyo")
    assert "2026-12-03 18:12:36 JST" in client.get("/admin/syncrecord/").text
    assert "The server&#39;s (Europe/Paris)" in client.get("/admin/account/").text
    _choose(client, "")
    assert "2026-12-03 10:12:36 CET" in client.get("/admin/syncrecord/").text
    with paris.app_context():
        db.engine.dispose()


def test_the_account_form_changes_only_the_signed_in_operators_zone(client, panel):
    """Its only field is the zone: no role, no email, no other operator's account."""
    log_in(client)
    token = csrf_token(client.get("/admin/account/").text)
    form = {"timezone": "Asia/Tokyo", "role": "support", "email": "x@example.com", "id": "2"}
    client.post("/admin/account/", data={**form, "csrf_token": token})
    db.session.expire_all()
    admin, support = (
        db.session.get(Operator, panel.admin.id),
        db.session.get(Operator, panel.support.id),
    )
    assert (admin.timezone, admin.role.value, admin.email) == (
        "Asia/Tokyo",
        "admin",
        "ops@example.com",
    )
    assert support.timezone == ""
