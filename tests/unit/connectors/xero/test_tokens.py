import threading
from datetime import timedelta

import pytest
import responses
from redis import Redis

from server.connectors.base import AuthError, TransientError
from server.connectors.xero.tokens import TokenManager
from tests.support.processes import free_port
from tests.unit.connectors.xero.conftest import (
    IDENTITY,
    MemoryTokenStore,
    token_response,
    token_set,
)


def manager(oauth, store, redis_client, lock_name, clock):
    return TokenManager(oauth, store, redis_client, lock_name, clock=clock, wait_seconds=10)


@responses.activate
def test_a_fresh_token_is_used_without_refreshing(oauth, redis_client, lock_name, clock):
    store = MemoryTokenStore(token_set(expires_in=1800))
    tokens = manager(oauth, store, redis_client, lock_name, clock)
    assert tokens.access_token() == "access-1"
    assert tokens.access_token() == "access-1"
    assert store.log == ["load"], "read once, then from memory"
    assert len(responses.calls) == 0


@responses.activate
def test_a_token_about_to_expire_is_refreshed_and_the_rotation_saved_before_use(
    oauth, redis_client, lock_name, clock
):
    responses.post(f"{IDENTITY}/connect/token", json=token_response("access-2", "refresh-2"))
    store = MemoryTokenStore(token_set(expires_in=60))  # inside the two-minute margin
    assert manager(oauth, store, redis_client, lock_name, clock).access_token() == "access-2"
    assert store.log == ["load", "load", "save refresh-2"]
    assert store.tokens.refresh_token == "refresh-2"


@responses.activate
def test_after_a_rejection_the_token_is_refreshed_once(oauth, redis_client, lock_name, clock):
    responses.post(f"{IDENTITY}/connect/token", json=token_response("access-2", "refresh-2"))
    store = MemoryTokenStore(token_set())
    tokens = manager(oauth, store, redis_client, lock_name, clock)
    assert tokens.access_token_after_rejection("access-1") == "access-2"
    # a second rejection of the old token (another request in flight) reuses the new one
    assert tokens.access_token_after_rejection("access-1") == "access-2"
    assert len(responses.calls) == 1


@responses.activate
def test_invalid_grant_marks_the_connection_and_stops(oauth, redis_client, lock_name, clock):
    responses.post(f"{IDENTITY}/connect/token", json={"error": "invalid_grant"}, status=400)
    store = MemoryTokenStore(token_set(expires_in=0))
    tokens = manager(oauth, store, redis_client, lock_name, clock)
    with pytest.raises(AuthError) as caught:
        tokens.access_token()
    assert caught.value.needs_reauthorisation
    assert "needs_reauthorisation" in store.log and "invalid_grant" in store.reason
    # no crash loop: the next attempt fails at once, without asking Xero again
    with pytest.raises(AuthError, match="not connected"):
        manager(oauth, store, redis_client, lock_name, clock).access_token()
    assert len(responses.calls) == 1


def test_twenty_threads_refresh_exactly_once(oauth, redis_client, lock_name, clock):
    store = MemoryTokenStore(token_set(expires_in=30))
    seen_refresh_tokens: list[str] = []

    def token_endpoint(request):
        seen_refresh_tokens.append(request.body)
        return (
            200,
            {},
            '{"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 1800}',
        )

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, f"{IDENTITY}/connect/token", callback=token_endpoint)
        results: list[str] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    manager(oauth, store, redis_client, lock_name, clock).access_token()
                )
            )
            for _ in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert results == ["access-2"] * 20
    assert len(seen_refresh_tokens) == 1
    assert store.log.count("save refresh-2") == 1


@responses.activate
def test_another_process_refreshing_meanwhile_is_noticed_under_the_lock(
    oauth, redis_client, lock_name, clock
):
    store = MemoryTokenStore(token_set(expires_in=130))  # good for 10 s more
    tokens = manager(oauth, store, redis_client, lock_name, clock)
    assert tokens.access_token() == "access-1"
    store.tokens = token_set("access-9", "refresh-9", expires_in=1800)  # saved by another process
    clock.now += timedelta(seconds=30)  # now the cached one is due for a refresh
    assert tokens.access_token() == "access-9", "re-read under the lock, not refreshed again"
    assert len(responses.calls) == 0


@responses.activate
def test_redis_down_at_the_lock_is_a_transient_error_and_nothing_is_refreshed(oauth, clock):
    """No lock, no refresh: two processes must never rotate the same refresh token."""
    store = MemoryTokenStore(token_set(expires_in=30))
    down = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=5)
    tokens = TokenManager(oauth, store, down, "wooxero:test:tokens", clock=clock)
    with pytest.raises(TransientError, match="Redis is unavailable"):
        tokens.access_token()
    assert len(responses.calls) == 0
