"""Connecting a store's WooCommerce: keys by WooCommerce's app authorisation (wc-auth) or
typed in by hand, "test connection", and disconnecting.

wc-auth: the store admin is sent to the store's /wc-auth/v1/authorize; on approval
WooCommerce POSTs the new keys to our callback, whose URL carries a one-time token tied to
the store (so nobody else can plant keys), then sends the admin back to our return page.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from server.connections import ConnectError
from server.connections.woocommerce import access as woo_access
from server.connectors.base import AuthError, ConnectorError, PermanentError
from server.connectors.woocommerce import auth
from server.connectors.woocommerce.client import WooClient
from server.extensions import current_config, db
from server.inbound import webhooks as woo_webhooks
from server.models import ConnectionStatus, Store, WooConnection
from server.models.types import utcnow
from server.redis_client import get_redis

PENDING_SECONDS = 1800
CALLBACK_PATH = "/woocommerce/auth-callback/"
RETURN_PATH = "/woocommerce/return/"


RETIRED_KEYS_KEPT = 50  # the plugin deletes them as soon as it next calls; a bound, not a queue


@dataclass(frozen=True)
class GrantedKeys:
    """The store's WooCommerce keys of ours, as the bridge's answers name them to the plugin,
    which deletes the retired ones (only rows whose description is the app's)."""

    app_name: str
    current: int | None
    retired: tuple[int, ...]

    def as_json(self) -> dict[str, object]:
        return {"app_name": self.app_name, "current": self.current, "retired": list(self.retired)}


def granted_keys(store: Store) -> GrantedKeys:
    connection = woo_access.connection_for_store(store.id)
    app_name = current_config().woocommerce.app_name
    if connection is None:
        return GrantedKeys(app_name, None, ())
    current = connection.key_id if connection.consumer_key else None
    return GrantedKeys(app_name, current, tuple(connection.retired_key_ids or ()))


def _retire_key(connection: WooConnection, replaced_by: int | None) -> None:
    """The key we held is replaced (or dropped): list it for the plugin to delete; a key
    granted again under the same id (MySQL may reuse a deleted id) is never listed."""
    retired = [i for i in connection.retired_key_ids or () if i != replaced_by]
    if connection.key_id is not None and connection.key_id != replaced_by:
        retired.append(connection.key_id)
    connection.retired_key_ids = retired[-RETIRED_KEYS_KEPT:]


@dataclass(frozen=True)
class StoreInfo:
    """What "test connection" found."""

    woocommerce_version: str
    wordpress_version: str
    currency: str
    prices_include_tax: bool


def _pending_key(token: str) -> str:
    return f"wooxero:woo:auth:{token}"


def begin(store: Store, actor: str) -> str:
    """The store's wc-auth URL to send the admin to (ConnectorError if the store, or this
    server, cannot take part)."""
    store_url = woo_access.checked_store_url(store)
    base = woo_access.store_facing_url()
    token = secrets.token_urlsafe(24)
    get_redis().set(
        _pending_key(token), json.dumps({"store_id": store.id, "actor": actor}), ex=PENDING_SECONDS
    )
    return auth.authorization_url(
        store_url,
        app_name=current_config().woocommerce.app_name,
        user_id=store.public_id,
        return_url=base + RETURN_PATH + store.public_id,
        callback_url=base + CALLBACK_PATH + token,
    )


def accept_keys(token: str, raw_body: bytes) -> Store:
    """The keys WooCommerce posted to the callback of `token`; ConnectError if not valid."""
    pending = get_redis().getdel(_pending_key(token)) if token else None
    if pending is None:
        raise ConnectError("unknown or used authorisation")
    started = json.loads(pending)
    store = db.session.get(Store, started["store_id"])
    if store is None:
        raise ConnectError("the store no longer exists")
    try:
        grant = auth.parse_key_grant(raw_body)
    except auth.InvalidKeyGrant as error:
        raise ConnectError(str(error)) from None
    if grant.user_id != store.public_id:
        raise ConnectError("the keys were granted for another store")
    _store_keys(
        store, grant.consumer_key, grant.consumer_secret, key_id=grant.key_id,
        reason=f"keys granted in the store; started by {started['actor']}",
    )  # fmt: skip
    return store


def save_manual_keys(store: Store, consumer_key: str, consumer_secret: str) -> StoreInfo:
    """Keys typed in by hand: kept only if the store accepts them."""
    consumer_key, consumer_secret = consumer_key.strip(), consumer_secret.strip()
    if not consumer_key.startswith("ck_") or not consumer_secret.startswith("cs_"):
        raise ConnectError("WooCommerce keys look like ck_… and cs_…")
    try:
        woo_access.store_facing_url()
        client = woo_access.client_with_keys(store, consumer_key, consumer_secret)
    except ConnectorError as error:
        raise ConnectError(error.message) from None
    try:
        info = describe(client)
    except ConnectorError as error:
        raise ConnectError(f"the store did not accept these keys: {error.message}") from None
    _store_keys(
        store, consumer_key, consumer_secret, key_id=None, reason="keys entered by hand",
        query_string_auth=client.api.query_string_auth,
    )  # fmt: skip
    return info


def _store_keys(
    store: Store, consumer_key: str, consumer_secret: str, *, key_id: int | None, reason: str,
    query_string_auth: bool = False,
) -> None:  # fmt: skip
    connection = woo_access.connection_for_store(store.id)
    if connection is None:
        connection = WooConnection(store_id=store.id)
        db.session.add(connection)
    _retire_key(connection, key_id)
    connection.consumer_key = consumer_key
    connection.consumer_secret = consumer_secret
    connection.key_id = key_id
    connection.key_permissions = "read_write"
    connection.query_string_auth = query_string_auth
    connection.connected_at = utcnow()
    woo_webhooks.webhook_secret(connection)
    connection.mark(ConnectionStatus.CONNECTED, reason)
    db.session.commit()


STATUS_FIELDS = ("environment.version", "environment.wp_version", "settings.currency")


def describe(client: WooClient) -> StoreInfo:
    """Test the connection: the store's versions and money settings."""
    status = client.system_status(STATUS_FIELDS)
    environment, store_settings = status.get("environment"), status.get("settings")
    if not isinstance(environment, dict) or not isinstance(store_settings, dict):
        raise PermanentError("the store's status report has no environment or settings")
    include_tax = client.setting("tax", "woocommerce_prices_include_tax")
    return StoreInfo(
        woocommerce_version=str(environment.get("version", ""))[:32],
        wordpress_version=str(environment.get("wp_version", ""))[:32],
        currency=str(store_settings.get("currency", ""))[:3],
        prices_include_tax=str(include_tax).lower() == "yes",
    )


def test(store: Store) -> StoreInfo:
    """ "Test connection" with the stored keys, whatever the connection's status: refused
    keys mark it as needing new keys; keys that work (again) mark it connected."""
    try:
        info = describe(woo_access.stored_keys_client(store))
    except AuthError as error:
        mark_keys_refused(store.id, error.message)
        raise ConnectError(error.message) from None
    except ConnectorError as error:
        raise ConnectError(error.message) from None
    connection = woo_access.connection_for_store(store.id)
    if connection is None:
        raise ConnectError("WooCommerce was disconnected meanwhile")
    connection.last_checked_at = utcnow()
    connection.mark(ConnectionStatus.CONNECTED)
    db.session.commit()
    return info


def note_refused_keys(store_id: int, error: ConnectorError) -> None:
    """If `error` is the store refusing the keys, mark the connection as needing new ones;
    any other failure leaves it as it is."""
    if isinstance(error, AuthError) and error.needs_reauthorisation:
        mark_keys_refused(store_id, error.message)


def mark_keys_refused(store_id: int, reason: str) -> None:
    connection = woo_access.connection_for_store(store_id)
    if connection is not None and connection.consumer_key:
        connection.mark(ConnectionStatus.NEEDS_REAUTHORISATION, reason)
        connection.last_checked_at = utcnow()
        db.session.commit()


def disconnect(store: Store, actor: str) -> int:
    """Remove our webhooks from the store (if it still answers) and erase the keys and the
    webhook secret, so deliveries from any webhook left behind are refused (401) until
    WooCommerce disables it. Returns how many webhooks could not be removed."""
    connection = woo_access.connection_for_store(store.id)
    if connection is None:
        return 0
    try:
        client = woo_access.stored_keys_client(store)
    except ConnectorError:
        client = None
    left = woo_webhooks.remove(store, client)
    connection = woo_access.connection_for_store(store.id)
    if connection is None:
        return left
    _retire_key(connection, None)
    connection.key_id = None
    connection.consumer_key = None
    connection.consumer_secret = None
    connection.webhook_secret = None
    connection.query_string_auth = False
    connection.poll_scan_started_at = None
    connection.poll_offset = 0
    connection.mark(ConnectionStatus.DISCONNECTED, f"disconnected by {actor}")
    db.session.commit()
    return left
