from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import (
    Operator,
    Plan,
    Store,
    StoreState,
    StoreTransition,
    WooConnection,
    XeroConnection,
)
from tests.support.web import PASSWORD, csrf_token, log_in, make_operator

ADMIN_PAGES = [
    "/admin/",
    "/admin/store/",
    "/admin/storetransition/",
    "/admin/xeroconnection/",
    "/admin/wooconnection/",
    "/admin/inboundevent/",
    "/admin/syncrecord/",
    "/admin/binding/",
    "/admin/plan/",
    "/admin/subscription/",
    "/admin/providerevent/",
    "/admin/operator/",
    "/admin/system/",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_login_and_back(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={page}"


def test_root_leads_to_the_admin(client):
    assert client.get("/").headers["Location"] == "/admin/"


def test_operator_signs_in_and_returns_to_the_page_asked_for(client):
    make_operator()
    response = log_in(client, next_="/admin/store/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/store/"
    assert client.get("/admin/store/").status_code == 200
    assert db.session.scalar(sa.select(Operator.last_login_at)) is not None


def test_email_is_matched_case_insensitively(client):
    make_operator()
    assert log_in(client, email="  OPS@Example.com").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("ops@example.com", "wrong password!!"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_credentials_are_refused(client, email, password):
    make_operator()
    response = log_in(client, email=email, password=password)
    assert response.status_code == 200
    assert "Wrong email or password." in response.text
    assert client.get("/admin/").status_code == 302


def test_inactive_operator_cannot_sign_in(client):
    make_operator(active=False)
    assert "Wrong email or password." in log_in(client).text
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_rejected(client):
    make_operator()
    response = client.post("/login", data={"email": "ops@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_an_external_next_is_ignored(client):
    make_operator()
    response = log_in(client, next_="https://evil.example/")
    assert response.headers["Location"] == "/admin/"


def test_login_attempts_are_rate_limited(client):
    make_operator()
    statuses = [log_in(client, password="wrong password!!").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_logout_needs_post_with_csrf(client):
    make_operator()
    log_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    page = client.get("/admin/")
    assert page.status_code == 200, "a POST without token must not log out"
    assert 'action="/logout"' in page.text
    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_signed_in_operator_sees_every_page_without_any_secret(client, page):
    make_operator()
    store = Store(url="https://shop.example", name="Shop", signing_secret="signing-SECRET-1")
    db.session.add(store)
    db.session.flush()
    db.session.add(
        XeroConnection(
            store_id=store.id,
            tenant_name="Org",
            access_token="access-SECRET-2",
            refresh_token="refresh-SECRET-3",
        )
    )
    db.session.add(
        WooConnection(
            store_id=store.id,
            consumer_key="ck_SECRET-4",
            consumer_secret="cs_SECRET-5",
            webhook_secret="hook-SECRET-6",
        )
    )
    db.session.commit()
    log_in(client)
    response = client.get(page)
    assert response.status_code == 200
    assert "SECRET" not in response.text
    assert "gAAAAA" not in response.text, "no Fernet token may be shown either"
    for detail in (
        "/admin/store/details/?id=1",
        "/admin/xeroconnection/details/?id=1",
        "/admin/wooconnection/details/?id=1",
        "/admin/store/edit/?id=1",
    ):
        shown = client.get(detail)
        assert shown.status_code == 200
        assert "SECRET" not in shown.text and "gAAAAA" not in shown.text


def test_overview_counts_stores_by_state(client):
    make_operator()
    db.session.add_all(
        [Store(url=f"https://s{n}.example", state=StoreState.ACTIVE) for n in range(3)]
    )
    db.session.add(Store(url="https://p.example", state=StoreState.PAUSED))
    db.session.commit()
    log_in(client)
    html = client.get("/admin/").text
    assert 'data-state="active">3<' in html
    assert 'data-state="paused">1<' in html


def test_pausing_a_store_records_who_and_why(client):
    operator = make_operator()
    store = Store(url="https://shop.example", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    log_in(client)
    token = csrf_token(client.get("/admin/store/").text)
    response = client.post(
        "/admin/store/action/",
        data={"action": "pause", "rowid": str(store.id), "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Store, store.id).state == StoreState.PAUSED
    change = db.session.scalar(sa.select(StoreTransition))
    assert (change.from_state, change.to_state) == (StoreState.ACTIVE, StoreState.PAUSED)
    assert change.actor == operator.email


def test_creating_an_operator_from_the_panel_hashes_the_password(client):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/operator/new/").text)
    client.post(
        "/admin/operator/new/",
        data={
            "email": " New@Example.com ",
            "role": "admin",
            "active": "y",
            "new_password": "another long password",
            "csrf_token": token,
        },
    )
    created = db.session.scalar(sa.select(Operator).where(Operator.email == "new@example.com"))
    assert created is not None
    assert created.password_hash.startswith("scrypt:")
    assert created.check_password("another long password")


def test_a_short_password_is_refused_in_the_panel(client):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/operator/new/").text)
    response = client.post(
        "/admin/operator/new/",
        data={
            "email": "short@example.com",
            "role": "admin",
            "new_password": "short",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "at least 12 characters" in response.text
    assert (
        db.session.scalar(sa.select(Operator).where(Operator.email == "short@example.com")) is None
    )


def test_admin_forms_require_csrf(client):
    make_operator()
    log_in(client)
    response = client.post(
        "/admin/operator/new/",
        data={"email": "x@example.com", "active": "y", "new_password": "another long password"},
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Operator).where(Operator.email == "x@example.com")) is None


def test_a_new_password_ends_every_existing_session(app_context):
    operator = make_operator()
    first, second = app_context.test_client(), app_context.test_client()
    log_in(first)
    log_in(second)
    operator.set_password("a brand new password")
    db.session.commit()
    assert first.get("/admin/").status_code == 302
    assert second.get("/admin/").status_code == 302
    assert log_in(first, password="a brand new password").status_code == 302


def test_deactivating_an_operator_ends_their_session(client):
    operator = make_operator()
    log_in(client)
    operator.active = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_an_email_differing_only_in_case_is_refused_without_leaking_anything(client):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/operator/new/").text)
    response = client.post(
        "/admin/operator/new/",
        data={
            "email": "OPS@example.com",
            "role": "admin",
            "new_password": "another long password",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Already exists." in response.text
    assert "scrypt" not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Operator)) == 1


@pytest.mark.parametrize("bad", ["²", "\u0661\u0662", "9" * 30, str(2**31), "-1", "1 "])
def test_row_ids_that_are_not_plain_ids_are_refused_and_change_nothing(client, bad):
    make_operator()
    store = Store(url="https://shop.example", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    log_in(client)
    token = csrf_token(client.get("/admin/store/").text)
    for view, action in (("store", "pause"), ("outboxentry", "replay"), ("inboundevent", "retry")):
        answer = client.post(
            f"/admin/{view}/action/",
            data={"action": action, "rowid": [str(store.id), bad], "csrf_token": token},
        )
        assert answer.status_code == 400, (view, bad)
    for page in ("details", "edit"):
        assert client.get(f"/admin/store/{page}/?id={bad}").status_code == 400
    answer = client.post("/admin/plan/delete/", data={"id": bad, "csrf_token": token})
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Store, store.id).state is StoreState.ACTIVE


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("trial_days", str(10**30), "Number must be between"),
        ("trial_days", str(2**31), "Number must be between"),
        ("monthly_order_limit", str(-(2**31) - 1), "Number must be between"),
        ("monthly_price", "100000000000", "amount out of range"),
        ("monthly_price", "NaN", "amount out of range"),
    ],
)
def test_numbers_in_admin_forms_must_fit_their_columns(client, field, value, message):
    make_operator()
    log_in(client)
    token = csrf_token(client.get("/admin/plan/new/").text)
    form = {
        "code": "big", "name": "Big", "currency": "USD", "monthly_price": "10",
        "trial_days": "14", "csrf_token": token, field: value,
    }  # fmt: skip
    answer = client.post("/admin/plan/new/", data=form)
    assert answer.status_code == 200 and message in answer.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def _log_out(client) -> None:
    page = client.get("/admin/")
    assert client.post("/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 302


def test_a_copied_session_cookie_is_refused_once_its_operator_logs_out(app_context):
    make_operator()
    browser, thief = app_context.test_client(), app_context.test_client()
    log_in(browser)
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/admin/").status_code == 200

    _log_out(browser)

    assert thief.get("/admin/").status_code == 302
    assert browser.get("/admin/").status_code == 302
    assert log_in(browser).status_code == 302  # signing in again works
    assert browser.get("/admin/").status_code == 200


def test_a_session_ends_its_lifetime_after_signing_in_however_used(app_context):
    make_operator()
    client = app_context.test_client()
    log_in(client)
    lifetime = app_context.permanent_session_lifetime
    assert lifetime == timedelta(hours=12)  # security.session_hours
    with client.session_transaction() as session:
        assert session.permanent
        session["signed_in_at"] -= int(lifetime.total_seconds()) - 60
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 61
    assert client.get("/admin/").status_code == 302


def test_login_attempts_are_also_limited_per_account_from_any_address(app_context):
    make_operator()
    make_operator("other@example.com")

    def attempt(address: str, email: str, password: str = "wrong password!!") -> int:
        client = app_context.test_client()
        environ = {"REMOTE_ADDR": address}
        page = client.get("/login", environ_base=environ)
        form = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
        return client.post("/login", data=form, environ_base=environ).status_code

    statuses = [attempt(f"203.0.113.{n}", " OPS@example.com") for n in range(10)]
    assert statuses == [200] * 10
    assert attempt("198.51.100.7", "ops@example.com", PASSWORD) == 429  # a new address too
    assert attempt("198.51.100.7", "other@example.com", PASSWORD) == 302  # another account


def test_u0000_in_a_form_or_an_address_is_refused_before_the_database(client):
    """PostgreSQL can neither store nor compare U+0000: the query would fail there."""
    make_operator()
    page = client.get("/login")
    form = {"email": "ops@example.com\x00", "password": PASSWORD}
    answer = client.post("/login", data={**form, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 200 and "U+0000" in answer.text
    log_in(client)
    assert client.get("/admin/store/?search=%00").status_code == 400
    token = csrf_token(client.get("/admin/plan/new/").text)
    form = {
        "code": "p\x00",
        "name": "P",
        "currency": "USD",
        "monthly_price": "1",
        "trial_days": "1",
    }
    answer = client.post("/admin/plan/new/", data={**form, "csrf_token": token})
    assert answer.status_code == 200 and "U+0000" in answer.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


@pytest.mark.parametrize("body", ['"x"', "[1, 2]", "null", "[" * 5000])
def test_a_login_posted_as_json_is_a_failed_login_not_a_500(client, body):
    make_operator()
    token = csrf_token(client.get("/login").text)
    answer = client.post(
        "/login", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert answer.status_code in (200, 400)
    assert client.get("/admin/").status_code == 302


def test_lists_name_stores_and_show_times_to_the_second_and_money_to_the_cent(client):
    """Not `<Store 1 http://…>`, microseconds or four-decimal amounts."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from server.models import Direction, Outcome, Subscription, SyncRecord

    make_operator()
    log_in(client)
    store = Store(url="https://kiwi.example", name="Kiwi Shop", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.flush()
    plan = Plan(code="standard", name="Standard")
    db.session.add(plan)
    db.session.flush()
    db.session.add(Subscription(store_id=store.id, plan_id=plan.id))
    db.session.add(SyncRecord(
        store_id=store.id, direction=Direction.PUSH, kind="invoice", woo_id="7",
        action="create", outcome=Outcome.OK, currency="NZD", woo_total=Decimal("1234.5"),
        started_at=datetime(2026, 12, 3, 9, 12, 36, 344118, tzinfo=UTC),
    ))  # fmt: skip
    db.session.commit()
    subscriptions = client.get("/admin/subscription/").get_data(as_text=True)
    assert "Kiwi Shop (https://kiwi.example)" in subscriptions and "&lt;Store" not in subscriptions
    records = client.get("/admin/syncrecord/").get_data(as_text=True)
    assert "2026-12-03 09:12:36 UTC" in records and "344118" not in records
    assert "1,234.50" in records and "1234.5000" not in records and "NZD" in records
