"""The store's page in the admin panel opens the store's dashboard through a fresh one-time
link, so the dashboard stays reachable after the link `make demo` printed (or the plugin
was given) is spent."""

import re
from urllib.parse import urlsplit

import pytest

from server.extensions import current_config, db
from server.models import Store, StoreState
from tests.support.web import csrf_token, log_in, make_operator

BUTTON = "Open the store&#39;s dashboard"


def _store(state: StoreState = StoreState.ACTIVE) -> Store:
    store = Store(url="https://shop.example", name="Kiwi Shop", state=state, signing_secret="s")
    db.session.add(store)
    db.session.commit()
    return store


def _press(client, store: Store):
    """The button on the store's page, pressed as the browser posts it."""
    page = client.get(f"/admin/store/details/?id={store.id}").text
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*target="_blank">', page)
    assert form, "the store's page has the button, opening a new tab"
    return client.post(form.group(1), data={"csrf_token": csrf_token(page)})


def _follow(client, link: str):
    """A link the server gave, opened as the store admin's browser opens it."""
    parts = urlsplit(link)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=True)


def test_the_button_opens_the_stores_dashboard_with_a_fresh_link_each_time(client):
    make_operator()
    store = _store()
    log_in(client)
    assert BUTTON in client.get(f"/admin/store/details/?id={store.id}").text

    first = _press(client, store)
    assert first.status_code == 302
    link = first.headers["Location"]
    assert link.startswith(f"{current_config().public_url}/dashboard/embed?token=")
    dashboard = _follow(client, link)
    assert dashboard.status_code == 200
    assert "Kiwi Shop" in dashboard.text and "/dashboard/main" in dashboard.request.path
    assert _follow(client, link).status_code == 403, "a link opens once"

    again = _press(client, store)
    assert again.headers["Location"] != link
    assert _follow(client, again.headers["Location"]).status_code == 200


@pytest.mark.parametrize("state", [StoreState.PENDING, StoreState.UNINSTALLED])
def test_a_store_without_a_dashboard_says_so_and_issues_no_link(client, state):
    make_operator()
    store = _store(state)
    log_in(client)
    page = client.get(f"/admin/store/details/?id={store.id}").text
    assert BUTTON not in page and f"none: the store is {state.value}" in page
    answer = client.post(
        f"/admin/store/dashboard/{store.public_id}",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert f"A {state.value} store has no dashboard." in answer.text


def test_only_an_operator_may_open_a_stores_dashboard(client):
    store = _store()
    token = csrf_token(client.get("/login").text)  # a visitor's session, signed in to nothing
    answer = client.post(f"/admin/store/dashboard/{store.public_id}", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_button_needs_its_csrf_token_and_a_known_store(client):
    make_operator()
    store = _store()
    log_in(client)
    assert client.post(f"/admin/store/dashboard/{store.public_id}").status_code == 400
    token = csrf_token(client.get("/admin/store/").text)
    unknown = client.post("/admin/store/dashboard/no-such-store", data={"csrf_token": token})
    assert unknown.status_code == 404 and "no such store" in unknown.text
