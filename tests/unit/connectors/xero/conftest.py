from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis

from server.connectors.xero.client import XeroClient
from server.connectors.xero.config import Limits, XeroAppConfig
from server.connectors.xero.oauth import TokenSet, XeroOAuth
from server.connectors.xero.ratelimit import RateLimiter
from server.connectors.xero.tokens import TokenManager

IDENTITY = "https://identity.example"
API = "https://api.example/api.xro/2.0"
CONNECTIONS = "https://api.example/connections"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def config() -> XeroAppConfig:
    return XeroAppConfig(
        client_id="client-1",
        client_secret="secret-1",
        redirect_uri="https://wooxero.example/xero/callback",
        scopes=("offline_access", "openid", "accounting.invoices"),
        authorize_url=f"{IDENTITY}/connect/authorize",
        token_url=f"{IDENTITY}/connect/token",
        revocation_url=f"{IDENTITY}/connect/revocation",
        connections_url=CONNECTIONS,
        api_url=API,
        timeout=5,
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def oauth(config, clock) -> XeroOAuth:
    return XeroOAuth(config, clock=clock)


@pytest.fixture
def redis_client(redis_url) -> Redis:
    client = Redis.from_url(redis_url)
    yield client
    client.flushdb()


class MemoryTokenStore:
    """A TokenStore in memory that records what happened, in order."""

    def __init__(self, tokens: TokenSet | None) -> None:
        self.tokens = tokens
        self.log: list[str] = []
        self.reason = ""

    def load(self) -> TokenSet | None:
        self.log.append("load")
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.log.append(f"save {tokens.refresh_token}")
        self.tokens = tokens

    def needs_reauthorisation(self, reason: str) -> None:
        self.log.append("needs_reauthorisation")
        self.reason = reason
        self.tokens = None


def token_set(
    access: str = "access-1", refresh: str = "refresh-1", expires_in: float = 1800
) -> TokenSet:
    return TokenSet(access, refresh, NOW + timedelta(seconds=expires_in), ("offline_access",))


def token_response(access: str, refresh: str) -> dict[str, object]:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access openid accounting.invoices",
    }


@pytest.fixture
def lock_name() -> str:
    return f"test-lock-{uuid.uuid4().hex}"


TENANT = "tenant-1"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore(token_set())


@pytest.fixture
def client(config, oauth, store, redis_client, lock_name, clock, sleeps) -> XeroClient:
    tokens = TokenManager(oauth, store, redis_client, lock_name, clock=clock)
    limiter = RateLimiter(redis_client, Limits(), app_id="test", sleep=sleeps.append)
    return XeroClient(config, TENANT, tokens, limiter, max_wait=60, sleep=sleeps.append)


def envelope(collection: str, items: list) -> dict:
    return {"Id": "x", "Status": "OK", "DateTimeUTC": "/Date(1795348800000)/", collection: items}
