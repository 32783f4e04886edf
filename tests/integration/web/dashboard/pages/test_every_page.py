"""What holds on every dashboard page: it opens with the session, carries the session in
every link and form (no cookie works in WordPress's iframe), and is framable by the store
only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.web.dashboard.pages import PAGES
from server.web.dashboard.sessions import open_dashboard_session
from tests.support.xero import make_store


@pytest.mark.parametrize("key", [page.key for page in PAGES])
def test_every_form_and_link_carries_the_session(key: str, app_context: Any) -> None:
    store = make_store()
    token = open_dashboard_session(store)
    cookieless = app_context.test_client(use_cookies=False)
    answer = cookieless.get(f"/dashboard/{key}?s={token}")
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors https://shop.example"
    html = answer.get_data(as_text=True)
    for form in re.findall(r"<form\b.*?</form>", html, re.S):
        if "/connect" in form:  # the top-level connect forms carry a single-use token instead
            assert re.search(r'name="token" value="[^"]+"', form)
        elif 'method="post"' in form:
            assert f'name="s" value="{token}"' in form, form
    links = re.findall(r'href="(/dashboard/[^"]*)"', html)
    assert links and all(f"s={token}" in link for link in links)
