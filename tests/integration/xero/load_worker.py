"""One process of the rate-limit test: N calls to Xero through the connector alone.

Run as `python -m tests.integration.xero.load_worker` with the settings in the environment.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from redis import Redis

from server.connectors.base import ConnectorError
from server.connectors.xero import resources
from server.connectors.xero.client import XeroClient
from server.connectors.xero.config import Limits, XeroAppConfig
from server.connectors.xero.oauth import TokenSet, XeroOAuth
from server.connectors.xero.ratelimit import RateLimiter
from server.connectors.xero.tokens import TokenManager


class FixedTokens:
    def __init__(self, access_token: str) -> None:
        far = datetime.now(UTC) + timedelta(hours=1)
        self.tokens = TokenSet(access_token, "unused", far, ())

    def load(self) -> TokenSet:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        raise AssertionError("no refresh is expected in this test")

    def needs_reauthorisation(self, reason: str) -> None:
        raise AssertionError(reason)


def main() -> None:
    env = os.environ
    base = env["SANDBOX_URL"]
    config = XeroAppConfig(
        client_id="wooxero-sandbox", client_secret="sandbox-secret", redirect_uri="http://x/cb",
        scopes=("offline_access",), token_url=f"{base}/identity/connect/token",
        authorize_url=f"{base}/identity/connect/authorize", api_url=f"{base}/api.xro/2.0",
    )  # fmt: skip
    redis = Redis.from_url(env["REDIS_URL"])
    limits = Limits(minute_window=float(env["WINDOW_SECONDS"]), per_minute=int(env["PER_WINDOW"]))
    oauth = XeroOAuth(config, clock=lambda: datetime.now(UTC))
    tokens = TokenManager(
        oauth, FixedTokens(env["ACCESS_TOKEN"]), redis, "unused", clock=oauth.clock
    )
    client = XeroClient(
        config,
        env["TENANT_ID"],
        tokens,
        RateLimiter(redis, limits, app_id="load-test"),
        max_wait=120,
    )
    start_at = float(env["START_AT"])
    time.sleep(max(0.0, start_at - time.time()))
    failures = []
    for _ in range(int(env["CALLS"])):
        try:
            client.get(resources.ORGANISATION)
        except ConnectorError as error:
            failures.append(f"{type(error).__name__}: {error}")
    json.dump({"failures": failures}, sys.stdout)


if __name__ == "__main__":
    main()
