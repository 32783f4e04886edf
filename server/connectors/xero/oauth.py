"""OAuth2 with Xero (authorization code + PKCE, refresh, revocation) and its connections."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import InvalidClientError, InvalidGrantError, OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from server.connectors.base import AuthError, NotFoundError, PermanentError, TransientError
from server.connectors.xero import errors
from server.connectors.xero.config import XeroAppConfig


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and what to keep until Xero sends them back."""

    url: str
    state: str
    code_verifier: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...]

    @property
    def auth_event_id(self) -> str | None:
        """The `authentication_event_id` claim of the access token (a JWT), if present."""
        return _jwt_claims(self.access_token).get("authentication_event_id")

    @property
    def xero_user_id(self) -> str | None:
        """The Xero user who authorised: revoking a token ends all of that user's
        connections for this app, so it matters who else shares them."""
        return _jwt_claims(self.access_token).get("xero_userid")


@dataclass(frozen=True)
class Tenant:
    """One organisation the user connected (an entry of GET /connections)."""

    connection_id: str
    tenant_id: str
    tenant_type: str
    tenant_name: str
    auth_event_id: str


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _raise_for_transport(response: requests.Response) -> requests.Response:
    """Compliance hook: a 5xx or 429 from the identity service is transient, not a token error."""
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(
            f"Xero identity service answered {response.status_code}", status=response.status_code
        )
    return response


class XeroOAuth:
    """The identity side of Xero: consent URL, code exchange, refresh, revocation, tenants."""

    def __init__(
        self,
        config: XeroAppConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.http = session or requests.Session()
        self.clock = clock
        if _is_loopback_http(config.token_url) or _is_loopback_http(config.authorize_url):
            # oauthlib refuses http; allowed only for a Xero double on this machine.
            os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def authorization_request(self) -> AuthorizationRequest:
        client = WebApplicationClient(self.config.client_id)
        verifier = client.create_code_verifier(64)
        state = secrets.token_urlsafe(24)
        url = client.prepare_request_uri(
            self.config.authorize_url,
            redirect_uri=self.config.redirect_uri,
            scope=list(self.config.scopes),
            state=state,
            code_challenge=client.create_code_challenge(verifier, "S256"),
            code_challenge_method="S256",
        )
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        return self._token_call(
            lambda session: session.fetch_token(
                self.config.token_url,
                code=code,
                code_verifier=code_verifier,
                auth=self._client_auth(),
                include_client_id=True,
                timeout=self.config.timeout,
            )
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set; AuthError(needs_reauthorisation) if Xero no longer accepts it."""
        return self._token_call(
            lambda session: session.refresh_token(
                self.config.token_url,
                refresh_token=refresh_token,
                auth=self._client_auth(),
                timeout=self.config.timeout,
            )
        )

    def revoke(self, refresh_token: str) -> None:
        response = self._send(
            "POST",
            self.config.revocation_url,
            data={"token": refresh_token},
            auth=self._client_auth(),
        )
        if response.status_code != 200:
            raise PermanentError(
                f"Xero refused to revoke the token ({response.status_code})",
                status=response.status_code,
            )

    def tenants(self, access_token: str, auth_event_id: str | None = None) -> list[Tenant]:
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = self._send(
            "GET", self.config.connections_url, params=params, headers=self._bearer(access_token)
        )
        return [
            Tenant(
                connection_id=item["id"],
                tenant_id=item["tenantId"],
                tenant_type=item.get("tenantType", ""),
                tenant_name=item.get("tenantName") or "",
                auth_event_id=item.get("authEventId", ""),
            )
            for item in errors.raise_for_status(response)
        ]

    def disconnect_tenant(self, access_token: str, connection_id: str) -> None:
        """DELETE /connections/{id}; a connection that is already gone counts as done."""
        response = self._send(
            "DELETE",
            f"{self.config.connections_url}/{connection_id}",
            headers=self._bearer(access_token),
        )
        try:
            errors.raise_for_status(response)
        except NotFoundError:
            return

    def _client_auth(self) -> HTTPBasicAuth:
        return HTTPBasicAuth(self.config.client_id, self.config.client_secret)

    @staticmethod
    def _bearer(access_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.http.request(method, url, timeout=self.config.timeout, **kwargs)
        except requests.RequestException as error:
            raise TransientError(
                f"Xero identity service unreachable: {type(error).__name__}"
            ) from None

    def _token_call(self, call: Callable[[OAuth2Session], dict[str, Any]]) -> TokenSet:
        session = OAuth2Session(self.config.client_id, redirect_uri=self.config.redirect_uri)
        session.register_compliance_hook("access_token_response", _raise_for_transport)
        session.register_compliance_hook("refresh_token_response", _raise_for_transport)
        session.headers["User-Agent"] = self.config.user_agent
        try:
            token = call(session)
        except InvalidGrantError:
            raise AuthError(
                "Xero no longer accepts this connection's refresh token (invalid_grant): "
                "it was revoked, expired after 60 days unused, or the organisation was "
                "disconnected. Reconnect Xero.",
                status=400,
                needs_reauthorisation=True,
            ) from None
        except InvalidClientError:
            raise PermanentError(
                "Xero refused the app's client id or secret (invalid_client): check "
                "xero.client_id and xero.client_secret"
            ) from None
        except OAuth2Error as error:
            raise PermanentError(f"Xero refused the token request: {error.error}") from None
        except requests.RequestException as error:
            raise TransientError(
                f"Xero identity service unreachable: {type(error).__name__}"
            ) from None
        return self._token_set(token)

    def _token_set(self, token: dict[str, Any]) -> TokenSet:
        scope = token.get("scope") or ()
        scopes = tuple(scope.split() if isinstance(scope, str) else scope)
        try:
            return TokenSet(
                access_token=token["access_token"],
                refresh_token=token["refresh_token"],
                expires_at=self.clock() + timedelta(seconds=int(token["expires_in"])),
                scopes=scopes,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentError(
                f"Xero's token response lacks {error}; is offline_access among the scopes?"
            ) from None
