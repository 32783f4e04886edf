"""Authorisation codes, token sets, rotation with a grace period, revocation, connections.

Sourced (notes §1): codes are single-use and live 5 minutes; access tokens live 30 minutes;
refresh tokens live 60 days and rotate on every use, the previous one staying usable (as often
as needed) for 30 minutes; revocation removes the token and the user's connections for that
app; ``invalid_grant`` for a dead refresh token; ``/connections`` dates carry seven
fractional digits and no offset (xero-identity.yaml example, "2019-12-07T18:46:19.5165400").
Assumed: one sandbox user
(``sandbox@example.com``) consents; re-consenting to an organisation updates the existing
connection; refreshing keeps the original ``authentication_event_id``; PKCE supports S256 only
and a public client (no secret) must use it; after revocation the grant's access tokens are
rejected too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import SandboxConfig
from . import jwt, scopes

ISSUER = "https://identity.xero.com"
USER_EMAIL = "sandbox@example.com"
_CODE_SECONDS = 300
_ID_TOKEN_SECONDS = 300


class GrantError(Exception):
    """An OAuth error for the token or revocation endpoint (``error`` code and HTTP status)."""

    def __init__(self, error: str, status: int = 400, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


def _dotnet_utc(value: datetime) -> str:
    """``2019-12-07T18:46:19.5165400``: UTC, no offset, seven fractional digits, as in the
    ``/Connections`` example of xero-identity.yaml."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "0"


@dataclass
class Connection:
    """One organisation connected to one app by the user."""

    id: str
    tenant_id: str
    tenant_name: str
    auth_event_id: str
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """Xero's connection shape."""
        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.tenant_name,
            "createdDateUtc": _dotnet_utc(self.created),
            "updatedDateUtc": _dotnet_utc(self.updated),
        }


@dataclass
class Consent:
    """What an authorisation request asked for, kept while the consent page is shown."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None
    expires: float


@dataclass
class _Code:
    consent: Consent
    tenant_ids: tuple[str, ...]
    auth_event_id: str
    expires: float
    used: bool = False


@dataclass
class _Grant:
    id: str
    client_id: str
    scopes: tuple[str, ...]
    auth_event_id: str
    revoked: bool = False


@dataclass
class _RefreshToken:
    grant_id: str
    expires: float
    superseded: float | None = None


@dataclass(frozen=True)
class AccessToken:
    """A verified access token."""

    client_id: str
    user_id: str
    scopes: frozenset[str]
    grant_id: str


@dataclass
class _State:
    consents: dict[str, Consent] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, _RefreshToken] = field(default_factory=dict)
    connections: dict[str, dict[str, Connection]] = field(default_factory=dict)
    expired_before: float = 0.0


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class IdentityService:
    """Xero's identity server for one sandbox user; thread-safe."""

    def __init__(self, config: Callable[[], SandboxConfig], tenants: Callable[[], dict[str, str]]):
        self._config = config
        self._tenants = tenants
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        self.user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "xero-sandbox:user"))
        self._state = _State()

    def reset(self) -> None:
        """Forget every consent, code, token and connection."""
        with self._lock:
            self._state = _State()

    # -- authorisation -------------------------------------------------------------------------

    def start_consent(
        self,
        client_id: str,
        redirect_uri: str,
        requested: tuple[str, ...],
        state: str | None,
        code_challenge: str | None,
        nonce: str | None,
    ) -> Consent:
        """Remember a validated authorisation request until the user answers."""
        consent = Consent(
            secrets.token_urlsafe(16),
            client_id,
            redirect_uri,
            requested,
            state,
            code_challenge,
            nonce,
            time.time() + 3600,
        )
        with self._lock:
            self._state.consents[consent.id] = consent
        return consent

    def consent(self, consent_id: str) -> Consent | None:
        """A pending consent, if it has not expired."""
        with self._lock:
            consent = self._state.consents.get(consent_id)
        return consent if consent and consent.expires > time.time() else None

    def approve(self, consent: Consent, tenant_ids: tuple[str, ...]) -> str:
        """The user allowed access to ``tenant_ids``: connect them and issue a code."""
        now = datetime.now(UTC)
        names = self._tenants()
        auth_event_id = str(uuid.uuid4())
        with self._lock:
            self._state.consents.pop(consent.id, None)
            if scopes.grants_tenant_access(set(consent.scopes)):
                mine = self._state.connections.setdefault(consent.client_id, {})
                for tenant_id in tenant_ids:
                    existing = mine.get(tenant_id)
                    if existing:
                        existing.auth_event_id, existing.updated = auth_event_id, now
                    else:
                        mine[tenant_id] = Connection(
                            str(uuid.uuid4()), tenant_id, names[tenant_id], auth_event_id, now, now
                        )
            code = secrets.token_urlsafe(32)
            self._state.codes[code] = _Code(
                consent, tenant_ids, auth_event_id, time.time() + _CODE_SECONDS
            )
        return code

    def deny(self, consent: Consent) -> None:
        """The user refused."""
        with self._lock:
            self._state.consents.pop(consent.id, None)

    # -- tokens --------------------------------------------------------------------------------

    def authenticate_client(self, client_id: str, secret: str | None) -> None:
        """Check the client's credentials (a public client sends none)."""
        app = self._config().clients.get(client_id)
        if app is None:
            raise GrantError("invalid_client", 401)
        if app.client_secret is None:
            return
        if secret is None or not hmac.compare_digest(app.client_secret, secret):
            raise GrantError("invalid_client", 401)

    def exchange_code(
        self, client_id: str, code: str, redirect_uri: str, verifier: str | None
    ) -> dict[str, Any]:
        """``grant_type=authorization_code``."""
        with self._lock:
            entry = self._state.codes.get(code)
            if (
                entry is None
                or entry.used
                or entry.expires < time.time()
                or entry.consent.client_id != client_id
                or entry.consent.redirect_uri != redirect_uri
            ):
                raise GrantError("invalid_grant")
            challenge = entry.consent.code_challenge
            if challenge is not None and (verifier is None or _s256(verifier) != challenge):
                raise GrantError("invalid_grant")
            if challenge is None and self._config().clients[client_id].client_secret is None:
                raise GrantError("invalid_grant")
            entry.used = True
            grant = _Grant(str(uuid.uuid4()), client_id, entry.consent.scopes, entry.auth_event_id)
            self._state.grants[grant.id] = grant
            return self._token_set(grant, entry.consent.nonce)

    def refresh(self, client_id: str, token: str) -> dict[str, Any]:
        """``grant_type=refresh_token``: rotate, honouring the grace period."""
        now = time.time()
        grace = self._config().refresh_grace_seconds
        with self._lock:
            record = self._state.refresh_tokens.get(token)
            grant = self._state.grants.get(record.grant_id) if record else None
            if (
                record is None
                or grant is None
                or grant.revoked
                or grant.client_id != client_id
                or record.expires < now
                or (record.superseded is not None and now - record.superseded > grace)
            ):
                raise GrantError("invalid_grant")
            if record.superseded is None:
                record.superseded = now
            return self._token_set(grant, None)

    def revoke(self, client_id: str, token: str) -> None:
        """Revoke the token's grant and remove the user's connections for the app."""
        with self._lock:
            record = self._state.refresh_tokens.get(token)
            grant_id = record.grant_id if record else None
            if grant_id is None:
                claims = jwt.decode(token, self._secret)
                grant_id = claims.get("sid") if claims else None
            grant = self._state.grants.get(grant_id or "")
            if grant is None or grant.client_id != client_id:
                return
            grant.revoked = True
            self._state.connections.pop(client_id, None)

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired."""
        with self._lock:
            self._state.expired_before = time.time()

    def _token_set(self, grant: _Grant, nonce: str | None) -> dict[str, Any]:
        config = self._config()
        now = time.time()
        access_claims = {
            "nbf": int(now),
            "iat": now,
            "exp": int(now) + config.access_token_seconds,
            "iss": ISSUER,
            "aud": f"{ISSUER}/resources",
            "client_id": grant.client_id,
            "sub": self.user_id,
            "auth_time": int(now),
            "xero_userid": self.user_id,
            "global_session_id": grant.id,
            "sid": grant.id,
            "jti": secrets.token_hex(16),
            "authentication_event_id": grant.auth_event_id,
            "scope": list(grant.scopes),
        }
        body: dict[str, Any] = {
            "id_token": None,
            "access_token": jwt.encode(access_claims, self._secret),
            "expires_in": config.access_token_seconds,
            "token_type": "Bearer",
            "refresh_token": None,
            "scope": " ".join(grant.scopes),
        }
        if "openid" in grant.scopes:
            id_claims = {
                "nbf": int(now),
                "exp": int(now) + _ID_TOKEN_SECONDS,
                "iss": ISSUER,
                "aud": grant.client_id,
                "iat": int(now),
                "sub": self.user_id,
                "auth_time": int(now),
                "xero_userid": self.user_id,
                "global_session_id": grant.id,
                "sid": grant.id,
                "preferred_username": USER_EMAIL,
                "email": USER_EMAIL,
                "given_name": "Sandbox",
                "family_name": "User",
            }
            if nonce:
                id_claims["nonce"] = nonce
            body["id_token"] = jwt.encode(id_claims, self._secret)
        else:
            del body["id_token"]
        if "offline_access" in grant.scopes:
            token = secrets.token_urlsafe(32)
            self._state.refresh_tokens[token] = _RefreshToken(
                grant.id, now + config.refresh_token_days * 86400
            )
            body["refresh_token"] = token
        else:
            del body["refresh_token"]
        return body

    # -- resource access -----------------------------------------------------------------------

    def verify(self, token: str) -> AccessToken | str:
        """An access token's identity, or a problem ``Detail`` for the 401."""
        claims = jwt.decode(token, self._secret)
        if claims is None:
            return "AuthenticationUnsuccessful"
        with self._lock:
            grant = self._state.grants.get(claims.get("sid", ""))
            expired_before = self._state.expired_before
        if grant is None or grant.revoked:
            return "AuthenticationUnsuccessful"
        expiry = float(claims["exp"])
        if float(claims["iat"]) <= expired_before:
            expiry = min(expiry, expired_before)
        if expiry <= time.time():
            stamp = datetime.fromtimestamp(expiry, UTC).strftime("%m/%d/%Y %H:%M:%S")
            return f"TokenExpired: token expired at {stamp}"
        return AccessToken(grant.client_id, claims["sub"], frozenset(grant.scopes), grant.id)

    def connections(self, client_id: str) -> list[Connection]:
        """The user's connections for the app."""
        with self._lock:
            return list(self._state.connections.get(client_id, {}).values())

    def is_connected(self, client_id: str, tenant_id: str) -> bool:
        """Whether the app may act on the tenant for the user."""
        with self._lock:
            return tenant_id in self._state.connections.get(client_id, {})

    def disconnect(self, client_id: str, connection_id: str) -> bool:
        """Remove one connection by its id (not the tenant id)."""
        with self._lock:
            mine = self._state.connections.get(client_id, {})
            for tenant_id, connection in mine.items():
                if connection.id == connection_id:
                    del mine[tenant_id]
                    return True
        return False
