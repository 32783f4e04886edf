"""A store admin grants WooCommerce access from the dashboard inside WordPress: the button
opens the store's wc-auth top-level, the keys come back, the admin goes back to WordPress."""

import re

import pytest
import requests
import sqlalchemy as sa

from server.extensions import db
from server.models import ConnectionStatus, Store, StoreState, WooConnection
from server.web.bridge import embeds
from tests.support.waiting import HTTP_TIMEOUT

pytestmark = pytest.mark.usefixtures("quick_retries")


def _dashboard_main(app, url: str, store_id: int, session: requests.Session) -> str:
    with app.app_context():
        token = embeds.issue(db.session.get(Store, store_id), "main")
    page = session.get(f"{url}/dashboard/embed?token={token}", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    return page.text


def _store(woo) -> tuple[int, str]:
    store = Store(url=woo.base_url, name="Sandbox Store", state=StoreState.ACTIVE,
                  admin_url=f"{woo.base_url}/wp-admin/")  # fmt: skip
    db.session.add(store)
    db.session.flush()
    ids = (store.id, store.public_id)
    db.session.commit()  # and no transaction left open: on SQLite the live server writes
    return ids


def test_a_store_admin_grants_woocommerce_access_from_the_dashboard(live_app, woo, app_context):
    app, url = live_app()
    store_id, public_id = _store(woo)
    requests.post(
        f"{woo.base_url}/_sandbox/config", json={"auto_approve": True}, timeout=HTTP_TIMEOUT
    ).raise_for_status()
    browser = requests.Session()
    page = _dashboard_main(app, url, store_id, browser)
    assert "Grant WooCommerce access" in page and 'target="_top"' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    landed = browser.post(
        f"{url}/dashboard/woocommerce/connect",
        data={"token": token},
        headers={"Sec-Fetch-Site": "same-origin"},
        timeout=30,
    )  # fmt: skip → the store's wc-auth → keys to us → our return page

    assert landed.status_code == 200, landed.text
    assert landed.url.startswith(f"{url}/woocommerce/return/{public_id}?success=1")
    assert "WooCommerce is connected" in landed.text
    assert f'href="{woo.base_url}/wp-admin/admin.php?page=wooxero-bridge"' in landed.text
    db.session.rollback()
    connection = db.session.scalar(sa.select(WooConnection))
    assert connection.status == ConnectionStatus.CONNECTED and connection.store_id == store_id
    again = browser.post(
        f"{url}/dashboard/woocommerce/connect", data={"token": token}, timeout=HTTP_TIMEOUT
    )
    assert again.status_code == 403  # the token was single-use


def test_the_return_page_is_only_for_the_store_that_granted(live_app, woo, app_context):
    app, url = live_app()
    store_id, _ = _store(woo)
    other = Store(url="https://other-shop.example", name="Other", state=StoreState.ACTIVE)
    db.session.add(other)
    db.session.flush()
    other_id = other.public_id
    db.session.commit()
    browser = requests.Session()
    page = _dashboard_main(app, url, store_id, browser)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    browser.post(
        f"{url}/dashboard/woocommerce/connect",
        data={"token": token},
        timeout=30,
        allow_redirects=False,
    )  # fmt: skip  (binds this browser's session to the store)
    answer = browser.get(f"{url}/woocommerce/return/{other_id}?success=1", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 403
    assert requests.get(f"{url}/woocommerce/return/{other_id}", timeout=HTTP_TIMEOUT,
                        allow_redirects=False).status_code in (302, 401)  # fmt: skip
