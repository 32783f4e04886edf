"""The Xero connector, built for a store from the settings, the database and Redis."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.connectors.base import AuthError
from server.connectors.xero.client import XeroClient
from server.connectors.xero.config import Limits, XeroAppConfig
from server.connectors.xero.oauth import TokenSet, XeroOAuth
from server.connectors.xero.ratelimit import RateLimiter, Usage
from server.connectors.xero.tokens import TokenManager
from server.database import NO_TRANSACTION, end_transaction
from server.extensions import current_config, db
from server.models import ConnectionStatus, XeroConnection
from server.models.types import utcnow
from server.redis_client import get_redis

CALLBACK_PATH = "/xero/callback"


def app_config() -> XeroAppConfig:
    settings = current_config()
    xero = settings.xero
    if not xero.client_id or not xero.client_secret.get_secret_value():
        raise AuthError("Xero is not set up on this server (xero.client_id, xero.client_secret)")
    return XeroAppConfig(
        client_id=xero.client_id,
        client_secret=xero.client_secret.get_secret_value(),
        redirect_uri=settings.public_url + CALLBACK_PATH,
        scopes=tuple(xero.scopes.split()),
        authorize_url=xero.authorize_url,
        token_url=xero.token_url,
        revocation_url=xero.revocation_url,
        connections_url=xero.connections_url,
        api_url=xero.api_url,
        timeout=xero.request_timeout,
    )


def limits() -> Limits:
    xero = current_config().xero
    return Limits(
        concurrent=xero.concurrent_limit,
        per_minute=xero.minute_limit,
        minute_window=xero.minute_window_seconds,
        per_day=xero.daily_limit,
        app_per_minute=xero.app_minute_limit,
    )


def oauth() -> XeroOAuth:
    return XeroOAuth(app_config(), clock=utcnow)


def rate_limiter() -> RateLimiter:
    return RateLimiter(get_redis(), limits(), app_id=current_config().xero.client_id)


@dataclass(frozen=True)
class OrganisationUsage:
    tenant_id: str
    name: str
    usage: Usage


def limit_usage() -> list[OrganisationUsage]:
    """What the limiter holds for every connected organisation (one database query, one
    Redis round trip)."""
    names = dict(
        db.session.execute(
            sa.select(XeroConnection.tenant_id, sa.func.max(XeroConnection.tenant_name))
            .where(
                XeroConnection.tenant_id.is_not(None),
                XeroConnection.status == ConnectionStatus.CONNECTED,
            )
            .group_by(XeroConnection.tenant_id)
        ).all()
    )
    found = rate_limiter().usage(list(names))
    return [OrganisationUsage(tenant, names[tenant], found[tenant]) for tenant in sorted(names)]


def organisation_usage(tenant_id: str) -> Usage:
    """What the limiter holds for one organisation (one Redis round trip)."""
    return rate_limiter().usage([tenant_id])[tenant_id]


@dataclass
class DatabaseTokenStore:
    """A connection's token set in its row, written in a session of its own and committed at
    once, whatever the caller's transaction does afterwards."""

    connection_id: int

    def load(self) -> TokenSet | None:
        # Reads take no lock (on SQLite a transaction would), so loading never waits on a
        # caller's open transaction.
        with (
            db.engine.connect().execution_options(**NO_TRANSACTION) as connection,
            Session(bind=connection) as session,
        ):
            row = session.get(XeroConnection, self.connection_id)
            if row is None or not row.access_token or not row.refresh_token:
                return None
            if row.access_token_expires_at is None:
                return None
            return TokenSet(
                access_token=row.access_token,
                refresh_token=row.refresh_token,
                expires_at=row.access_token_expires_at,
                scopes=tuple(row.scopes.split()),
            )

    def save(self, tokens: TokenSet) -> None:
        with Session(db.engine) as session, session.begin():
            row = session.get(XeroConnection, self.connection_id)
            if row is None or row.status != ConnectionStatus.CONNECTED:
                # disconnected meanwhile: a refresh must not bring the tokens back
                raise AuthError("the Xero connection was closed", needs_reauthorisation=True)
            store_tokens(row, tokens)

    def needs_reauthorisation(self, reason: str) -> None:
        """The refresh token is dead (invalid_grant): erase it and say why."""
        self._mark(reason, erase=True)

    def access_refused(self, reason: str) -> None:
        """Xero refused access with live tokens (a scope, a disconnected organisation):
        keep them, so disconnecting can still revoke them."""
        self._mark(reason, erase=False)

    def _mark(self, reason: str, *, erase: bool) -> None:
        with Session(db.engine) as session, session.begin():
            row = session.get(XeroConnection, self.connection_id)
            if row is not None and row.status == ConnectionStatus.CONNECTED:
                if erase:
                    row.erase_tokens()
                row.mark(ConnectionStatus.NEEDS_REAUTHORISATION, reason)


def store_tokens(row: XeroConnection, tokens: TokenSet) -> None:
    row.access_token = tokens.access_token
    row.refresh_token = tokens.refresh_token
    row.access_token_expires_at = tokens.expires_at
    row.scopes = " ".join(tokens.scopes)
    row.xero_user_id = tokens.xero_user_id or row.xero_user_id


def token_manager(connection_id: int) -> TokenManager:
    return TokenManager(
        oauth(),
        DatabaseTokenStore(connection_id),
        get_redis(),
        lock_name=f"wooxero:xero:token-refresh:{connection_id}",
        clock=utcnow,
    )


def client_for(connection: XeroConnection) -> XeroClient:
    """A client for the organisation of `connection` (which must be connected)."""
    if connection.status != ConnectionStatus.CONNECTED or not connection.tenant_id:
        raise AuthError(
            f"Xero is not connected for this store ({connection.status.value})",
            needs_reauthorisation=True,
        )
    return XeroClient(
        app_config(),
        connection.tenant_id,
        token_manager(connection.id),
        rate_limiter(),
        max_wait=current_config().xero.max_wait_seconds,
        before_call=end_transaction,
        on_access_refused=DatabaseTokenStore(connection.id).access_refused,
    )


def connection_for_store(store_id: int) -> XeroConnection | None:
    return db.session.scalar(sa.select(XeroConnection).where(XeroConnection.store_id == store_id))


def connected_store_ids() -> list[int]:
    """The stores whose Xero organisation is connected (the transaction is ended: callers
    enqueue work for each)."""
    store_ids = list(
        db.session.scalars(
            sa.select(XeroConnection.store_id).where(
                XeroConnection.status == ConnectionStatus.CONNECTED
            )
        )
    )
    db.session.commit()
    return store_ids
