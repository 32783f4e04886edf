"""Tokens against the sandbox: one refresh for many threads, the 401 path, invalid_grant,
and recovery through Xero's 30-minute grace when a rotated token was lost."""

import threading
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.base import AuthError
from server.connectors.xero import resources
from server.connectors.xero.oauth import XeroOAuth
from server.extensions import db
from server.models import ConnectionStatus, XeroConnection
from server.models.types import utcnow
from tests.support.waiting import HTTP_TIMEOUT, PATIENCE


def connection_row(store) -> XeroConnection:
    db.session.expire_all()
    return db.session.scalar(sa.select(XeroConnection).where(XeroConnection.store_id == store.id))


@pytest.fixture
def refreshes(monkeypatch) -> list[str]:
    """Every refresh token sent to Xero's token endpoint (the real HTTP call still happens)."""
    sent: list[str] = []
    original = XeroOAuth.refresh

    def counting(self, refresh_token):
        sent.append(refresh_token)
        return original(self, refresh_token)

    monkeypatch.setattr(XeroOAuth, "refresh", counting)
    return sent


def test_twenty_threads_needing_a_token_at_once_cause_exactly_one_refresh(
    app_context, connected_store, refreshes
):
    row = connection_row(connected_store)
    row_id, old_access = row.id, row.access_token
    row.access_token_expires_at = utcnow() + timedelta(seconds=30)  # within the refresh margin
    db.session.commit()
    barrier, tokens, errors = threading.Barrier(20), [], []

    def ask() -> None:
        with app_context.app_context():
            try:
                manager = xero_access.token_manager(row_id)
                barrier.wait(PATIENCE)
                tokens.append(manager.access_token())
            except Exception as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert errors == []
    assert len(refreshes) == 1
    assert len(set(tokens)) == 1 and tokens[0] != old_access
    row = connection_row(connected_store)
    assert row.access_token == tokens[0] and row.status == ConnectionStatus.CONNECTED


def test_a_401_from_xero_refreshes_and_the_call_succeeds(
    app_context, connected_store, sandbox, refreshes
):
    requests.post(
        f"{sandbox.base_url}/_sandbox/tokens/expire", timeout=HTTP_TIMEOUT
    ).raise_for_status()
    client = xero_access.client_for(connection_row(connected_store))
    (organisation,) = client.get(resources.ORGANISATION)
    assert organisation["Name"] == "Demo Company (NZ)"
    assert len(refreshes) == 1


def test_a_revoked_grant_marks_the_connection_and_stops_there(
    app_context, connected_store, sandbox, refreshes
):
    row = connection_row(connected_store)
    requests.post(
        f"{sandbox.base_url}/identity/connect/revocation",
        data={"token": row.refresh_token},
        auth=("wooxero-sandbox", "sandbox-secret"),
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    row.access_token_expires_at = utcnow()
    db.session.commit()
    client = xero_access.client_for(connection_row(connected_store))
    with pytest.raises(AuthError) as caught:
        client.get(resources.ORGANISATION)
    assert caught.value.needs_reauthorisation
    row = connection_row(connected_store)
    assert row.status == ConnectionStatus.NEEDS_REAUTHORISATION
    assert "invalid_grant" in row.status_reason
    assert row.refresh_token is None
    with pytest.raises(AuthError):
        xero_access.client_for(row)  # refused at once: no crash loop against Xero
    assert len(refreshes) == 1


def test_a_rotated_token_lost_on_the_way_is_recovered_within_the_grace(
    app_context, connected_store, refreshes
):
    row = connection_row(connected_store)
    row_id, stale_refresh = row.id, row.refresh_token
    xero_access.oauth().refresh(stale_refresh)  # succeeded at Xero, answer "lost": not saved
    row.access_token_expires_at = utcnow()
    db.session.commit()  # and no transaction open while the token store writes
    manager = xero_access.token_manager(row_id)
    assert manager.access_token()
    assert refreshes == [stale_refresh, stale_refresh]
    assert connection_row(connected_store).status == ConnectionStatus.CONNECTED
