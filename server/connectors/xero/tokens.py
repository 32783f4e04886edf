"""Access tokens kept fresh: refreshed shortly before expiry or once after a 401, by one
process at a time per connection (a Redis lock), the rotated token stored before it is used.

Xero rotates the refresh token on every refresh; two processes refreshing the same token set
would race into `invalid_grant`. Under the lock each process re-reads the stored token set,
so whoever waited uses the token the first one saved. If a refresh succeeds at Xero but the
answer is lost, the previous refresh token still works for 30 minutes, so the next attempt
recovers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from server.connectors.base import AuthError, TransientError
from server.connectors.xero.oauth import TokenSet, XeroOAuth
from server.locks import release, take

REFRESH_MARGIN = timedelta(minutes=2)


class TokenStore(Protocol):
    """Where a connection's token set lives (the caller's database)."""

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None:
        """Store durably (committed) before returning."""

    def needs_reauthorisation(self, reason: str) -> None:
        """Record, durably, that only a person reconnecting can fix this connection."""


class TokenManager:
    def __init__(
        self,
        oauth: XeroOAuth,
        store: TokenStore,
        redis: Redis,
        lock_name: str,
        *,
        clock: Callable[[], datetime],
        lock_seconds: float = 60,
        wait_seconds: float = 60,
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.redis = redis
        self.lock_name = lock_name
        self.clock = clock
        self.lock_seconds = lock_seconds
        self.wait_seconds = wait_seconds
        self._cached: TokenSet | None = None

    def access_token(self) -> str:
        """A usable access token, refreshed first if it expires within two minutes. The token
        set is read from the store once, then again only under the refresh lock."""
        tokens = self._cached or self._load()
        if not self._expiring(tokens):
            return tokens.access_token
        return self._refresh(rejected=None)

    def access_token_after_rejection(self, rejected: str) -> str:
        """After a 401 with `rejected`: refresh, unless another process already has."""
        return self._refresh(rejected=rejected)

    def _refresh(self, rejected: str | None) -> str:
        try:
            lock = take(self.redis, self.lock_name, hold=self.lock_seconds, wait=self.wait_seconds)
        except RedisError as error:
            raise TransientError(f"Redis is unavailable for the token lock: {error}") from None
        if lock is None:
            raise TransientError("timed out waiting for another process to refresh the token")
        try:
            return self._refresh_holding_the_lock(rejected)
        finally:
            release(lock)

    def _refresh_holding_the_lock(self, rejected: str | None) -> str:
        tokens = self._load()
        still_good = not self._expiring(tokens)
        if still_good and (rejected is None or tokens.access_token != rejected):
            return tokens.access_token  # refreshed by another process meanwhile
        try:
            fresh = self.oauth.refresh(tokens.refresh_token)
        except AuthError as error:
            if error.needs_reauthorisation:
                self.store.needs_reauthorisation(error.message)
            raise
        self.store.save(fresh)
        self._cached = fresh
        return fresh.access_token

    def _load(self) -> TokenSet:
        tokens = self.store.load()
        if tokens is None:
            raise AuthError("this store is not connected to Xero", needs_reauthorisation=True)
        self._cached = tokens
        return tokens

    def _expiring(self, tokens: TokenSet) -> bool:
        return tokens.expires_at - REFRESH_MARGIN <= self.clock()
