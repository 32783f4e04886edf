"""The operator's WooCommerce buttons on a store: keys typed by hand, "test connection",
disconnect, and the store page cell that offers them; the app talks to the sandbox over
HTTP."""

import html

import sqlalchemy as sa
from rq import Queue

from sandbox.woocommerce import StoreConfig
from server.extensions import db
from server.models import ConnectionStatus, Store, StoreState, WooConnection
from tests.helpers import csrf_token, log_in, make_operator


def signed_in(client) -> None:
    make_operator()
    log_in(client)


def new_store(woo) -> Store:
    store = Store(url=woo.base_url, name="Sandbox Store", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    return store


def connection_of(store: Store) -> WooConnection | None:
    db.session.rollback()
    found = db.session.scalar(sa.select(WooConnection).where(WooConnection.store_id == store.id))
    db.session.commit()
    return found


def submit_keys(client, store: Store, key: str, secret: str):
    page = client.get(f"/woocommerce/keys/{store.public_id}")
    assert page.status_code == 200
    return client.post(
        f"/woocommerce/keys/{store.public_id}",
        data={"consumer_key": key, "consumer_secret": secret, "csrf_token": csrf_token(page.text)},
    )


def store_page(client, store: Store) -> str:
    return html.unescape(client.get(f"/admin/store/details/?id={store.id}").text)


def press(client, store: Store, endpoint: str):
    token = csrf_token(client.get(f"/admin/store/details/?id={store.id}").text)
    return client.post(f"/woocommerce/{endpoint}/{store.public_id}", data={"csrf_token": token})


def setup_jobs(redis) -> list[tuple]:
    jobs = Queue("high", connection=redis).jobs
    return [(job.func_name.rsplit(".", 1)[-1], job.args) for job in jobs]


def test_keys_by_hand_are_kept_only_when_the_store_accepts_them(client, woo, redis):
    signed_in(client)
    store = new_store(woo)
    shape = submit_keys(client, store, "key", "secret")
    assert shape.status_code == 200 and "look like ck_" in html.unescape(shape.text)
    refused = submit_keys(client, store, "ck_" + "0" * 40, "cs_" + "0" * 40)
    assert "did not accept these keys" in html.unescape(refused.text)
    assert connection_of(store) is None and setup_jobs(redis) == []

    sandbox = StoreConfig()
    accepted = submit_keys(client, store, sandbox.consumer_key, " " + sandbox.consumer_secret)
    assert accepted.status_code == 302
    connection = connection_of(store)
    assert connection is not None and connection.status == ConnectionStatus.CONNECTED
    assert connection.consumer_secret == sandbox.consumer_secret, "kept without the blank"
    raw = db.session.execute(sa.text("SELECT consumer_secret FROM woo_connections")).scalar_one()
    db.session.commit()
    assert sandbox.consumer_secret not in raw, "stored encrypted"
    assert setup_jobs(redis) == [("set_up_woocommerce", (store.id,))]
    assert "Connected to WooCommerce 7.4.1 (NZD)" in store_page(client, store)


def test_the_store_page_offers_what_fits_the_connection(client, woo):
    signed_in(client)
    store = new_store(woo)
    page = store_page(client, store)
    assert "not connected" in page and "Connect WooCommerce" in page
    assert f"/woocommerce/keys/{store.public_id}" in page and "Test connection" not in page
    sandbox = StoreConfig()
    submit_keys(client, store, sandbox.consumer_key, sandbox.consumer_secret)
    page = store_page(client, store)
    assert "Test connection" in page and "Connect WooCommerce" not in page


def test_test_connection_reports_the_store_and_marks_refused_keys(client, woo_store):
    signed_in(client)
    tested = press(client, woo_store, "test")
    assert tested.status_code == 302
    page = store_page(client, woo_store)
    assert "WooCommerce 7.4.1 on WordPress 6.1.9 answers; prices in NZD" in page
    assert connection_of(woo_store).last_checked_at is not None

    connection = connection_of(woo_store)
    connection.consumer_secret = "cs_" + "9" * 40  # as if the key were revoked in the store
    db.session.commit()
    press(client, woo_store, "test")
    page = store_page(client, woo_store)
    assert "The store did not answer as it should" in page
    assert connection_of(woo_store).status == ConnectionStatus.NEEDS_REAUTHORISATION
    assert "Connect WooCommerce" in page, "new keys are offered"


def test_disconnect_from_the_store_page(client, woo_store):
    signed_in(client)
    done = press(client, woo_store, "disconnect")
    assert done.status_code == 302
    assert "its webhooks were removed and the keys erased" in store_page(client, woo_store)
    connection = connection_of(woo_store)
    assert connection is None or not connection.consumer_key
