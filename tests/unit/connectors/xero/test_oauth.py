import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from server.connectors.base import AuthError, PermanentError, TransientError
from server.connectors.xero.oauth import TokenSet
from tests.unit.connectors.xero.conftest import CONNECTIONS, IDENTITY, NOW, token_response


def jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_authorization_url_carries_state_and_an_s256_challenge_of_the_verifier(oauth, config):
    request = oauth.authorization_request()
    query = parse_qs(urlsplit(request.url).query)
    assert request.url.startswith(config.authorize_url + "?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["client-1"]
    assert query["redirect_uri"] == [config.redirect_uri]
    assert query["scope"] == ["offline_access openid accounting.invoices"]
    assert query["state"] == [request.state] and len(request.state) >= 20
    assert query["code_challenge_method"] == ["S256"]
    digest = hashlib.sha256(request.code_verifier.encode()).digest()
    assert query["code_challenge"] == [base64.urlsafe_b64encode(digest).decode().rstrip("=")]
    assert oauth.authorization_request().state != request.state


@responses.activate
def test_code_exchange_sends_the_verifier_with_client_authentication(oauth):
    responses.post(f"{IDENTITY}/connect/token", json=token_response("a1", "r1"))
    tokens = oauth.exchange_code("the-code", "the-verifier")
    assert tokens == TokenSet(
        "a1", "r1", tokens.expires_at, ("offline_access", "openid", "accounting.invoices")
    )
    assert (tokens.expires_at - NOW).total_seconds() == 1800
    sent = responses.calls[0].request
    body = parse_qs(sent.body)
    assert body["grant_type"] == ["authorization_code"]
    assert body["code"] == ["the-code"]
    assert body["code_verifier"] == ["the-verifier"]
    assert body["redirect_uri"] == ["https://wooxero.example/xero/callback"]
    assert (
        sent.headers["Authorization"] == "Basic " + base64.b64encode(b"client-1:secret-1").decode()
    )


@responses.activate
def test_refresh_returns_the_rotated_token_set(oauth):
    responses.post(f"{IDENTITY}/connect/token", json=token_response("a2", "r2"))
    tokens = oauth.refresh("r1")
    assert (tokens.access_token, tokens.refresh_token) == ("a2", "r2")
    assert parse_qs(responses.calls[0].request.body)["refresh_token"] == ["r1"]


@responses.activate
def test_invalid_grant_means_a_person_must_reconnect(oauth):
    responses.post(f"{IDENTITY}/connect/token", json={"error": "invalid_grant"}, status=400)
    with pytest.raises(AuthError) as caught:
        oauth.refresh("r1")
    assert caught.value.needs_reauthorisation
    assert "invalid_grant" in caught.value.message and "Reconnect Xero" in caught.value.message


@responses.activate
def test_invalid_client_is_a_configuration_problem(oauth):
    responses.post(f"{IDENTITY}/connect/token", json={"error": "invalid_client"}, status=401)
    with pytest.raises(PermanentError, match=r"xero\.client_id"):
        oauth.refresh("r1")


@pytest.mark.parametrize("status", [429, 500, 503])
@responses.activate
def test_identity_service_failures_are_transient(oauth, status):
    responses.post(f"{IDENTITY}/connect/token", body="<html>down</html>", status=status)
    with pytest.raises(TransientError):
        oauth.refresh("r1")


@responses.activate
def test_a_token_response_without_refresh_token_is_explained(oauth):
    responses.post(
        f"{IDENTITY}/connect/token",
        json={"access_token": "a", "expires_in": 1800, "token_type": "Bearer"},
    )
    with pytest.raises(PermanentError, match="offline_access"):
        oauth.exchange_code("c", "v")


@responses.activate
def test_tenants_are_read_for_the_auth_event_of_the_token(oauth):
    token = jwt({"authentication_event_id": "event-7"})
    responses.get(
        CONNECTIONS,
        json=[
            {
                "id": "conn-1",
                "authEventId": "event-7",
                "tenantId": "t-1",
                "tenantType": "ORGANISATION",
                "tenantName": "Demo Co",
                "createdDateUtc": "2026-11-22T10:00:00",
                "updatedDateUtc": "2026-11-22T10:00:00",
            }
        ],
    )
    assert TokenSet(token, "r", NOW, ()).auth_event_id == "event-7"
    (tenant,) = oauth.tenants(token, "event-7")
    assert (tenant.connection_id, tenant.tenant_id, tenant.tenant_name) == (
        "conn-1",
        "t-1",
        "Demo Co",
    )
    sent = responses.calls[0].request
    assert sent.url == f"{CONNECTIONS}?authEventId=event-7"
    assert sent.headers["Authorization"] == f"Bearer {token}"


def test_an_opaque_access_token_has_no_auth_event():
    assert TokenSet("opaque", "r", NOW, ()).auth_event_id is None


@responses.activate
def test_disconnecting_a_tenant_that_is_already_gone_is_fine(oauth):
    responses.delete(f"{CONNECTIONS}/conn-1", status=404)
    oauth.disconnect_tenant("a", "conn-1")
    responses.delete(f"{CONNECTIONS}/conn-2", status=204)
    oauth.disconnect_tenant("a", "conn-2")
    assert [call.request.method for call in responses.calls] == ["DELETE", "DELETE"]


@responses.activate
def test_connections_refused_and_missing(oauth):
    responses.get(CONNECTIONS, status=401)
    with pytest.raises(AuthError):
        oauth.tenants("expired")
    responses.delete(f"{CONNECTIONS}/x", status=500)
    with pytest.raises(TransientError):
        oauth.disconnect_tenant("a", "x")


@responses.activate
def test_revocation_posts_the_refresh_token(oauth):
    responses.post(f"{IDENTITY}/connect/revocation", status=200)
    oauth.revoke("r9")
    assert parse_qs(responses.calls[0].request.body) == {"token": ["r9"]}
