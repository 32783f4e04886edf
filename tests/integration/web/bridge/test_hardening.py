"""The bridge under misuse and on awkward real sites: misbehaving challenge answers, an
operator's pause, WordPress in a subfolder, long site names, stale dashboard sessions, forged
cross-site posts, signatures behind a path prefix, framing, retention."""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Response

from server.billing import trial
from server.extensions import db
from server.models import Store, StoreState, StoreTransition
from server.models.types import utcnow
from server.stores import lifecycle as store_lifecycle
from tests.integration.web.bridge.conftest import (
    activate,
    embed_url,
    open_embed,
    session_token,
    signed,
    store_of,
)
from tests.support.waiting import PATIENCE, wait_until


def test_the_challenge_call_names_itself_and_refuses_oversized_answers(client, site):
    site.answer_instead = lambda: Response("x" * 100_000, mimetype="application/json")
    answer = activate(client, site)
    assert answer.status_code == 403 and "too large" in answer.get_json()["error"]
    assert site.user_agents[-1].startswith("wooxero-bridge-check/")
    assert db.session.scalars(sa.select(Store)).all() == []


def test_a_proof_that_is_not_ascii_is_refused_plainly(client, site):
    site.answer_instead = lambda: {"proof": "é" * 64}
    answer = activate(client, site)
    assert answer.status_code == 403 and "does not match" in answer.get_json()["error"]


def test_a_site_that_redirects_its_rest_api_is_told_where_it_went(client, site):
    site.answer_instead = lambda: Response("", 301, {"Location": "https://www.shop.example/"})
    answer = activate(client, site)
    assert answer.status_code == 403
    assert "https://www.shop.example/" in answer.get_json()["error"]
    assert "Site Address" in answer.get_json()["error"]


def _pause_as_operator(url: str) -> None:
    store = store_of(url)
    store.transition_to(StoreState.PAUSED, "paused by an operator", "wordpress.ops@example.com")
    db.session.commit()


def test_agreeing_again_does_not_lift_an_operators_pause(client, site):
    activate(client, site)
    _pause_as_operator(site.url)

    again = activate(client, site)

    assert again.status_code == 200 and again.get_json()["state"] == "paused"
    store = store_of(site.url)
    assert (
        store.state is StoreState.PAUSED
        and store.signing_secret == again.get_json()["signing_secret"]
    )  # re-linked all the same
    assert store_lifecycle.paused_by_operator(store)
    assert "stays paused by an operator" in store.transitions[-1].reason


def test_a_plugin_pause_is_lifted_by_agreeing_again(client, site):
    linked = activate(client, site).get_json()
    signed(
        client, linked["store_id"], linked["signing_secret"], "POST", "/api/bridge/v1/deactivate"
    )
    assert not store_lifecycle.paused_by_operator(store_of(site.url))
    assert activate(client, site).get_json()["state"] == "active"


def test_wordpress_in_a_subfolder_frames_and_links_back_to_its_own_admin(client, site):
    admin = "https://admin.shop.example/wp/wp-admin/"
    linked = activate(client, site, admin_url=admin).get_json()
    assert store_of(site.url).admin_url == admin
    page = client.get(open_embed(client, embed_url(client, linked, "main")).headers["Location"])
    assert page.headers["Content-Security-Policy"] == (
        f"frame-ancestors {site.url} https://admin.shop.example"
    )
    with client.application.test_request_context():
        from server.web.dashboard.connect.common import back_to

        assert back_to(store_of(site.url)) == admin + "admin.php?page=wooxero-bridge-xero"


def test_an_unsafe_admin_url_is_refused_and_a_long_site_name_is_cut(client, site):
    for bad in ("javascript:alert(1)//", "https://user:pw@shop.example/wp-admin/", "//x"):
        answer = activate(client, site, admin_url=bad)
        assert answer.status_code == 422 and "admin_url" in answer.get_json()["error"]
    long_name = "Kiwi " * 100
    assert activate(client, site, site_name=long_name).status_code == 200
    assert store_of(site.url).name == long_name.strip()[:200]


def _dashboard(client, site) -> tuple[dict, str]:
    linked = activate(client, site).get_json()
    location = open_embed(client, embed_url(client, linked, "main")).headers["Location"]
    assert client.get(location).status_code == 200
    return linked, location


def test_a_dashboard_session_ends_when_the_store_is_linked_again(client, site):
    _, location = _dashboard(client, site)
    activate(client, site)  # a new owner of the domain, or the plugin set up again
    assert client.get(location).status_code == 401


def test_a_dashboard_session_ends_when_the_store_is_uninstalled(client, site):
    linked, location = _dashboard(client, site)
    signed(
        client, linked["store_id"], linked["signing_secret"], "POST", "/api/bridge/v1/uninstall",
        {"erase": False},
    )  # fmt: skip
    assert client.get(location).status_code == 401


def test_a_dashboard_session_ends_eight_hours_after_it_opened_however_used(client, site, redis):
    _, location = _dashboard(client, site)
    key = f"wooxero:dashboard:{session_token(location)}"
    value = json.loads(redis.get(key))
    value["opened"] = int(time.time()) - 8 * 3600 - 1
    redis.set(key, json.dumps(value), keepttl=True)
    assert client.get(location).status_code == 401
    assert redis.get(key) is None


def test_a_call_carrying_a_token_is_judged_by_it_alone(client, site):
    """A malformed or empty token never falls back to a cookie session."""
    linked, location = _dashboard(client, site)
    url = f"/api/v1/stores/{linked['store_id']}/settings"
    good = {"X-Wooxero-Dashboard": session_token(location)}
    assert client.get(url, headers=good).status_code == 200
    for token in ("", "x" * 101, "forged"):
        assert client.get(url, headers={"X-Wooxero-Dashboard": token}).status_code == 401


def test_the_xero_connect_button_only_works_posted_from_this_servers_page(client, site):
    linked, _ = _dashboard(client, site)
    page = client.get(
        open_embed(client, embed_url(client, linked, "xero")).headers["Location"]
    ).get_data(as_text=True)
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    for headers in (
        {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "null"},
    ):  # fmt: skip
        forged = client.post("/dashboard/xero/connect", data={"token": token}, headers=headers)
        assert forged.status_code == 403
    same = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}  # as Chromium sends it
    started = client.post("/dashboard/xero/connect", data={"token": token}, headers=same)
    assert started.status_code == 302  # the token was not spent by the forged posts


def test_signatures_cover_the_path_behind_a_prefix(client, site):
    linked = activate(client, site).get_json()
    stamp, nonce = str(int(time.time())), secrets.token_hex(16)
    from server.web.bridge.signing import sign

    headers = {
        "X-Wooxero-Store": linked["store_id"], "X-Wooxero-Timestamp": stamp,
        "X-Wooxero-Nonce": nonce,
        "X-Wooxero-Signature": sign(
            linked["signing_secret"], "GET", "/wooxero/api/bridge/v1/status", stamp, nonce, b""
        ),
    }  # fmt: skip
    answer = client.get(
        "/api/bridge/v1/status", headers=headers, base_url="http://wooxero.test/wooxero"
    )
    assert answer.status_code == 200, answer.get_json()


def test_a_signature_that_is_not_hex_gets_a_clear_401(client, site):
    linked = activate(client, site).get_json()
    headers = {
        "X-Wooxero-Store": linked["store_id"], "X-Wooxero-Timestamp": str(int(time.time())),
        "X-Wooxero-Nonce": secrets.token_hex(16), "X-Wooxero-Signature": "é" * 64,
    }  # fmt: skip
    answer = client.get("/api/bridge/v1/status", headers=headers)
    assert answer.status_code == 401 and "hexadecimal" in answer.get_json()["error"]


def test_pages_refuse_framing_unless_they_name_who_may_frame_them(client, site):
    assert client.get("/login").headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    expired = client.get("/dashboard/embed?token=spent")
    assert expired.status_code == 403  # shown inside the plugin's frame, whoever frames it
    assert expired.headers["Content-Security-Policy"] == "frame-ancestors *"


def test_retention_counts_from_the_uninstallation_and_abandoned_activations_go(client, site):
    activate(client, site)
    store = store_of(site.url)
    store.transition_to(StoreState.UNINSTALLED, "plugin uninstalled", "wordpress")
    db.session.commit()
    long_ago = utcnow() - timedelta(days=400)
    db.session.execute(sa.update(StoreTransition).values(at=long_ago))
    db.session.execute(sa.update(Store).values(created_at=long_ago))  # updated_at stays recent
    abandoned = Store(url="https://abandoned.example", state=StoreState.PENDING)
    fresh = Store(url="https://fresh.example", state=StoreState.PENDING)
    db.session.add_all([abandoned, fresh])
    db.session.commit()
    abandoned.created_at = utcnow() - timedelta(days=2)
    db.session.commit()

    assert store_lifecycle.erase_expired_uninstalled() == 2

    left = db.session.scalars(sa.select(Store.url)).all()
    assert left == ["https://fresh.example"]


def test_a_recent_uninstallation_is_kept_however_old_the_store(client, site):
    activate(client, site)
    store = store_of(site.url)
    db.session.execute(sa.update(Store).values(created_at=utcnow() - timedelta(days=400)))
    store.transition_to(StoreState.UNINSTALLED, "plugin uninstalled", "wordpress")
    db.session.commit()
    assert store_lifecycle.erase_expired_uninstalled() == 0
    assert store_of(site.url).state is StoreState.UNINSTALLED


def test_a_timestamp_of_other_than_ascii_digits_gets_a_clear_401_on_every_signed_route(
    client, site
):
    linked = activate(client, site).get_json()
    routes = [
        ("GET", "/api/bridge/v1/status"), ("POST", "/api/bridge/v1/embed"),
        ("POST", "/api/bridge/v1/deactivate"), ("POST", "/api/bridge/v1/uninstall"),
    ]  # fmt: skip
    for stamp in ("²", "\u0661" * 10, "9" * 5000, "-1", " 1"):  # "\u0661" is Arabic-Indic 1
        for method, path in routes:
            headers = {
                "X-Wooxero-Store": linked["store_id"], "X-Wooxero-Timestamp": stamp,
                "X-Wooxero-Nonce": secrets.token_hex(16), "X-Wooxero-Signature": "a" * 64,
            }  # fmt: skip
            answer = client.open(path, method=method, headers=headers)
            assert answer.status_code == 401, (stamp[:10], path)
            assert "Unix seconds" in answer.get_json()["error"]
    assert store_of(site.url).state is StoreState.ACTIVE


def test_a_user_id_too_large_for_the_database_is_refused_before_the_site_is_asked(client, site):
    for user_id in (10**30, 2**31, 0, -1):
        answer = activate(client, site, user_id=user_id)
        assert answer.status_code == 422 and "user_id" in answer.get_json()["errors"]
    assert site.asked == []  # validated before any work
    assert db.session.scalars(sa.select(Store)).all() == []
    assert activate(client, site, user_id=2**31 - 1).status_code == 200


def test_an_activation_failing_after_the_proof_leaves_no_pending_store(client, site, monkeypatch):
    def broken(_store):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(trial, "start", broken)
    assert activate(client, site).status_code == 500
    assert site.asked  # the proof was asked for and given
    assert db.session.scalars(sa.select(Store)).all() == []


def test_bodies_nested_too_deep_or_not_objects_answer_400_with_words(client, site):
    deep = b"[" * 100_000
    answer = client.post("/api/bridge/v1/activate", data=deep, content_type="application/json")
    assert answer.status_code == 400 and "nested deeper" in answer.get_json()["error"]
    linked = activate(client, site).get_json()
    for path in ("/api/bridge/v1/embed", "/api/bridge/v1/uninstall"):
        for raw in (deep, b'"x"', b"[9001]", b"{not json"):
            answer = signed(
                client, linked["store_id"], linked["signing_secret"], "POST", path, raw=raw
            )
            assert answer.status_code == 400, (path, raw[:10])
            assert "JSON" in answer.get_json()["error"] or "nested" in answer.get_json()["error"]
    assert store_of(site.url).state is StoreState.ACTIVE


def test_a_challenge_answer_nested_too_deep_is_refused_plainly(client, site):
    site.answer_instead = lambda: Response("[" * 4000, mimetype="application/json")
    answer = activate(client, site)
    assert answer.status_code == 403 and "nested deeper" in answer.get_json()["error"]
    assert db.session.scalars(sa.select(Store)).all() == []


WIDENING_ADMIN_URLS = [
    "https://admin.shop.example; frame-ancestors */wp-admin/",
    "https://admin.shop.example;/wp-admin/",
    "https://*/wp-admin/",
    "https://*.example/wp-admin/",
    "https://admin.shop.example/wp-admin/ https://evil.example",
    "https://admin shop.example/",
    "https://admin.shop.example:99999/",
    "https://admin.shop.example/wp-admin/?x=1",
    "https://admin.shop.example/../wp-admin/",
    "ftp://admin.shop.example/",
]


@pytest.mark.parametrize("bad", WIDENING_ADMIN_URLS)
def test_an_admin_url_that_is_not_a_plain_origin_and_path_is_refused(client, site, bad):
    answer = activate(client, site, admin_url=bad)
    assert answer.status_code == 422 and "admin_url" in answer.get_json()["error"]
    assert site.asked == [] and db.session.scalars(sa.select(Store)).all() == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("HTTPS://Admin.Shop.Example:443/wp/wp-admin", "https://admin.shop.example/wp/wp-admin/"),
        ("https://admin.shop.example:8443/~me/wp-admin/", "https://admin.shop.example:8443/~me/wp-admin/"),
        ("https://bücher.example/wp-admin/", "https://xn--bcher-kva.example/wp-admin/"),
        ("http://[::1]:8080/wp-admin/", "http://[::1]:8080/wp-admin/"),
    ],
)  # fmt: skip
def test_an_admin_url_is_kept_normalised(client, site, given, kept):
    assert activate(client, site, admin_url=given).status_code == 200
    assert store_of(site.url).admin_url == kept


def test_the_frame_policy_is_built_from_plain_origins_only(client, site):
    linked = activate(client, site, admin_url="https://admin.shop.example/wp-admin/").get_json()
    store = store_of(site.url)
    store.admin_url = "https://x.example; frame-ancestors */"  # stored before the rule
    db.session.commit()
    page = client.get(open_embed(client, embed_url(client, linked, "main")).headers["Location"])
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors {site.url}"


def test_every_answer_says_nosniff_and_tokens_and_api_answers_are_not_stored(client, site):
    linked = activate(client, site)
    assert linked.headers["Cache-Control"] == "no-store"  # it carries the signing secret
    linked = linked.get_json()
    embed = signed(
        client, linked["store_id"], linked["signing_secret"], "POST", "/api/bridge/v1/embed",
        {"target": "main"},
    )  # fmt: skip
    assert embed.headers["Cache-Control"] == "no-store"
    redirect = open_embed(client, embed.get_json()["url"])
    assert redirect.status_code == 302 and redirect.headers["Cache-Control"] == "no-store"
    token = session_token(redirect.headers["Location"])
    api = [
        client.get(f"/api/v1/stores/{linked['store_id']}/settings", headers={"X-Wooxero-Dashboard": token}),
        client.get("/api/v1/csrf-token"),
        client.get("/api/v1/stores/nope/settings"),
    ]  # fmt: skip
    assert [answer.status_code for answer in api] == [200, 200, 401]
    assert all(answer.headers["Cache-Control"] == "no-store" for answer in api)
    others = [
        client.get("/login"), client.get("/healthz"), client.get("/no-such-page"),
        client.post("/webhooks/xero", data=b"{}"), client.get("/api/bridge/v1/status"),
        client.get("/dashboard/embed?token=spent"), client.get(redirect.headers["Location"]),
        client.get("/admin/"),
    ]  # fmt: skip
    for answer in [*api, *others, embed, redirect]:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.request.path


def _chunked(client, path: str, body: bytes, headers: dict[str, str]) -> Any:
    """Sent as a server that decodes chunked transfer encoding hands it on: no Content-Length."""
    return client.post(
        path, input_stream=io.BytesIO(body), headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip


def test_a_chunked_body_over_the_limit_is_413_on_signed_routes(client, site):
    linked = activate(client, site).get_json()
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    for size, status in ((limit + 1, 413), (limit, 200)):
        body = b'{"target": "main", "pad": "' + b"x" * (size - 30) + b'"}'
        body += b" " * (size - len(body))
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        from server.web.bridge.signing import sign

        signature = sign(
            linked["signing_secret"], "POST", "/api/bridge/v1/embed", stamp, nonce, body
        )
        headers = {
            "X-Wooxero-Store": linked["store_id"], "X-Wooxero-Timestamp": stamp,
            "X-Wooxero-Nonce": nonce, "X-Wooxero-Signature": signature,
        }  # fmt: skip
        answer = _chunked(client, "/api/bridge/v1/embed", body, headers)
        assert answer.status_code == status, (size, answer.get_json())
    oversized = b" " * (limit + 1)
    for path in ("/api/bridge/v1/embed", "/api/bridge/v1/uninstall"):  # unsigned: still 413
        assert _chunked(client, path, oversized, {}).status_code == 413
        assert client.post(path, data=oversized).status_code == 413


def test_activations_over_the_cap_answer_503_at_once_while_other_routes_answer(client, site):
    """Each activation may wait bridge.challenge_timeout on its site: at most
    bridge.concurrent_activations (2) wait at once per process, the threads left serve the
    rest."""
    release = threading.Event()

    def slow_site() -> Any:
        release.wait(PATIENCE)
        return {"proof": "0" * 64}

    site.answer_instead = slow_site
    waiting = [
        threading.Thread(target=activate, args=(client.application.test_client(), site))
        for _ in range(2)
    ]
    try:
        for thread in waiting:
            thread.start()
        wait_until(lambda: len(site.asked) == 2, "both activations to ask their site")

        busy = activate(client, site)  # were it let through, it would wait on its site too
        assert busy.status_code == 503 and "try again" in busy.get_json()["error"]
        assert int(busy.headers["Retry-After"]) >= 10  # bridge.challenge_timeout, or the
        # rate limit's window if later (Flask-Limiter keeps the later of the two)
        assert client.get("/healthz").status_code == 200
        assert len(site.asked) == 2  # the third was not let through
    finally:
        release.set()
        for thread in waiting:
            thread.join(PATIENCE)
    site.answer_instead = None
    assert activate(client, site).status_code == 200  # the slots are free again


def test_an_activation_holding_u0000_is_refused_before_the_site_is_asked(client, site):
    answer = activate(client, site, admin_username="owner\x00")
    assert answer.status_code == 400 and "U+0000" in answer.get_json()["error"]
    assert site.asked == [] and db.session.scalars(sa.select(Store)).all() == []
