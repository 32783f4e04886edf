"""The bridge API: activation proves control of the site before anything is issued; every
later call is signed, fresh and used once; deactivation pauses, activation again resumes;
uninstallation closes the connections; embed tokens open one store's pages, once."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from rq import Queue

from server.extensions import db
from server.models import (
    ConnectionStatus,
    EventSource,
    InboundEvent,
    Store,
    StoreState,
    StoreTransition,
    Subscription,
    SubscriptionStatus,
    WooConnection,
    WooWebhook,
)
from tests.integration.web.bridge.conftest import (
    activate,
    consent,
    embed_url,
    open_embed,
    session_token,
    signed,
    store_of,
)
from tests.integration.web.dashboard.connect.test_woocommerce import run_jobs
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import configure, follow_to_callback, tenants


def test_activation_proves_control_then_links_the_store_and_starts_its_trial(client, site):
    answer = activate(client, site)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    store = store_of(site.url)
    assert body["store_id"] == store.public_id and len(body["signing_secret"]) >= 32
    assert store.state is StoreState.ACTIVE and store.signing_secret == body["signing_secret"]
    assert (store.admin_email, store.admin_username, store.wp_user_id) == (
        "owner@shop.example",
        "owner",
        1,
    )
    assert len(site.asked) == 1  # the site was asked, once, with a fresh nonce
    moves = db.session.scalars(
        sa.select(StoreTransition)
        .where(StoreTransition.store_id == store.id)
        .order_by(StoreTransition.id)
    ).all()
    assert [(m.from_state, m.to_state) for m in moves] == [
        (None, StoreState.PENDING),
        (StoreState.PENDING, StoreState.ACTIVE),
    ]
    trial = db.session.scalars(
        sa.select(Subscription).where(Subscription.store_id == store.id)
    ).one()
    assert trial.status is SubscriptionStatus.TRIALING
    assert 13 <= (trial.trial_ends_at - store.created_at).days <= 14


def test_a_site_that_did_not_start_the_activation_cannot_prove_it(client, site):
    request = consent(site)
    site.new_challenge()  # the site holds another challenge than the one sent

    answer = client.post("/api/bridge/v1/activate", json=request)

    assert answer.status_code == 403
    assert "could not be proven" in answer.get_json()["error"]
    db.session.expire_all()
    assert db.session.scalars(sa.select(Store)).all() == []  # the pending store is forgotten


def test_a_site_without_the_plugin_is_refused(client, site):
    site.plugin_installed = False
    answer = activate(client, site)
    assert answer.status_code == 403
    assert "challenge route" in answer.get_json()["error"]


def test_another_caller_cannot_take_over_a_linked_store(client, site):
    first = activate(client, site).get_json()
    stranger = consent(site)
    site.challenge = "0" * 64  # the real site still holds its own, not the stranger's

    answer = client.post("/api/bridge/v1/activate", json=stranger)

    assert answer.status_code == 403
    store = store_of(site.url)
    assert store.signing_secret == first["signing_secret"] and store.state is StoreState.ACTIVE
    status = signed(
        client, first["store_id"], first["signing_secret"], "GET", "/api/bridge/v1/status"
    )
    assert status.status_code == 200


def test_activating_again_relinks_with_a_new_secret(client, site):
    first = activate(client, site).get_json()
    second = activate(client, site).get_json()

    assert second["store_id"] == first["store_id"]
    assert second["signing_secret"] != first["signing_secret"]
    old = signed(client, first["store_id"], first["signing_secret"], "GET", "/api/bridge/v1/status")
    assert old.status_code == 401


def test_bad_activation_input_is_refused_field_by_field(client, site):
    answer = activate(client, site, admin_email="not an email", user_id=0, challenge="xyz")
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"admin_email", "user_id", "challenge"}
    assert (
        client.post(
            "/api/bridge/v1/activate", data="{", content_type="application/json"
        ).status_code
        == 400
    )
    assert activate(client, site, site_url="ftp://shop.example").status_code == 422


def test_signed_calls_refuse_bad_signatures_stale_clocks_and_replays(client, site):
    linked = activate(client, site).get_json()
    store_id, secret = linked["store_id"], linked["signing_secret"]
    path = "/api/bridge/v1/status"

    assert signed(client, store_id, secret, "GET", path).status_code == 200
    wrong = signed(client, store_id, "not-the-secret", "GET", path)
    assert wrong.status_code == 401 and "signature" in wrong.get_json()["error"]
    stale = signed(client, store_id, secret, "GET", path, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401 and "301 s off" in stale.get_json()["error"]
    assert (
        signed(client, store_id, secret, "GET", path, timestamp=int(time.time()) - 290).status_code
        == 200
    )
    nonce = "n" * 32
    assert signed(client, store_id, secret, "GET", path, nonce=nonce).status_code == 200
    replay = signed(client, store_id, secret, "GET", path, nonce=nonce)
    assert replay.status_code == 401 and "replay" in replay.get_json()["error"]
    unsigned = client.get(path)
    assert unsigned.status_code == 401 and "unsigned" in unsigned.get_json()["error"]


def test_the_status_says_what_the_plugin_shows(client, site):
    linked = activate(client, site).get_json()
    body = signed(
        client, linked["store_id"], linked["signing_secret"], "GET", "/api/bridge/v1/status"
    ).get_json()
    assert body["store"] == {"id": linked["store_id"], "url": site.url, "state": "active"}
    assert body["xero"]["connected"] is False and body["xero"]["status"] == "not connected"
    assert body["subscription"]["status"] == "trialing"
    assert body["subscription"]["trial_days_left"] == 14  # the day begun counts
    assert body["open_errors"] == 0 and body["last_sync"] is None


def test_deactivation_pauses_and_activation_resumes_what_waited(client, site, redis):
    linked = activate(client, site).get_json()
    answer = signed(
        client,
        linked["store_id"],
        linked["signing_secret"],
        "POST",
        "/api/bridge/v1/deactivate",
        {},
    )
    assert answer.status_code == 200 and answer.get_json()["state"] == "paused"
    store = store_of(site.url)
    db.session.add(InboundEvent(
        store_id=store.id, source=EventSource.WOOCOMMERCE_WEBHOOK, topic="order.created",
        resource="order", resource_id="41", delivery_id="while-paused",
    ))  # fmt: skip
    db.session.commit()

    again = activate(client, site)

    assert again.status_code == 200 and store_of(site.url).state is StoreState.ACTIVE
    queued = [job.func_name for job in Queue("high", connection=redis).get_jobs()]
    assert "server.jobs.tasks.inbound.requeue_store_events" in queued


def test_uninstall_marks_the_store_and_closes_its_connections(client, site, app_context):
    linked = activate(client, site).get_json()
    store = store_of(site.url)
    db.session.add(WooConnection(
        store_id=store.id, consumer_key="ck_x", consumer_secret="cs_x", webhook_secret="s" * 32,
        status=ConnectionStatus.CONNECTED,
    ))  # fmt: skip
    db.session.commit()
    answer = signed(
        client,
        linked["store_id"],
        linked["signing_secret"],
        "POST",
        "/api/bridge/v1/uninstall",
        {"erase": False},
    )
    assert answer.status_code == 200
    store = store_of(site.url)
    assert store.state is StoreState.UNINSTALLED and store.signing_secret is None
    later = signed(
        client, linked["store_id"], linked["signing_secret"], "GET", "/api/bridge/v1/status"
    )
    assert later.status_code == 401
    run_jobs(app_context)
    assert store_of(site.url).state is StoreState.UNINSTALLED  # kept for the retention period
    woo = db.session.scalars(sa.select(WooConnection)).one()
    assert woo.status is ConnectionStatus.DISCONNECTED and woo.consumer_key is None


def test_every_signed_answer_names_the_woocommerce_keys_for_the_plugin(client, site, settings):
    """The plugin deletes the keys a newer grant replaced whichever call it makes, and on
    uninstall the current one and our webhooks as well."""
    linked = activate(client, site).get_json()
    store = store_of(site.url)
    db.session.add(WooConnection(
        store_id=store.id, consumer_key="ck_x", consumer_secret="cs_x", key_id=9,
        retired_key_ids=[4, 7], status=ConnectionStatus.CONNECTED,
    ))  # fmt: skip
    for topic, hook in (("order.updated", 32), ("order.created", 31)):
        db.session.add(WooWebhook(store_id=store.id, topic=topic, webhook_id=hook))
    db.session.commit()
    expected = {"app_name": settings.woocommerce.app_name, "current": 9, "retired": [4, 7]}
    calls = [("GET", "status", None), ("POST", "embed", {"target": "settings"}),
             ("POST", "deactivate", {}), ("POST", "uninstall", {"erase": False})]  # fmt: skip
    for method, name, body in calls:
        answer = signed(
            client, linked["store_id"], linked["signing_secret"], method, f"/api/bridge/v1/{name}",
            body,
        )  # fmt: skip
        assert answer.status_code == 200, name
        assert answer.get_json()["api_keys"] == expected, name
    # The uninstall's names our webhooks too: the plugin deletes them, as it deletes the key
    # the job closing the connections would have used.
    assert answer.get_json()["webhooks"] == {
        "delivery_url": f"{settings.public_url}/webhooks/woocommerce/{linked['store_id']}",
        "ids": [31, 32],
    }


def test_uninstall_with_erase_removes_the_store(client, site, app_context):
    linked = activate(client, site).get_json()
    answer = signed(
        client, linked["store_id"], linked["signing_secret"], "POST", "/api/bridge/v1/uninstall",
        {"erase": True},
    )  # fmt: skip
    assert answer.status_code == 200
    run_jobs(app_context)
    db.session.expire_all()
    assert db.session.scalars(sa.select(Store).where(Store.url == site.url)).first() is None


def test_an_embed_token_opens_its_stores_pages_once_and_only_its_store(client, site, redis):
    linked = activate(client, site).get_json()
    other = Store(url="https://other-shop.example", name="Other", state=StoreState.ACTIVE)
    db.session.add(other)
    db.session.commit()
    url = embed_url(client, linked, "settings")
    opened = open_embed(client, url)
    assert opened.status_code == 302
    assert urlsplit(opened.headers["Location"]).path == "/dashboard/settings"
    token = session_token(opened.headers["Location"])
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200 and "Kiwi Shop" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors {site.url}"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.mimetype == "text/html"
    assert open_embed(client, url).status_code == 403  # once only

    api = {"X-Wooxero-Dashboard": token}
    own = client.get(f"/api/v1/stores/{linked['store_id']}/settings", headers=api)
    assert own.status_code == 200
    assert client.get(f"/api/v1/stores/{other.public_id}/settings", headers=api).status_code == 401


def test_the_dashboard_session_needs_no_cookie(app_context, client, site, redis):
    """In another site's iframe browsers drop or partition cookies: the token carries it."""
    linked = activate(client, site).get_json()
    location = open_embed(client, embed_url(client, linked, "main")).headers["Location"]
    token = session_token(location)
    cookieless = app_context.test_client(use_cookies=False)
    page = cookieless.get(location).get_data(as_text=True)
    assert "Kiwi Shop" in page
    nav = page.split('<nav class="page-nav"')[1].split("</nav>")[0]
    links = re.findall(
        r'href="(/dashboard/(?:main|activity|sync|settings|xero|subscription)[^"]*)"', nav
    )
    assert len(links) == 6 and all(f"s={token}" in link for link in links)
    assert cookieless.get(links[1].replace("&amp;", "&")).status_code == 200

    settings_url = f"/api/v1/stores/{linked['store_id']}/settings"
    changed = cookieless.patch(
        settings_url, json={"contacts": {"phone": "none"}}, headers={"X-Wooxero-Dashboard": token}
    )
    assert changed.status_code == 200 and changed.get_json()["contacts"]["phone"] == "none"
    assert cookieless.get("/dashboard/main").status_code == 401  # no token, no session
    assert cookieless.get("/dashboard/main?s=forged").status_code == 401
    assert cookieless.patch(
        settings_url, json={"contacts": {"phone": "default"}},
        headers={"X-Wooxero-Dashboard": "forged"},
    ).status_code == 401  # fmt: skip

    (key,) = redis.keys("wooxero:dashboard:*")
    assert 3500 < redis.ttl(key) <= 3600  # an hour from the last use
    redis.delete(key)  # as an hour unused
    assert cookieless.get(location).status_code == 401


def test_an_embed_token_expires_after_a_minute(client, site, redis):
    linked = activate(client, site).get_json()
    url = embed_url(client, linked, "main")
    (key,) = redis.keys("wooxero:embed:*")
    assert 0 < redis.ttl(key) <= 60
    redis.delete(key)  # as sixty seconds later
    assert open_embed(client, url).status_code == 403


def test_a_store_admin_connects_xero_top_level_from_the_dashboard(client, site, sandbox):
    linked = activate(client, site).get_json()
    url = embed_url(client, linked, "xero")
    page = client.get(open_embed(client, url).headers["Location"]).get_data(as_text=True)
    assert 'target="_top"' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    configure(sandbox, auto_approve_tenants=[tenants(sandbox)["Demo Company (NZ)"]])
    start = client.post("/dashboard/xero/connect", data={"token": token})
    assert start.status_code == 302 and "/identity/connect/authorize" in start.headers["Location"]
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    done = follow_to_callback(client, consent)
    while done.status_code == 302:
        done = client.get(done.headers["Location"])

    assert done.status_code == 200 and "Connected to the Xero organisation" in done.get_data(
        as_text=True
    )
    assert f"{site.url}/wp-admin/admin.php?page=wooxero-bridge-xero" in done.get_data(as_text=True)
    store = store_of(site.url)
    assert store.xero_connection is not None and store.xero_connection.tenant_name
    assert client.post("/dashboard/xero/connect", data={"token": token}).status_code == 403  # once


def test_a_dashboard_session_cannot_finish_another_stores_connection(client, site):
    linked = activate(client, site).get_json()
    token = session_token(open_embed(client, embed_url(client, linked, "main")).headers["Location"])
    other = Store(url="https://other-shop.example", name="Other", state=StoreState.ACTIVE)
    db.session.add(other)
    db.session.commit()
    assert client.get(f"/xero/connected/{other.public_id}?s={token}").status_code == 403
    assert client.get(f"/xero/connected/{linked['store_id']}?s={token}").status_code == 200
