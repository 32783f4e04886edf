"""Xero Connection: a store admin connects from the page (top-level, through the sandbox's
consent), chooses the organisation among several on the page itself, sees its name and
short code, disconnects (settings and bindings kept), and is asked to sign in again with
Xero's reason when access lapsed."""

from __future__ import annotations

import re
from typing import Any

import requests
import sqlalchemy as sa

from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    ConnectionStatus,
    ReferenceKind,
    XeroConnection,
    XeroReference,
)
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import Modules, StoreSettings, TaxMappingRow
from tests.support.dashboard import (
    Dashboard,
    cache_organisation,
    found,
    notices,
    open_dashboard,
)
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import configure, follow_to_callback, make_store, tenants

NZ, AU = "Demo Company (NZ)", "Demo Company (AU)"
CONNECT_FORM = r'<form method="post" action="/dashboard/xero/connect" target="_top"'


def connect_from_the_page(dashboard: Dashboard, sandbox: Any, tenant_ids: list[str]) -> Any:
    """Press the page's connect button (a top-level window) and consent at Xero to
    `tenant_ids`: where the callback sends the browser."""
    token = found(r'name="token" value="([^"]+)"', dashboard.get("xero").text)
    configure(sandbox, auto_approve_tenants=tenant_ids)
    start = dashboard.client.post("/dashboard/xero/connect", data={"token": token})
    assert start.status_code == 302, start.text
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    return follow_to_callback(dashboard.client, consent)


def connection_of(store) -> XeroConnection:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(XeroConnection).where(XeroConnection.store_id == store.id)
    ).one()


def field_error(html: str) -> str:
    return found(r'<span class="field-error" id="tenant-error">([^<]*)</span>', html)


def test_a_store_admin_chooses_the_organisation_among_several(client, sandbox):
    store = make_store()
    orgs = tenants(sandbox)
    dashboard = open_dashboard(client, store)
    done = connect_from_the_page(dashboard, sandbox, [orgs[NZ], orgs[AU]])
    assert done.headers["Location"] == f"/xero/choose/{store.public_id}"

    page = dashboard.get("xero").text
    offered = re.findall(r'<input type="radio" name="tenant_id" value="([^"]+)"', page)
    assert sorted(offered) == sorted([orgs[NZ], orgs[AU]])
    assert NZ in page and AU in page
    assert not re.search(CONNECT_FORM, page), "nothing to connect while choosing"

    missing = dashboard.post("xero", do="choose")
    assert missing.status_code == 422
    assert field_error(missing.text) == "Choose one of the organisations."
    stranger = dashboard.post("xero", do="choose", tenant_id="00000000-0000-0000-0000-000000000000")
    assert stranger.status_code == 409
    assert "not among those just authorised" in field_error(stranger.text)
    assert connection_of(store).status == ConnectionStatus.CHOOSING_ORGANISATION

    chosen = dashboard.post("xero", do="choose", tenant_id=orgs[AU])
    assert chosen.status_code == 200
    assert ("success", f"Connected to the Xero organisation {AU}.") in notices(chosen.text)
    connection = connection_of(store)
    assert (connection.status, connection.tenant_id) == (ConnectionStatus.CONNECTED, orgs[AU])
    listed = requests.get(
        f"{sandbox.base_url}/connections",
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=HTTP_TIMEOUT,
    ).json()
    assert [row["tenantId"] for row in listed] == [orgs[AU]], "the other was given back"


def test_the_page_names_the_organisation_and_its_short_code(client, sandbox):
    store = make_store()
    orgs = tenants(sandbox)
    dashboard = open_dashboard(client, store)
    connect_from_the_page(dashboard, sandbox, [orgs[NZ]])
    # what another organisation's reading left behind is not this one's
    cache_organisation(store, "another-tenant", Name="Old Books Ltd", ShortCode="!OLD99")
    page = dashboard.get("xero").text
    assert f"<dt>Name</dt><dd>{NZ}</dd>" in page
    assert "!OLD99" not in page and "Old Books" not in page

    row = db.session.scalars(
        sa.select(XeroReference).where(XeroReference.kind == ReferenceKind.ORGANISATION)
    ).one()
    row.tenant_id = orgs[NZ]
    row.rows = [{"Name": NZ, "ShortCode": "!kT3mQ", "BaseCurrency": "NZD", "CountryCode": "NZ"}]
    db.session.commit()
    page = dashboard.get("xero").text
    assert "<dt>Short code</dt><dd><code>!kT3mQ</code></dd>" in page
    assert "<dt>Base currency</dt><dd>NZD</dd>" in page


def test_disconnecting_keeps_the_settings_and_bindings(client, sandbox):
    store = make_store()
    dashboard = open_dashboard(client, store)
    connect_from_the_page(dashboard, sandbox, [tenants(sandbox)[NZ]])
    settings = StoreSettings(
        modules=Modules(tax_rates=True, contacts=True, items=True, invoices=True),
        tax_mapping=[TaxMappingRow(woo_rates="none", xero_tax_type="NONE")],
    )
    settings_store.save(store.id, settings)
    db.session.add(
        Binding(store_id=store.id, kind=BindingKind.INVOICE, woo_id="7", xero_id="x-7",
                xero_number="WC-7")
    )  # fmt: skip
    db.session.commit()

    page = dashboard.get("xero").text
    confirm = found(r'<form method="post" data-confirm="([^"]+)">', page)
    assert "settings and mappings are kept" in confirm
    answer = dashboard.post("xero", do="disconnect")
    assert answer.status_code == 200
    (kind, text) = notices(answer.text)[0]
    assert kind == "success" and "Your settings and mappings are kept" in text

    connection = connection_of(store)
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.access_token is None and connection.refresh_token is None
    assert connection.status_reason == f"disconnected by dashboard:{store.id}"
    assert settings_store.load(store.id) == settings
    bindings = db.session.scalars(sa.select(Binding).where(Binding.store_id == store.id)).all()
    assert [(b.woo_id, b.xero_id) for b in bindings] == [("7", "x-7")]
    assert re.search(CONNECT_FORM, answer.text), "it can be connected again"


def test_the_reauthorise_banner_shows_xeros_reason(client, app_context):
    store = make_store()
    reason = "invalid_grant: the refresh token has expired"
    db.session.add(
        XeroConnection(
            store_id=store.id, tenant_id="tenant-1", tenant_name="Kiwi Ltd",
            status=ConnectionStatus.NEEDS_REAUTHORISATION, status_reason=reason,
        )
    )  # fmt: skip
    db.session.commit()
    dashboard = open_dashboard(client, store)
    page = dashboard.get("xero").text

    banner = found(
        r'(?s)<div class="notice notice-error" role="alert" id="reauthorise">(.*?)</div>', page
    )
    assert "Xero needs you to sign in again." in banner and f"Xero said: “{reason}”" in banner
    assert re.search(CONNECT_FORM, banner), "the banner carries the connect button"
    token = found(r'name="token" value="([^"]+)"', banner)
    start = client.post("/dashboard/xero/connect", data={"token": token})
    assert start.status_code == 302 and "/identity/connect/authorize" in start.headers["Location"]

    connection = connection_of(store)
    connection.mark(ConnectionStatus.CONNECTED)
    db.session.commit()
    assert 'id="reauthorise"' not in dashboard.get("xero").text
