"""No secret is ever shown in the panel: every list, details and other page of every
registered view, and every page linked from them, crawled as each role."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for

from server.extensions import db
from tests.integration.admin.conftest import ADMIN_EMAIL, SECRETS, SUPPORT_EMAIL, admin_views
from tests.support.web import log_in

FERNET_PREFIX = "gAAAAA"
LINK = re.compile(r'href="([^"]+)"')
LEFT_ALONE = ("/static/", "/admin/static/", "/logout")
MOST_PAGES = 3000  # far above what the panel links; reaching it means the crawl ran away


def _start_pages(app, panel) -> list[str]:
    pages = []
    with app.test_request_context():
        for view in admin_views(app):
            if hasattr(view, "model"):
                first = db.session.scalar(sa.select(sa.func.min(view.model.id)))
                pages.append(url_for(f"{view.endpoint}.index_view"))
                pages.append(url_for(f"{view.endpoint}.details_view", id=first))
                continue
            pages += [
                rule.rule + f"?store={panel.store.public_id}"
                for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith(f"{view.endpoint}.")
                and "GET" in rule.methods
                and not rule.arguments
            ]
    return pages


def _links(page: str, text: str) -> list[str]:
    found = []
    for raw in LINK.findall(text):
        link = urldefrag(html.unescape(raw)).url
        parts = urlsplit(link)
        if not link or parts.scheme or parts.netloc or not link.startswith(("/", "?")):
            continue  # another site, javascript:, mailto:, an anchor
        if link.startswith("?"):
            link = urlsplit(page).path + link
        if not link.startswith(LEFT_ALONE):
            found.append(link)
    return found


@pytest.mark.parametrize("email", [ADMIN_EMAIL, SUPPORT_EMAIL])
def test_no_page_of_the_panel_shows_a_secret(app_context, panel, email):
    client = app_context.test_client()
    log_in(client, email=email)
    queue, seen = deque(_start_pages(app_context, panel)), set()
    while queue:
        page = queue.popleft()
        if page in seen:
            continue
        seen.add(page)
        assert len(seen) < MOST_PAGES
        answer = client.get(page)
        assert answer.status_code in (200, 302, 308, 403), page
        body = answer.get_data()
        for secret in SECRETS.values():
            assert secret.encode() not in body, (page, secret)
        assert FERNET_PREFIX.encode() not in body, page
        if answer.mimetype == "text/html":
            queue.extend(_links(page, answer.get_data(as_text=True)))
    paths = {urlsplit(page).path for page in seen}
    assert {"/admin/store/", "/admin/xeroconnection/details/", "/admin/wooconnection/"} <= paths
    if email == ADMIN_EMAIL:
        assert "/admin/store/edit/" in paths and "/admin/wooconnection/edit/" in paths
