"""The full OAuth dance against the sandbox over HTTP: consent, callback, tenants, choosing,
declining, replays, disconnecting."""

import dataclasses
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.base import AuthError
from server.connectors.xero import resources
from server.connectors.xero.oauth import XeroOAuth
from server.extensions import db
from server.models import Binding, BindingKind, ConnectionStatus, XeroConnection
from server.models.types import utcnow
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.web import csrf_token
from tests.support.xero import (
    RecordingSession,
    configure,
    connect,
    follow_to_callback,
    make_store,
    objects,
    reload,
    signed_in_operator,
    start_connect,
    tenants,
)

NZ, AU = "Demo Company (NZ)", "Demo Company (AU)"


def connection_of(store) -> XeroConnection:
    db.session.expire_all()
    return db.session.scalar(sa.select(XeroConnection).where(XeroConnection.store_id == store.id))


def test_one_organisation_is_connected_straight_away(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    orgs = tenants(sandbox)
    done = connect(client, store, sandbox, [orgs[NZ]])
    assert (
        done.status_code == 302 and done.headers["Location"] == f"/xero/connected/{store.public_id}"
    )
    assert NZ in client.get(done.headers["Location"]).text
    connection = connection_of(store)
    assert connection.status == ConnectionStatus.CONNECTED
    assert (connection.tenant_id, connection.tenant_name) == (orgs[NZ], NZ)
    assert connection.connection_id and connection.connected_at
    assert "accounting.invoices" in connection.scopes.split()
    assert connection.access_token and connection.refresh_token
    raw = db.session.execute(sa.text("SELECT refresh_token FROM xero_connections")).scalar_one()
    assert connection.refresh_token not in raw, "stored encrypted"
    listed = requests.get(
        f"{sandbox.base_url}/connections",
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=HTTP_TIMEOUT,
    ).json()
    assert [c["tenantId"] for c in listed] == [orgs[NZ]]


def test_several_organisations_ask_which_one(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    orgs = tenants(sandbox)
    done = connect(client, store, sandbox, [orgs[NZ], orgs[AU]])
    assert done.headers["Location"] == f"/xero/choose/{store.public_id}"
    page = client.get(done.headers["Location"])
    assert NZ in page.text and AU in page.text
    assert connection_of(store).status == ConnectionStatus.CHOOSING_ORGANISATION
    chosen = client.post(
        f"/xero/choose/{store.public_id}",
        data={"tenant_id": orgs[AU], "csrf_token": csrf_token(page.text)},
    )
    assert chosen.headers["Location"] == f"/xero/connected/{store.public_id}"
    connection = connection_of(store)
    assert (connection.status, connection.tenant_id) == (ConnectionStatus.CONNECTED, orgs[AU])


def test_an_organisation_not_offered_cannot_be_chosen(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    orgs = tenants(sandbox)
    page = client.get(connect(client, store, sandbox, [orgs[NZ], orgs[AU]]).headers["Location"])
    refused = client.post(
        f"/xero/choose/{store.public_id}",
        data={
            "tenant_id": "00000000-0000-0000-0000-000000000000",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert refused.status_code == 400
    assert connection_of(store).status == ConnectionStatus.CHOOSING_ORGANISATION


def test_declining_is_said_plainly(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    configure(sandbox, auto_approve=False)
    consent_page = start_connect(client, store)
    assert consent_page.status_code == 200
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent_page.text)
    )
    fields = {name: html.unescape(value) for name, value in fields.items()}
    denied = requests.post(
        consent_page.url.split("?")[0],
        data={**fields, "decision": "deny"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    result = follow_to_callback(client, denied)
    assert result.status_code == 400
    assert "You declined." in result.text
    assert connection_of(store) is None


def test_a_callback_cannot_be_replayed(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    configure(sandbox, auto_approve_tenants=[tenants(sandbox)[NZ]])
    consent = start_connect(client, store)
    assert follow_to_callback(client, consent).status_code == 302
    replay = follow_to_callback(client, consent)
    assert replay.status_code == 400
    assert "expired or was already used" in replay.text


def test_a_forged_state_is_refused(client, sandbox):
    signed_in_operator(client)
    make_store()
    response = client.get("/xero/callback?code=abc&state=made-up")
    assert response.status_code == 400
    assert "expired or was already used" in response.text


def test_connecting_needs_a_signed_in_operator(client, sandbox):
    store = make_store()
    assert client.get("/xero/callback?code=a&state=b").status_code == 302
    assert client.post(f"/xero/connect/{store.public_id}").status_code in (302, 400)


def test_switching_organisation_is_refused_once_documents_exist(client, sandbox):
    signed_in_operator(client)
    store = make_store()
    orgs = tenants(sandbox)
    connect(client, store, sandbox, [orgs[NZ]])
    db.session.add(Binding(store_id=store.id, kind=BindingKind.INVOICE, woo_id="1", xero_id="x"))
    db.session.commit()
    refused = connect(client, store, sandbox, [orgs[AU]])
    assert refused.status_code == 400
    assert "Connect that organisation again" in refused.text
    assert connection_of(store).tenant_id == orgs[NZ]
    assert connect(client, store, sandbox, [orgs[NZ]]).status_code == 302, "the same one is fine"


def test_disconnect_removes_the_connection_at_xero_and_erases_tokens_but_keeps_bindings(
    client, sandbox
):
    signed_in_operator(client)
    store = make_store()
    orgs = tenants(sandbox)
    connect(client, store, sandbox, [orgs[NZ]])
    access_token = connection_of(store).access_token
    db.session.add(Binding(store_id=store.id, kind=BindingKind.INVOICE, woo_id="1", xero_id="x"))
    db.session.commit()
    page = client.get(f"/admin/store/details/?id={store.id}")
    assert "Disconnect" in page.text
    response = client.post(
        f"/xero/disconnect/{store.public_id}", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    connection = connection_of(store)
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.access_token is None and connection.refresh_token is None
    assert connection.tenant_id == orgs[NZ], "kept, so reconnecting checks the same organisation"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Binding)) == 1
    listed = requests.get(
        f"{sandbox.base_url}/connections",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert listed.status_code == 401 or listed.json() == [], "revoked at Xero"
    assert reload(store) is not None


def second_store(client, sandbox, org):
    store = make_store("https://second.example")
    connect(client, store, sandbox, [tenants(sandbox)[org]])
    return store


def organisation_of(store) -> str:
    client = xero_access.client_for(connection_of(store))
    return client.get(resources.ORGANISATION)[0]["Name"]


def disconnect_via_panel(client, store):
    page = client.get(f"/admin/store/details/?id={store.id}")
    return client.post(
        f"/xero/disconnect/{store.public_id}", data={"csrf_token": csrf_token(page.text)}
    )


def test_disconnecting_one_of_two_stores_on_one_organisation_leaves_the_other_working(
    client, sandbox
):
    signed_in_operator(client)
    first = make_store()
    connect(client, first, sandbox, [tenants(sandbox)[NZ]])
    second = second_store(client, sandbox, NZ)
    assert connection_of(first).connection_id == connection_of(second).connection_id
    disconnect_via_panel(client, first)
    assert connection_of(first).status == ConnectionStatus.DISCONNECTED
    assert organisation_of(second) == NZ, "the shared connection was neither deleted nor revoked"


def test_disconnecting_spares_another_organisation_of_the_same_xero_user(client, sandbox):
    signed_in_operator(client)
    first = make_store()
    connect(client, first, sandbox, [tenants(sandbox)[NZ]])
    second = second_store(client, sandbox, AU)
    assert connection_of(first).xero_user_id == connection_of(second).xero_user_id
    disconnect_via_panel(client, first)
    assert organisation_of(second) == AU
    listed = requests.get(f"{sandbox.base_url}/connections", timeout=HTTP_TIMEOUT,
                          headers={"Authorization": f"Bearer {connection_of(second).access_token}"}).json()  # fmt: skip
    assert [c["tenantName"] for c in listed] == [AU], (
        "the first store's organisation was removed at Xero"
    )


@pytest.fixture
def refreshes(monkeypatch) -> list[str]:
    sent: list[str] = []
    original = XeroOAuth.refresh

    def counting(self, refresh_token):
        sent.append(refresh_token)
        return original(self, refresh_token)

    monkeypatch.setattr(XeroOAuth, "refresh", counting)
    return sent


def test_a_scope_not_granted_marks_the_connection_and_refreshes_nothing(
    app_context, sandbox, refreshes
):
    store = make_store()
    config = dataclasses.replace(
        xero_access.app_config(), scopes=("offline_access", "accounting.settings")
    )
    oauth = XeroOAuth(config, clock=utcnow)
    request = oauth.authorization_request()
    configure(sandbox, auto_approve_tenants=[tenants(sandbox)[NZ]])
    consent = requests.get(request.url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    tokens = oauth.exchange_code(code, request.code_verifier)
    (tenant,) = oauth.tenants(tokens.access_token)
    row = XeroConnection(store_id=store.id, tenant_id=tenant.tenant_id, connection_id=tenant.connection_id,
                         status=ConnectionStatus.CONNECTED)  # fmt: skip
    xero_access.store_tokens(row, tokens)
    db.session.add(row)
    db.session.commit()
    xero = xero_access.client_for(row)
    xero.http = recorded = RecordingSession()
    with pytest.raises(AuthError) as caught:
        xero.get(resources.PAYMENTS)
    assert caught.value.needs_reauthorisation and caught.value.status == 401
    assert refreshes == [], "a missing scope is not cured by a new token"
    row = connection_of(store)
    assert row.status == ConnectionStatus.NEEDS_REAUTHORISATION
    assert row.refresh_token is not None, "kept, so disconnecting can still revoke it"
    assert len(recorded.sent) == 1, "asked once, not again after a refresh"


def test_an_organisation_disconnected_at_xero_marks_the_connection(
    client, connected_store, sandbox, refreshes
):
    row = connection_of(connected_store)
    deleted = requests.delete(f"{sandbox.base_url}/connections/{row.connection_id}", timeout=HTTP_TIMEOUT,
                              headers={"Authorization": f"Bearer {row.access_token}"})  # fmt: skip
    assert deleted.status_code == 204
    with pytest.raises(AuthError) as caught:
        xero_access.client_for(connection_of(connected_store)).get(resources.ORGANISATION)
    assert caught.value.status == 403
    row = connection_of(connected_store)
    assert row.status == ConnectionStatus.NEEDS_REAUTHORISATION and "refused" in row.status_reason
    assert refreshes == []


def test_no_transaction_is_held_while_xero_exchanges_the_code(client, sandbox, monkeypatch):
    held = []
    original = XeroOAuth.exchange_code

    def watching(self, code, verifier):
        held.append(db.session().in_transaction())
        return original(self, code, verifier)

    monkeypatch.setattr(XeroOAuth, "exchange_code", watching)
    signed_in_operator(client)
    store = make_store()
    connect(client, store, sandbox, [tenants(sandbox)[NZ]])
    assert held == [False]


def test_the_same_body_sent_to_two_organisations_is_two_requests(client, sandbox):
    signed_in_operator(client)
    first = make_store()
    connect(client, first, sandbox, [tenants(sandbox)[NZ]])
    second = second_store(client, sandbox, AU)
    body = {"Contacts": [{"Name": "Pat Guest", "EmailAddress": "pat@example.com"}]}
    for store in (first, second):
        answer = xero_access.client_for(connection_of(store)).write(
            "PUT", "Contacts", body, params={"summarizeErrors": "false"}
        )
        assert answer.data["Contacts"][0]["StatusAttributeString"] == "OK"
    stored = {
        org: [c["Name"] for c in objects(sandbox, tenants(sandbox)[org], "Contacts")]
        for org in (NZ, AU)
    }
    assert stored == {NZ: ["Pat Guest"], AU: ["Pat Guest"]}
