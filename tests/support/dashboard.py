"""A store admin on the dashboard's pages: a session opened for a store (as the embed link
opens it), its pages fetched and its forms posted with the session token, as the browser
in WordPress's iframe sends them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from server.extensions import db
from server.models import ReferenceKind, Store, XeroReference
from server.web.dashboard.sessions import open_dashboard_session


@dataclass
class Dashboard:
    client: Any
    token: str

    def get(self, key: str) -> Any:
        return self.client.get(f"/dashboard/{key}?s={self.token}")

    def post(self, key: str, **form: str) -> Any:
        """Send one of the page's forms as the browser does: with the session token its
        form carries (a form without it is refused)."""
        page = self.get(key).text
        carried = re.search(r'<input type="hidden" name="s" value="([^"]*)">', page)
        assert carried and carried.group(1) == self.token, "the page's forms carry the session"
        return self.client.post(f"/dashboard/{key}", data={"s": carried.group(1), **form})


def open_dashboard(client: Any, store: Store) -> Dashboard:
    return Dashboard(client, open_dashboard_session(store))


def cache_organisation(store: Store, tenant_id: str, **fields: str) -> None:
    """The ORGANISATION reference row as the sync engine caches it from Xero."""
    db.session.add(
        XeroReference(
            store_id=store.id, kind=ReferenceKind.ORGANISATION, tenant_id=tenant_id,
            rows=[{"OrganisationID": tenant_id, **fields}],
        )
    )  # fmt: skip
    db.session.commit()


def notices(html: str) -> list[tuple[str, str]]:
    """The page's notices: (kind, text without tags)."""
    found = re.findall(r'<div class="notice notice-(\w+)"[^>]*>(.*?)</div>', html, re.S)
    return [(kind, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for kind, text in found]


def found(pattern: str, html: str) -> str:
    """What `pattern` matches in the page: its first group, or the whole match. Fails the
    test if the page has none."""
    match = re.search(pattern, html)
    assert match, f"not in the page: {pattern}"
    return match.group(1 if match.re.groups else 0)
