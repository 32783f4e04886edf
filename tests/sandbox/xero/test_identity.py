"""OAuth2 authorisation, tokens, rotation, revocation and connections."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

from .conftest import (
    ALL_SCOPES,
    CLIENT_ID,
    REDIRECT_URI,
    Xero,
    jwt_claims,
    pkce_pair,
)


def _query(response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    return parse_qs(urlparse(response.headers["Location"]).query)


def test_authorize_rejects_unknown_client_and_unregistered_redirect_without_redirecting(xero: Xero):
    unknown = xero.authorize(**xero.authorize_url_params(client_id="nope"))
    wrong_uri = xero.authorize(**xero.authorize_url_params(redirect_uri=REDIRECT_URI + "/x"))
    assert unknown.status_code == 400 and "Location" not in unknown.headers
    assert wrong_uri.status_code == 400 and "redirect_uri" in wrong_uri.text


def test_authorize_errors_are_redirected_with_state(xero: Xero):
    wrong_type = _query(xero.authorize(**xero.authorize_url_params(response_type="token")))
    unknown_scope = _query(xero.authorize(**xero.authorize_url_params(scope="openid bogus")))
    assert wrong_type == {"error": ["unsupported_response_type"], "state": ["state-123"]}
    assert unknown_scope["error"] == ["invalid_scope"]


def test_new_apps_get_invalid_scope_for_accounting_transactions(xero: Xero):
    legacy = "offline_access accounting.transactions accounting.contacts"
    refused = _query(xero.authorize(**xero.authorize_url_params(scope=legacy)))
    xero.sandbox("POST", "config", {"granular_scopes_only": False})
    allowed = _query(xero.authorize(**xero.authorize_url_params(scope=legacy)))
    assert refused["error"] == ["invalid_scope"]
    assert "code" in allowed


def test_consent_page_lists_organisations_and_deny_redirects_access_denied(xero: Xero):
    xero.sandbox("POST", "config", {"auto_approve": False})
    page = xero.authorize(**xero.authorize_url_params())
    assert page.status_code == 200
    assert "Demo Company (NZ)" in page.text and "Demo Company (AU)" in page.text
    assert page.text.count('type="checkbox" name="tenant"') == 2
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    denied = xero.http.post(
        f"{xero.base}/identity/connect/authorize",
        data={"consent_id": consent_id, "decision": "deny"},
        allow_redirects=False,
    )
    assert _query(denied) == {"error": ["access_denied"], "state": ["state-123"]}


def test_allow_connects_only_the_chosen_organisation(xero: Xero):
    xero.sandbox("POST", "config", {"auto_approve": False})
    tenants = {t["name"]: t["tenantId"] for t in xero.sandbox("GET", "tenants").json()}
    page = xero.authorize(**xero.authorize_url_params())
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    allowed = xero.http.post(
        f"{xero.base}/identity/connect/authorize",
        data={
            "consent_id": consent_id,
            "decision": "allow",
            "tenant": tenants["Demo Company (AU)"],
        },
        allow_redirects=False,
    )
    code = _query(allowed)["code"][0]
    xero.tokens = xero.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    ).json()
    names = [c["tenantName"] for c in xero.connections().json()]
    assert names == ["Demo Company (AU)"]


def test_token_response_and_access_token_claims(xero: Xero):
    xero.connect()
    body = xero.tokens
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["scope"] == ALL_SCOPES
    assert body["refresh_token"] and body["id_token"]
    claims = jwt_claims(body["access_token"])
    assert claims["client_id"] == CLIENT_ID
    assert claims["scope"] == ALL_SCOPES.split()
    assert claims["exp"] - claims["nbf"] == 1800
    event_id = claims["authentication_event_id"]
    assert [c["authEventId"] for c in xero.connections().json()] == [event_id, event_id]
    assert claims["xero_userid"] == jwt_claims(body["id_token"])["xero_userid"]


def test_codes_are_single_use_and_bound_to_the_redirect_uri(xero: Xero):
    code = xero.code_from(xero.authorize(**xero.authorize_url_params()))
    wrong_uri = xero.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI + "/x"}
    )
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    first, second = xero.token(data), xero.token(data)
    assert wrong_uri.status_code == 400 and wrong_uri.json() == {"error": "invalid_grant"}
    assert first.status_code == 200
    assert second.status_code == 400 and second.json() == {"error": "invalid_grant"}


def test_client_authentication_by_basic_or_body_and_bad_secret(xero: Xero):
    code = xero.code_from(xero.authorize(**xero.authorize_url_params()))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    bad = xero.token(data, auth=(CLIENT_ID, "wrong"))
    in_body = xero.http.post(
        f"{xero.base}/identity/connect/token",
        data=data | {"client_id": CLIENT_ID, "client_secret": "sandbox-secret"},
    )
    assert bad.status_code == 401 and bad.json() == {"error": "invalid_client"}
    assert in_body.status_code == 200


def test_pkce_s256(xero: Xero):
    verifier, challenge = pkce_pair()
    params = xero.authorize_url_params(code_challenge=challenge, code_challenge_method="S256")
    code = xero.code_from(xero.authorize(**params))
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    wrong = xero.token(base | {"code_verifier": verifier + "x"})
    code = xero.code_from(xero.authorize(**params))
    right = xero.token(base | {"code": code, "code_verifier": verifier})
    plain = _query(xero.authorize(**xero.authorize_url_params(code_challenge=challenge)))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200
    assert plain["error"] == ["invalid_request"]


def test_refresh_rotates_and_the_previous_token_has_a_grace_period(xero: Xero):
    xero.connect()
    first = xero.tokens["refresh_token"]
    refreshed = xero.token({"grant_type": "refresh_token", "refresh_token": first}).json()
    again = xero.token({"grant_type": "refresh_token", "refresh_token": first})
    and_again = xero.token({"grant_type": "refresh_token", "refresh_token": first})
    assert refreshed["refresh_token"] != first
    assert again.status_code == 200 and and_again.status_code == 200
    xero.sandbox("POST", "config", {"refresh_grace_seconds": 1})
    newest = and_again.json()["refresh_token"]
    time.sleep(1.2)
    expired = xero.token({"grant_type": "refresh_token", "refresh_token": first})
    still_current = xero.token({"grant_type": "refresh_token", "refresh_token": newest})
    assert expired.status_code == 400 and expired.json() == {"error": "invalid_grant"}
    assert still_current.status_code == 200


def test_revocation_kills_the_grant_and_the_connections(xero: Xero):
    xero.connect()
    revoked = xero.http.post(
        f"{xero.base}/identity/connect/revocation",
        data={"token": xero.tokens["refresh_token"]},
        auth=(CLIENT_ID, "sandbox-secret"),
    )
    refresh = xero.token(
        {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    )
    api = xero.get("/Organisation")
    assert revoked.status_code == 200
    assert refresh.status_code == 400 and refresh.json() == {"error": "invalid_grant"}
    assert api.status_code == 401


def test_connections_filter_and_delete(xero: Xero):
    xero.connect()
    connections = xero.connections().json()
    event = connections[0]["authEventId"]
    assert set(connections[0]) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    filtered = xero.http.get(
        f"{xero.base}/connections", params={"authEventId": event}, headers=xero.bearer()
    ).json()
    none = xero.http.get(
        f"{xero.base}/connections", params={"authEventId": "other"}, headers=xero.bearer()
    ).json()
    nz = next(c for c in connections if c["tenantName"] == "Demo Company (NZ)")
    deleted = xero.http.delete(f"{xero.base}/connections/{nz['id']}", headers=xero.bearer())
    again = xero.http.delete(f"{xero.base}/connections/{nz['id']}", headers=xero.bearer())
    by_tenant_id = xero.http.delete(
        f"{xero.base}/connections/{connections[1]['tenantId']}", headers=xero.bearer()
    )
    xero.tenant_id = nz["tenantId"]
    api = xero.get("/Organisation")
    # xero-identity.yaml example: "createdDateUtc": "2019-12-07T18:46:19.5165400"
    for stamp in (connections[0]["createdDateUtc"], connections[0]["updatedDateUtc"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", stamp), stamp
    assert len(filtered) == 2 and none == []
    assert deleted.status_code == 204 and again.status_code == 404
    assert by_tenant_id.status_code == 404
    assert api.status_code == 403 and api.json()["Detail"] == "AuthenticationUnsuccessful"


def test_expired_and_invalid_tokens_get_401_with_www_authenticate(xero: Xero):
    xero.connect()
    assert xero.get("/Organisation").status_code == 200
    xero.sandbox("POST", "tokens/expire")
    expired = xero.get("/Organisation")
    xero.tokens["access_token"] = xero.tokens["access_token"][:-2] + "xx"
    forged = xero.get("/Organisation")
    assert expired.status_code == 401
    assert expired.json()["Title"] == "Unauthorized"
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at ")
    assert "invalid_token" in expired.headers["WWW-Authenticate"]
    assert forged.status_code == 401 and forged.json()["Detail"] == "AuthenticationUnsuccessful"
    refreshed = xero.token(
        {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    ).json()
    xero.tokens = refreshed
    assert xero.get("/Organisation").status_code == 200


def test_scopes_are_enforced_per_endpoint(xero: Xero):
    xero.connect(scope="offline_access accounting.invoices.read accounting.settings")
    read_invoices = xero.get("/Invoices")
    write_invoices = xero.put("/Invoices", {"Invoices": []})
    payments = xero.get("/Payments")
    contacts = xero.get("/Contacts")
    items = xero.get("/Items")
    assert read_invoices.status_code == 200 and items.status_code == 200
    for refused in (write_invoices, payments, contacts):
        assert refused.status_code == 401
        assert refused.json()["Detail"] == "AuthorizationUnsuccessful"


def test_legacy_transactions_scope_covers_invoices_and_payments(xero: Xero):
    xero.sandbox("POST", "config", {"granular_scopes_only": False})
    xero.connect(scope="offline_access accounting.transactions.read")
    assert xero.get("/Invoices").status_code == 200
    assert xero.get("/Payments").status_code == 200
    assert xero.get("/Contacts").status_code == 401


def test_unknown_tenant_is_forbidden(xero: Xero):
    xero.connect()
    xero.tenant_id = "00000000-0000-0000-0000-000000000001"
    response = xero.get("/Organisation")
    assert response.status_code == 403
    assert response.json()["Detail"] == "AuthenticationUnsuccessful"


def test_auto_approve_can_be_limited_to_some_tenants(xero: Xero):
    tenants = {t["name"]: t["tenantId"] for t in xero.sandbox("GET", "tenants").json()}
    xero.sandbox("POST", "config", {"auto_approve_tenants": [tenants["Demo Company (AU)"]]})
    try:
        xero.connect()
        names = [c["tenantName"] for c in xero.connections().json()]
    finally:
        xero.sandbox("POST", "config", {"auto_approve_tenants": []})
    assert names == ["Demo Company (AU)"]
