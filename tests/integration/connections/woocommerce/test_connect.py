"""The wc-auth flow against the WooCommerce sandbox: the store admin approves in the store,
the keys come back to wooxero bound to the store that asked, and refusals say why."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from server import create_app
from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.base import PermanentError
from server.connectors.woocommerce.webhooks import TOPICS
from server.extensions import db
from server.models import ConnectionStatus, Store, StoreState, WooConnection
from tests.support.jobs import run_jobs
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.web import PASSWORD, csrf_token, make_operator
from tests.support.woocommerce import ours, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


def sign_in(url: str) -> requests.Session:
    make_operator()
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=HTTP_TIMEOUT)
    session.post(f"{url}/login", data={"email": "ops@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_token(page.text)}, timeout=HTTP_TIMEOUT)  # fmt: skip
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
    page = session.get(f"{url}/admin/store/details/?id={store_id}", timeout=HTTP_TIMEOUT)
    return session.post(f"{url}/woocommerce/connect/{public_id}", data={"csrf_token": csrf_token(page.text)},
                        timeout=30)  # fmt: skip


def test_wc_auth_end_to_end(live_app, woo, app_context):
    app, url = live_app()
    session = sign_in(url)
    store_id, public_id = unconnected_store(woo)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"auto_approve": True}, timeout=HTTP_TIMEOUT
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
    denied = session.get(deny_link, timeout=HTTP_TIMEOUT)
    assert denied.url.startswith(f"{url}/woocommerce/return/{public_id}?success=0")
    assert "refused in the store" in denied.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooConnection)) == 0


def test_keys_posted_without_a_valid_token_are_refused(live_app, woo, app_context):
    _app, url = live_app()
    unconnected_store(woo)
    body = {"key_id": 1, "user_id": "x", "consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40,
            "key_permissions": "read_write"}  # fmt: skip
    assert (
        requests.post(
            f"{url}/woocommerce/auth-callback/made-up", json=body, timeout=HTTP_TIMEOUT
        ).status_code
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


def _grant(client, store: Store, key_id: int) -> None:
    callback = callback_path(woo_connect.begin(store, "store admin"))
    db.session.commit()
    grant = {"key_id": key_id, "user_id": store.public_id, "consumer_key": f"ck_{key_id:040d}",
             "consumer_secret": f"cs_{key_id:040d}", "key_permissions": "read_write"}  # fmt: skip
    assert client.post(callback, json=grant).status_code == 200
    db.session.rollback()


def test_a_new_grant_retires_the_key_it_replaces_for_the_plugin_to_delete(
    client, woo, app_context, settings
):
    store_id, _public_id = unconnected_store(woo)
    store = db.session.get(Store, store_id)
    app_name = settings.woocommerce.app_name
    _grant(client, store, 11)
    assert woo_connect.granted_keys(store) == woo_connect.GrantedKeys(app_name, 11, ())
    _grant(client, store, 12)
    _grant(client, store, 13)
    assert woo_connect.granted_keys(store) == woo_connect.GrantedKeys(app_name, 13, (11, 12))
    # MySQL may hand out a deleted id again: the current key is never listed for deletion.
    _grant(client, store, 12)
    assert woo_connect.granted_keys(store).as_json() == {
        "app_name": app_name, "current": 12, "retired": [11, 13],
    }  # fmt: skip
    # Disconnecting drops the key we held: it is retired too, and none is current.
    woo_connect.disconnect(store, "store admin")
    assert woo_connect.granted_keys(store) == woo_connect.GrantedKeys(app_name, None, (11, 13, 12))
