"""The store a webhook delivery is for, and its secret: read in one statement, the secret
decrypted at most once a minute per process and never used once it changed."""

import sqlalchemy as sa

from server import crypto
from server.connections.woocommerce import access as woo_access
from server.database import autocommit_connection
from server.extensions import db
from server.models import ConnectionStatus, Store, StoreState, WooConnection


def make_store(
    url: str = "https://shop.example",
    state: StoreState = StoreState.ACTIVE,
    secret: str | None = "first",
) -> Store:
    store = Store(url=url, state=state)
    db.session.add(store)
    db.session.flush()
    db.session.add(WooConnection(store_id=store.id, webhook_secret=secret,
                                 status=ConnectionStatus.CONNECTED))  # fmt: skip
    db.session.commit()
    return store


def target(public_id: str) -> woo_access.WebhookTarget | None:
    """As intake reads it: on a connection outside any transaction."""
    with autocommit_connection() as connection:
        return woo_access.webhook_target(connection, public_id)


def test_the_target_says_store_state_and_secret(app_context):
    active, paused = (
        make_store(),
        make_store("https://paused.example", StoreState.PAUSED, secret=None),
    )
    assert target(active.public_id) == woo_access.WebhookTarget(
        store_id=active.id, active=True, secret="first"
    )
    assert target(paused.public_id) == woo_access.WebhookTarget(
        store_id=paused.id, active=False, secret=""
    )
    assert target("nope") is None


def test_the_secret_is_decrypted_once_a_minute_and_again_when_it_changes(app_context, monkeypatch):
    store = make_store()
    decrypted: list[str] = []
    real_decrypt = crypto.decrypt

    def counted(stored: str) -> str:
        decrypted.append(stored)
        return real_decrypt(stored)

    clock = [1_000_000.0]
    monkeypatch.setattr(crypto, "decrypt", counted)
    monkeypatch.setattr(woo_access.time, "monotonic", lambda: clock[0])
    for _ in range(3):
        assert target(store.public_id).secret == "first"
    assert len(decrypted) == 1
    clock[0] += woo_access.SECRET_SECONDS
    assert target(store.public_id).secret == "first"
    assert len(decrypted) == 2, "no longer kept after a minute"
    connection = db.session.scalar(sa.select(WooConnection))
    connection.webhook_secret = "second"
    db.session.commit()
    assert target(store.public_id).secret == "second"
    assert len(decrypted) == 3
