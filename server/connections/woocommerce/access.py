"""The WooCommerce connector, built for a store from the settings and the database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa

from server import crypto
from server.connectors.base import AuthError, PermanentError
from server.connectors.woocommerce import urls
from server.connectors.woocommerce.client import WooClient, WooStoreConfig
from server.database import end_transaction
from server.extensions import current_config, db
from server.models import ConnectionStatus, Store, StoreState, WooConnection

WEBHOOK_PATH = "/webhooks/woocommerce/"
USABLE = (ConnectionStatus.CONNECTED,)
STORE_SAFE_PORTS = (80, 443, 8080)  # WordPress's wp_http_validate_url


def checked_store_url(store: Store) -> str:
    """The store's URL, normalised, if the server may call it (PermanentError if not)."""
    woo = current_config().woocommerce
    try:
        return urls.check(
            store.url, allow_http=woo.allow_insecure_http, allow_private=woo.allow_private_addresses
        )
    except urls.UnsafeStoreURL as error:
        raise PermanentError(f"the store's URL cannot be used: {error}") from None


def connection_for_store(store_id: int) -> WooConnection | None:
    return db.session.scalar(sa.select(WooConnection).where(WooConnection.store_id == store_id))


@dataclass(frozen=True)
class WebhookTarget:
    """What checking and storing a store's delivery needs, read in one statement."""

    store_id: int
    active: bool  # a paused store's events wait for it to resume
    secret: str  # "" when the store has none (disconnected): every signature is refused
    # the secret as stored: a delivery checked against `secret` is stored only while it is
    # still the store's (`intake.receive_if_unchanged`)
    stored_secret: str = field(default="", repr=False, compare=False)


SECRET_SECONDS = 60  # how long a decrypted webhook secret stays in a process's memory
_secrets: dict[str, tuple[str, float]] = {}  # the secret as stored -> (plain, kept until)
_secrets_lock = threading.Lock()
REMEMBERED_TARGETS = 10_000  # stores whose last target a process keeps (then it starts over)
_remembered: dict[str, WebhookTarget] = {}  # public id -> the target read last


_WEBHOOK_TARGET = (  # built once: compiled once
    sa.select(Store.id, Store.state, sa.type_coerce(WooConnection.webhook_secret, sa.Text))
    .outerjoin(WooConnection, WooConnection.store_id == Store.id)
    .where(Store.public_id == sa.bindparam("public_id"))
)


def webhook_target(connection: sa.Connection, public_id: str) -> WebhookTarget | None:
    """The store a delivery is for (None if unknown), read on a connection outside any
    transaction (`autocommit_connection`: on SQLite no lock, on PostgreSQL no BEGIN). The
    secret is read as stored and decrypted at most once a minute per process: a changed
    secret is stored anew, so it is used from the next delivery on."""
    row = connection.execute(_WEBHOOK_TARGET, {"public_id": public_id}).first()
    if row is None:
        _remembered.pop(public_id, None)
        return None
    store_id, state, stored_secret = row
    secret = _decrypted(stored_secret) if stored_secret else ""
    target = WebhookTarget(store_id=store_id, active=state == StoreState.ACTIVE, secret=secret,
                           stored_secret=stored_secret or "")  # fmt: skip
    if len(_remembered) >= REMEMBERED_TARGETS:
        _remembered.clear()
    _remembered[public_id] = target
    return target


def remembered_target(public_id: str) -> WebhookTarget | None:
    """The target this process read last for the store, if any: a delivery checked against it
    is stored with a condition that it is still the store's (one statement instead of two),
    and read again when it is not."""
    return _remembered.get(public_id)


def _decrypted(stored: str) -> str:
    now = time.monotonic()
    with _secrets_lock:
        kept = _secrets.get(stored)
        if kept is not None and kept[1] > now:
            return kept[0]
        for expired in [key for key, (_, until) in _secrets.items() if until <= now]:
            del _secrets[expired]
    secret = crypto.decrypt(stored)
    with _secrets_lock:
        _secrets[stored] = (secret, now + SECRET_SECONDS)
    return secret


def active_connections() -> list[WooConnection]:
    """The connections of active stores whose WooCommerce access works: the stores the
    periodic work (polls, checks) is for."""
    return list(
        db.session.scalars(
            sa.select(WooConnection)
            .join(Store, Store.id == WooConnection.store_id)
            .where(Store.state == StoreState.ACTIVE, WooConnection.status.in_(USABLE))
        )
    )


def store_facing_url() -> str:
    """`server.public_url`, if a real store can call it (PermanentError, saying why, if not):
    WooCommerce posts keys and deliveries through WordPress's "safe" HTTP, to https only, on
    ports 80, 443 or 8080, at public addresses. `woocommerce.allow_insecure_http` lifts the
    first rule and `woocommerce.allow_private_addresses` the others (development, tests)."""
    settings = current_config()
    woo, base = settings.woocommerce, settings.public_url
    parts = urlsplit(base)
    if parts.scheme != "https" and not woo.allow_insecure_http:
        raise PermanentError(
            f"server.public_url ({base}) must use https: WooCommerce sends keys and webhooks "
            "to https addresses only"
        )
    if not woo.allow_private_addresses:
        if (parts.port or urls.DEFAULT_PORTS[parts.scheme]) not in STORE_SAFE_PORTS:
            raise PermanentError(
                f"server.public_url ({base}) must use port 80, 443 or 8080: WooCommerce "
                "delivers to no other"
            )
        try:
            urls.check(base, allow_http=True, allow_private=False, resolve=True)
        except urls.UnsafeStoreURL as error:
            raise PermanentError(
                f"server.public_url ({base}) must be reachable from the store: {error}"
            ) from None
    return base


def delivery_url(store: Store) -> str:
    return current_config().public_url + WEBHOOK_PATH + store.public_id


def client_with_keys(
    store: Store, consumer_key: str, consumer_secret: str, *, query_string_auth: bool = False
) -> WooClient:
    woo = current_config().woocommerce
    config = WooStoreConfig(
        url=checked_store_url(store),
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        timeout=woo.request_timeout,
        allow_private=woo.allow_private_addresses,
        query_string_auth=query_string_auth,
    )
    store_id = store.id
    return WooClient(
        config,
        before_call=end_transaction,
        on_query_string_auth=lambda: _remember_query_string_auth(store_id),
    )


def _remember_query_string_auth(store_id: int) -> None:
    db.session.execute(
        sa.update(WooConnection)
        .where(WooConnection.store_id == store_id)
        .values(query_string_auth=True)
    )
    db.session.commit()


def stored_keys_client(store: Store) -> WooClient:
    """A client with the store's stored keys, whatever the connection's status (to test
    them); AuthError if there are none."""
    connection = connection_for_store(store.id)
    key = connection.consumer_key if connection is not None else None
    secret = connection.consumer_secret if connection is not None else None
    if connection is None or not key or not secret:
        raise AuthError("this store has no WooCommerce API keys", needs_reauthorisation=True)
    return client_with_keys(store, key, secret, query_string_auth=connection.query_string_auth)


def client_for(store: Store) -> WooClient:
    """A client with the store's stored keys, if its connection works (AuthError if not)."""
    connection = connection_for_store(store.id)
    if connection is None or connection.status not in USABLE:
        raise AuthError("WooCommerce is not connected for this store", needs_reauthorisation=True)
    return stored_keys_client(store)
