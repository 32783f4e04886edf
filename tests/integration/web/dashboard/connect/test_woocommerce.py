"""The operator's WooCommerce buttons on a store: keys typed by hand, "test connection",
disconnect, and the store page cell that offers them; the app talks to the sandbox over
HTTP."""

import html

import pytest
import sqlalchemy as sa
from rq import Queue

from sandbox.woocommerce import StoreConfig
from server.extensions import db
from server.models import (
    ConnectionStatus,
    EventStatus,
    InboundEvent,
    Store,
    StoreState,
    WooConnection,
    WooRecord,
)
from tests.support.jobs import run_jobs
from tests.support.web import admin_action, csrf_token, log_in, make_operator
from tests.support.woocommerce import pending_delivery, sandbox_json

pytestmark = pytest.mark.usefixtures("quick_retries")


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
    assert "WooCommerce 7.4.1 on WordPress 6.1.9 answers; prices in NZD, including tax" in page
    assert connection_of(woo_store).last_checked_at is not None

    connection = connection_of(woo_store)
    connection.consumer_secret = "cs_" + "9" * 40  # as if the key were revoked in the store
    db.session.commit()
    press(client, woo_store, "test")
    page = store_page(client, woo_store)
    assert "The store did not answer as it should" in page
    assert connection_of(woo_store).status == ConnectionStatus.NEEDS_REAUTHORISATION
    assert "Connect WooCommerce" in page, "new keys are offered"
    press(client, woo_store, "test")
    assert "refused the API keys" in connection_of(woo_store).status_reason, "the real reason"

    connection = connection_of(woo_store)
    connection.consumer_secret = StoreConfig().consumer_secret  # the key works again
    db.session.commit()
    press(client, woo_store, "test")
    assert connection_of(woo_store).status == ConnectionStatus.CONNECTED, "tested back to life"


def test_disconnect_from_the_store_page(client, woo_store):
    signed_in(client)
    done = press(client, woo_store, "disconnect")
    assert done.status_code == 302
    assert "its webhooks were removed and the keys erased" in store_page(client, woo_store)
    connection = connection_of(woo_store)
    assert connection is None or not connection.consumer_key


def test_resuming_a_store_takes_up_the_events_it_kept(client, woo_store, woo, app_context):
    signed_in(client)
    placed = sandbox_json(woo, "orders", "POST", status="processing")["id"]
    woo_store.transition_to(StoreState.PAUSED, "test", "test")
    db.session.commit()
    pending_delivery(woo_store, placed)
    run_jobs(app_context)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WooRecord)) == 0
    assert admin_action(client, "store", "resume", [woo_store.id]).status_code == 302
    run_jobs(app_context)
    assert db.session.scalar(sa.select(WooRecord.woo_id)) == str(placed)
    assert {e.status for e in db.session.scalars(sa.select(InboundEvent))} == {EventStatus.DONE}


def test_an_operator_retries_failed_events(client, woo_store, woo, app_context):
    signed_in(client)
    placed = sandbox_json(woo, "orders", "POST", status="processing")["id"]
    pending_delivery(woo_store, placed)
    event = db.session.scalar(sa.select(InboundEvent))
    event.status, event.attempts, event.error = EventStatus.FAILED, 12, "gave up"
    db.session.commit()
    answer = admin_action(client, "inboundevent", "retry", [event.id])
    assert answer.status_code == 302
    assert "1 failed event(s) will be tried again" in html.unescape(client.get("/admin/").text)
    run_jobs(app_context)
    db.session.expire_all()
    assert db.session.get(InboundEvent, event.id).status == EventStatus.DONE
    assert db.session.scalar(sa.select(WooRecord.woo_id)) == str(placed)


def test_the_poll_interval_is_set_per_store(client, woo_store):
    signed_in(client)
    connection = connection_of(woo_store)
    form = f"/admin/wooconnection/edit/?id={connection.id}"
    token = csrf_token(client.get(form).text)
    refused = client.post(form, data={"poll_interval_minutes": "0", "csrf_token": token})
    assert refused.status_code == 200 and connection_of(woo_store).poll_interval_minutes is None
    saved = client.post(form, data={"poll_interval_minutes": "15", "csrf_token": token})
    assert saved.status_code == 302 and connection_of(woo_store).poll_interval_minutes == 15
    assert connection_of(woo_store).consumer_key == StoreConfig().consumer_key, "keys untouched"
