"""wooxero's webhooks in the store (created, kept, repaired, removed) and the wc-auth flow,
against the WooCommerce sandbox over HTTP."""

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from server import create_app
from server.connectors.base import PermanentError
from server.connectors.woocommerce.webhooks import TOPICS
from server.extensions import db
from server.jobs import tasks
from server.jobs.worker import build_worker
from server.models import ConnectionStatus, Store, StoreState, WooConnection, WooRecord, WooWebhook
from server.models.types import utcnow
from server.sync import woo_access, woo_connect, woo_webhooks
from tests.helpers import PASSWORD, csrf_token, make_operator
from tests.integration.woocommerce.conftest import WEBHOOK_SECRET, sandbox_json


def hooks(woo) -> list[dict]:
    return sandbox_json(woo, "webhooks")["webhooks"]


def ours(woo, store) -> list[dict]:
    url = woo_access.delivery_url(store)
    return [hook for hook in hooks(woo) if hook["delivery_url"] == url]


def test_one_active_webhook_per_topic_with_our_secret(woo_store, woo):
    report = woo_webhooks.ensure(woo_store.id)
    assert sorted(report.created) == sorted(TOPICS) and report.gap_possible
    made = ours(woo, woo_store)
    assert sorted(h["topic"] for h in made) == sorted(TOPICS)
    assert {(h["status"], h["secret"]) for h in made} == {("active", WEBHOOK_SECRET)}
    assert sorted(db.session.scalars(sa.select(WooWebhook.topic))) == sorted(TOPICS)
    again = woo_webhooks.ensure(woo_store.id)
    assert (again.created, again.reactivated, again.removed) == ([], [], 0)
    assert len(ours(woo, woo_store)) == len(TOPICS)


def test_extra_copies_and_someone_elses_webhooks(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    client = woo_access.client_for(woo_store)
    url = woo_access.delivery_url(woo_store)
    client.create_webhook(name="copy", topic="order.updated", delivery_url=url, secret="x")
    client.create_webhook(name="copy", topic="coupon.updated", delivery_url=url, secret="x")
    client.create_webhook(
        name="someone else's",
        topic="order.updated",
        delivery_url="https://zapier.example/hook",
        secret="y",
    )
    report = woo_webhooks.ensure(woo_store.id)
    assert report.removed == 2
    assert sorted(h["topic"] for h in ours(woo, woo_store)) == sorted(TOPICS)
    assert any(h["delivery_url"] == "https://zapier.example/hook" for h in hooks(woo)), (
        "not ours: left alone"
    )


def run_jobs(app) -> None:
    db.session.commit()
    build_worker(app, in_process=True).work(burst=True)


def test_webhooks_disabled_by_failures_are_put_back_and_the_gap_is_polled(
    woo_store, woo, app_context
):
    woo_webhooks.ensure(woo_store.id)
    connection = db.session.scalar(sa.select(WooConnection))
    connection.poll_cursor = utcnow()
    db.session.commit()
    time.sleep(1.1)  # whole seconds, exclusive `after`: see test_records
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"fail_all_deliveries": True}, timeout=10
    ).raise_for_status()
    placed = [sandbox_json(woo, "orders", "POST", status="processing")["id"] for _ in range(8)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        states = {h["topic"]: h["status"] for h in ours(woo, woo_store)}
        if states["order.created"] == "disabled" and states["order.updated"] == "disabled":
            break
        time.sleep(0.2)
    assert states["order.created"] == "disabled", "WooCommerce gave up on our webhook"
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"fail_all_deliveries": False}, timeout=10
    ).raise_for_status()

    outcome = tasks.check_store_webhooks(woo_store.id)
    assert "reactivated ['order.created'" in outcome
    assert {h["status"] for h in ours(woo, woo_store)} == {"active"}
    run_jobs(app_context)  # the poll the check started, then the record jobs it started
    processed = {int(r.woo_id) for r in db.session.scalars(sa.select(WooRecord))}
    assert set(placed) <= processed, "every order placed while the webhooks were off"


def test_disconnecting_removes_our_webhooks_and_the_keys(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    client = woo_access.client_for(woo_store)
    url = woo_access.delivery_url(woo_store)
    client.create_webhook(name="not recorded", topic="order.updated", delivery_url=url, secret="x")
    assert woo_connect.disconnect(woo_store, "operator:1") == 0
    assert ours(woo, woo_store) == [], "recorded or not, every webhook of ours"
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.consumer_key is None and connection.consumer_secret is None
    assert connection.webhook_secret is None, "deliveries from any left behind are refused"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooWebhook)) == 0


def test_webhooks_that_cannot_be_removed_are_counted(woo_store, woo):
    woo_webhooks.ensure(woo_store.id)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"error_rate": 1.0}, timeout=10
    ).raise_for_status()
    try:
        assert woo_connect.disconnect(woo_store, "operator:1") == len(TOPICS)
    finally:
        requests.post(f"{woo.base_url}/_sandbox/config", json={"error_rate": 0.0}, timeout=10)
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.consumer_key is None
    assert len(ours(woo, woo_store)) == len(TOPICS), "still in the store: said, not hidden"


def sign_in(url: str) -> requests.Session:
    make_operator()
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=10)
    session.post(f"{url}/login", data={"email": "ops@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_token(page.text)}, timeout=10)  # fmt: skip
    return session


def unconnected_store(woo) -> tuple[int, str]:
    """A store without WooCommerce access yet: its id and public id. Plain values, so the
    test holds no transaction (on SQLite: no write lock) while the live server works."""
    store = Store(url=woo.base_url, name="Sandbox Store", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.flush()
    ids = (store.id, store.public_id)
    db.session.commit()
    return ids


def press_connect(
    session: requests.Session, url: str, store_id: int, public_id: str
) -> requests.Response:
    page = session.get(f"{url}/admin/store/details/?id={store_id}", timeout=10)
    return session.post(f"{url}/woocommerce/connect/{public_id}", data={"csrf_token": csrf_token(page.text)},
                        timeout=30)  # fmt: skip


def test_wc_auth_end_to_end(live_app, woo, app_context):
    app, url = live_app()
    session = sign_in(url)
    store_id, public_id = unconnected_store(woo)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"auto_approve": True}, timeout=10
    ).raise_for_status()
    landed = press_connect(
        session, url, store_id, public_id
    )  # → wc-auth → keys to us → return page
    assert landed.status_code == 200, landed.text
    assert "WooCommerce is connected" in landed.text and "<h1>WooCommerce</h1>" in landed.text
    assert landed.url.startswith(f"{url}/woocommerce/return/{public_id}?success=1")
    db.session.rollback()
    connection = db.session.scalar(sa.select(WooConnection))
    assert (
        connection.status == ConnectionStatus.CONNECTED
        and connection.key_permissions == "read_write"
    )
    keys = sandbox_json(woo, "keys")
    assert connection.consumer_key in {
        k["consumer_key"] for k in (keys if isinstance(keys, list) else keys["keys"])
    }
    db.session.commit()
    run_jobs(app)  # the set-up job: webhooks, then a first poll
    with app.app_context():
        created = ours(woo, db.session.get(Store, store_id))
    assert sorted(h["topic"] for h in created) == sorted(TOPICS)
    assert {h["delivery_url"] for h in created} == {f"{url}/webhooks/woocommerce/{public_id}"}


def test_a_refusal_in_the_store_is_said_plainly(live_app, woo, app_context):
    _app, url = live_app()
    session = sign_in(url)
    store_id, public_id = unconnected_store(woo)
    consent = press_connect(session, url, store_id, public_id)
    assert consent.status_code == 200 and consent.url.startswith(
        f"{woo.base_url}/wc-auth/v1/authorize"
    )
    deny_link = html.unescape(
        re.search(r'<a href="([^"]+)" class="button wc-auth-deny"', consent.text).group(1)
    )
    denied = session.get(deny_link, timeout=10)
    assert denied.url.startswith(f"{url}/woocommerce/return/{public_id}?success=0")
    assert "refused in the store" in denied.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooConnection)) == 0


def test_keys_posted_without_a_valid_token_are_refused(live_app, woo, app_context):
    _app, url = live_app()
    unconnected_store(woo)
    body = {"key_id": 1, "user_id": "x", "consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40,
            "key_permissions": "read_write"}  # fmt: skip
    assert (
        requests.post(f"{url}/woocommerce/auth-callback/made-up", json=body, timeout=10).status_code
        == 400
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooConnection)) == 0


def callback_path(authorise_url: str) -> str:
    callback = parse_qs(urlsplit(authorise_url).query)["callback_url"][0]
    return urlsplit(callback).path


def test_a_callback_token_is_used_once_and_for_its_store_only(client, woo, app_context):
    store_id, public_id = unconnected_store(woo)
    store = db.session.get(Store, store_id)
    grant = {"key_id": 1, "user_id": public_id, "consumer_key": "ck_" + "a" * 40,
             "consumer_secret": "cs_" + "b" * 40, "key_permissions": "read_write"}  # fmt: skip
    other_store = callback_path(woo_connect.begin(store, "operator:1"))
    db.session.commit()
    assert client.post(other_store, json={**grant, "user_id": "someone-else"}).status_code == 400
    assert client.post(other_store, json=grant).status_code == 400, "the token was spent"
    fresh = callback_path(woo_connect.begin(store, "operator:1"))
    db.session.commit()
    assert client.post(fresh, json=grant).status_code == 200
    assert client.post(fresh, json=grant).status_code == 400, "used once"
    db.session.rollback()
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.consumer_key == grant["consumer_key"]
    assert "started by operator:1" in connection.status_reason


def test_a_public_url_no_store_can_call_is_refused_with_the_reason(settings, app_context):
    cases = {
        "http://wooxero.example.com": "must use https",
        "https://wooxero.example.com:8443": "port 80, 443 or 8080",
        "https://127.0.0.1": "not a public address",
    }
    for public_url, reason in cases.items():
        strict = settings.with_overrides(
            {"server": {"public_url": public_url},
             "woocommerce": {"allow_insecure_http": False, "allow_private_addresses": False}}
        )  # fmt: skip
        with create_app(strict).app_context(), pytest.raises(PermanentError, match=reason):
            woo_access.store_facing_url()
    good = settings.with_overrides(
        {"server": {"public_url": "https://93.184.215.14"},
         "woocommerce": {"allow_insecure_http": False, "allow_private_addresses": False}}
    )  # fmt: skip
    with create_app(good).app_context():
        assert woo_access.store_facing_url() == "https://93.184.215.14"
