from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import create_app
from server.crypto import DecryptionError, rotate_secrets
from server.extensions import current_config, db
from server.models import Plan, Store, XeroConnection
from server.models.types import MONEY_LIMIT
from server.startup import StartupError, verify_encryption_keys


def raw(table: str, column: str, row_id: int) -> str:
    return db.session.execute(
        sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()


def make_store(url="https://shop.example", secret="s3cret-signing-value") -> Store:
    store = Store(url=url, signing_secret=secret)
    db.session.add(store)
    db.session.commit()
    return store


def test_secret_is_unreadable_in_the_raw_row_and_round_trips(app_context):
    store = make_store()
    token = raw("stores", "signing_secret", store.id)
    assert "s3cret" not in token
    assert (
        Fernet(current_config().security.encryption_keys[0].get_secret_value().encode()).decrypt(
            token.encode()
        )
        == b"s3cret-signing-value"
    )
    db.session.expire_all()
    assert db.session.get(Store, store.id).signing_secret == "s3cret-signing-value"


def test_rotation_moves_every_secret_to_the_new_key(app_context):
    store = make_store()
    connection = XeroConnection(store_id=store.id, access_token="acc", refresh_token="ref")
    db.session.add(connection)
    db.session.commit()
    connection_id = connection.id
    old_key = current_config().security.encryption_keys[0].get_secret_value()
    new_key = Fernet.generate_key().decode()
    before = raw("xero_connections", "refresh_token", connection_id)

    moved = rotate_secrets(db.session.connection(), db.metadata, [new_key, old_key])
    db.session.commit()

    assert moved == {"stores": 1, "xero_connections": 2}
    after = raw("xero_connections", "refresh_token", connection_id)
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()) == b"ref"
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidToken
        Fernet(old_key.encode()).decrypt(after.encode())


def test_rotation_leaves_secrets_already_under_the_new_key(app_context):
    make_store()
    current = current_config().security.encryption_keys[0].get_secret_value()
    before = raw("stores", "signing_secret", 1)
    moved = rotate_secrets(
        db.session.connection(), db.metadata, [current, Fernet.generate_key().decode()]
    )
    assert moved == {}
    assert raw("stores", "signing_secret", 1) == before


def test_rotation_refuses_before_writing_if_a_secret_matches_no_key(app_context):
    store = make_store()
    original = raw("stores", "signing_secret", store.id)
    stranger = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match=r"stores\.signing_secret"):
        rotate_secrets(db.session.connection(), db.metadata, stranger)
    db.session.rollback()
    assert raw("stores", "signing_secret", store.id) == original


def test_start_up_refuses_keys_that_do_not_match_the_database(app_context, settings):
    verify_encryption_keys()  # writes the canary with the suite's key
    db.session.commit()  # end this session's transaction: on SQLite it would lock the other out
    other = create_app(
        settings.with_overrides({"security": {"encryption_keys": [Fernet.generate_key().decode()]}})
    )
    with other.app_context():
        with pytest.raises(StartupError, match="cannot decrypt the secrets stored"):
            verify_encryption_keys()
        db.engine.dispose()
    verify_encryption_keys()  # the right key still passes


def test_reading_a_secret_with_the_wrong_key_fails_loudly(app_context, settings):
    store_id = make_store().id
    db.session.commit()
    other = create_app(
        settings.with_overrides({"security": {"encryption_keys": [Fernet.generate_key().decode()]}})
    )
    with other.app_context():
        with pytest.raises(DecryptionError):
            _ = db.session.get(Store, store_id).signing_secret
        db.session.rollback()
        db.engine.dispose()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.decimals(min_value=-MONEY_LIMIT + 1, max_value=MONEY_LIMIT - 1, places=4))
def test_money_round_trips_exactly_through_the_database(app_context, amount):
    plan = Plan(code="p", name="P", monthly_price=amount)
    db.session.add(plan)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Plan, plan.id).monthly_price
    assert isinstance(stored, Decimal)
    assert stored == amount
    db.session.delete(plan)
    db.session.commit()


def test_money_refuses_floats(app_context):
    db.session.add(Plan(code="f", name="F", monthly_price=0.1))
    with pytest.raises(sa.exc.StatementError, match="money must be Decimal"):
        db.session.commit()
    db.session.rollback()


def test_naive_datetimes_are_refused_and_aware_ones_come_back_in_utc(app_context):
    store = make_store()
    store.created_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
    store = db.session.get(Store, store.id)
    store.created_at = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=13)))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Store, store.id).created_at == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
