"""Connecting a store to a Xero organisation, choosing among several, and disconnecting.

The OAuth `state` and PKCE verifier wait in Redis for ten minutes, tied to the store and to
the person who started; each can be used once. Tokens go straight into the store's
encrypted connection row. Disconnecting removes the organisation's connection at Xero,
revokes the tokens and erases them here; bindings and mappings are kept, so reconnecting the
same organisation carries on where it stopped.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from server.connections import ConnectError
from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError, RateLimitError, TransientError
from server.connectors.xero.oauth import Tenant
from server.database import end_transaction
from server.extensions import db
from server.models import Binding, ConnectionStatus, Store, XeroConnection
from server.models.types import utcnow
from server.redis_client import get_redis

logger = logging.getLogger(__name__)
PENDING_SECONDS = 600
CHOICE_SECONDS = 1800


@dataclass(frozen=True)
class PendingAuthorisation:
    store_id: int
    actor: str
    code_verifier: str


def _pending_key(state: str) -> str:
    return f"wooxero:xero:oauth:{state}"


def _choice_key(store_id: int) -> str:
    return f"wooxero:xero:choice:{store_id}"


def begin(store: Store, actor: str) -> str:
    """Start connecting `store`; return the Xero consent URL to send the person to."""
    request = xero_access.oauth().authorization_request()
    pending = PendingAuthorisation(store.id, actor, request.code_verifier)
    get_redis().set(_pending_key(request.state), json.dumps(asdict(pending)), ex=PENDING_SECONDS)
    return request.url


def take_pending(state: str, actor: str) -> PendingAuthorisation:
    """The authorisation started with `state` by `actor`; usable once."""
    raw = get_redis().getdel(_pending_key(state)) if state else None
    if raw is None:
        raise ConnectError("This Xero authorisation has expired or was already used. Start again.")
    pending = PendingAuthorisation(**json.loads(raw))
    if pending.actor != actor:
        raise ConnectError("This Xero authorisation was started by someone else. Start again.")
    return pending


def complete(pending: PendingAuthorisation, code: str) -> list[Tenant]:
    """Exchange the code and keep the tokens. If one organisation was authorised, connect it
    and return []; if several, return them for the person to choose from."""
    end_transaction()  # nothing held while Xero answers
    oauth = xero_access.oauth()
    try:
        tokens = oauth.exchange_code(code, pending.code_verifier)
        tenants = oauth.tenants(tokens.access_token, tokens.auth_event_id)
    except ConnectorError as error:
        raise ConnectError(f"Xero did not complete the connection: {error.message}") from None
    tenants = [tenant for tenant in tenants if tenant.tenant_type == "ORGANISATION"]
    if not tenants:
        raise ConnectError("No Xero organisation was given access. Start again and tick one.")
    store = db.session.get(Store, pending.store_id)
    if store is None:
        raise ConnectError("This store no longer exists.")
    connection = _connection(store)
    xero_access.store_tokens(connection, tokens)
    if len(tenants) == 1:
        _attach(store, connection, tenants[0])
        return []
    connection.mark(ConnectionStatus.CHOOSING_ORGANISATION, "several organisations authorised")
    db.session.commit()
    get_redis().set(
        _choice_key(store.id), json.dumps([asdict(t) for t in tenants]), ex=CHOICE_SECONDS
    )
    return tenants


def choices(store: Store) -> list[Tenant]:
    raw = get_redis().get(_choice_key(store.id))
    return [Tenant(**item) for item in json.loads(raw)] if raw else []


def choose(store: Store, tenant_id: str) -> None:
    """Connect the organisation picked among those just authorised, and remove the others'
    connections at Xero (each counts against the app's connection limits) unless another
    store uses them."""
    offered = choices(store)
    tenant = next((t for t in offered if t.tenant_id == tenant_id), None)
    connection = xero_access.connection_for_store(store.id)
    if tenant is None or connection is None:
        raise ConnectError("That organisation is not among those just authorised. Start again.")
    row_id = connection.id
    _attach(store, connection, tenant)
    get_redis().delete(_choice_key(store.id))
    _release([t.connection_id for t in offered if t.tenant_id != tenant_id], row_id)


def _release(connection_ids: list[str], row_id: int) -> None:
    """DELETE these connections at Xero, except those another store's row still uses."""
    in_use = set(
        db.session.scalars(
            sa.select(XeroConnection.connection_id).where(
                XeroConnection.connection_id.in_(connection_ids), XeroConnection.id != row_id
            )
        )
    )
    unused = [cid for cid in connection_ids if cid not in in_use]
    if not unused:
        return
    end_transaction()
    oauth = xero_access.oauth()
    try:
        access_token = xero_access.token_manager(row_id).access_token()
        for connection_id in unused:
            oauth.disconnect_tenant(access_token, connection_id)
    except ConnectorError as error:
        logger.warning("could not remove unused Xero connections %s: %s", unused, error)


def disconnect(store: Store, actor: str) -> None:
    """Remove the organisation's connection at Xero and revoke the tokens, then erase them.

    Another store may share the organisation's connection (the same Xero user connected
    both) or the Xero user (revoking ends all of that user's connections for the app): then
    that step is skipped, so disconnecting one store never breaks another. If Xero cannot be
    reached, nothing changes and ConnectError says so.
    """
    connection = xero_access.connection_for_store(store.id)
    if connection is None:
        return
    row_id = connection.id
    others = sa.and_(
        XeroConnection.id != row_id, XeroConnection.status == ConnectionStatus.CONNECTED
    )
    shared_connection = connection.connection_id and db.session.scalar(
        sa.select(sa.func.count()).where(
            others, XeroConnection.connection_id == connection.connection_id
        )
    )
    shared_user = connection.xero_user_id and db.session.scalar(
        sa.select(sa.func.count()).where(
            others, XeroConnection.xero_user_id == connection.xero_user_id
        )
    )
    if connection.refresh_token is not None:
        delete_id = None if shared_connection else connection.connection_id
        _disconnect_at_xero(row_id, delete_id, revoke=not shared_user)
    connection = db.session.get(XeroConnection, row_id)
    assert connection is not None
    connection.erase_tokens()
    connection.connection_id = None
    connection.mark(ConnectionStatus.DISCONNECTED, f"disconnected by {actor}")
    db.session.commit()


def _disconnect_at_xero(row_id: int, connection_id: str | None, *, revoke: bool) -> None:
    end_transaction()
    oauth = xero_access.oauth()
    try:
        access_token = xero_access.token_manager(row_id).access_token()
        if connection_id:
            oauth.disconnect_tenant(access_token, connection_id)
        tokens = xero_access.DatabaseTokenStore(row_id).load()
        if revoke and tokens is not None:
            oauth.revoke(tokens.refresh_token)
    except (TransientError, RateLimitError) as error:
        raise ConnectError(
            f"Xero could not be reached, so nothing was disconnected: {error.message}"
        ) from None
    except ConnectorError as error:
        # Already revoked or disconnected at Xero: erasing ours is all that is left.
        logger.info("disconnecting Xero connection %s: %s", row_id, error)


def _connection(store: Store) -> XeroConnection:
    connection = xero_access.connection_for_store(store.id)
    if connection is None:
        connection = XeroConnection(store_id=store.id)
        db.session.add(connection)
    return connection


def _attach(store: Store, connection: XeroConnection, tenant: Tenant) -> None:
    """Connect `tenant`; a different organisation replaces the previous one only while the
    store has no documents, and the previous one's connection is then released at Xero."""
    previous, previous_connection = connection.tenant_id, connection.connection_id
    if previous and previous != tenant.tenant_id and _has_bindings(store):
        db.session.rollback()
        raise ConnectError(
            f"This store's documents are in the Xero organisation {connection.tenant_name!r}. "
            "Connect that organisation again; switching would send later changes to another "
            "organisation's books."
        )
    connection.tenant_id = tenant.tenant_id
    connection.tenant_name = tenant.tenant_name
    connection.connection_id = tenant.connection_id
    connection.connected_at = utcnow()
    connection.mark(ConnectionStatus.CONNECTED)
    row_id = connection.id
    db.session.commit()
    if previous_connection and previous != tenant.tenant_id:
        _release([previous_connection], row_id)


def _has_bindings(store: Store) -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).where(Binding.store_id == store.id)))
