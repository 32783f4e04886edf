"""The WooCommerce connector, built for a store from the settings and the database."""

from __future__ import annotations

import sqlalchemy as sa

from server.connectors.base import AuthError, PermanentError
from server.connectors.woocommerce import urls
from server.connectors.woocommerce.client import WooClient, WooStoreConfig
from server.extensions import current_settings, db
from server.models import ConnectionStatus, Store, WooConnection
from server.sync import end_transaction

WEBHOOK_PATH = "/webhooks/woocommerce/"
USABLE = (ConnectionStatus.CONNECTED,)


def checked_store_url(store: Store) -> str:
    """The store's URL, normalised, if the server may call it (PermanentError if not)."""
    woo = current_settings().woocommerce
    try:
        return urls.check(
            store.url, allow_http=woo.allow_insecure_http, allow_private=woo.allow_private_addresses
        )
    except urls.UnsafeStoreURL as error:
        raise PermanentError(f"the store's URL cannot be used: {error}") from None


def connection_for_store(store_id: int) -> WooConnection | None:
    return db.session.scalar(sa.select(WooConnection).where(WooConnection.store_id == store_id))


def delivery_url(store: Store) -> str:
    return current_settings().public_url + WEBHOOK_PATH + store.public_id


def client_with_keys(store: Store, consumer_key: str, consumer_secret: str) -> WooClient:
    config = WooStoreConfig(
        url=checked_store_url(store),
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        timeout=current_settings().woocommerce.request_timeout,
    )
    return WooClient(config, before_call=end_transaction)


def client_for(store: Store) -> WooClient:
    """A client with the store's stored keys (AuthError if it has none that work)."""
    connection = connection_for_store(store.id)
    if connection is None or connection.status not in USABLE:
        raise AuthError("WooCommerce is not connected for this store", needs_reauthorisation=True)
    key, secret = connection.consumer_key, connection.consumer_secret
    if not key or not secret:
        raise AuthError("this store has no WooCommerce API keys", needs_reauthorisation=True)
    return client_with_keys(store, key, secret)
