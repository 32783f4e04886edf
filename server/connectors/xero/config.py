"""What the Xero connector needs to know, passed in by the caller (no settings import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class XeroAppConfig:
    """The app registered at developer.xero.com, and where Xero's endpoints are."""

    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: tuple[str, ...]
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    token_url: str = "https://identity.xero.com/connect/token"  # noqa: S105 - a URL
    revocation_url: str = "https://identity.xero.com/connect/revocation"
    connections_url: str = "https://api.xero.com/connections"
    api_url: str = "https://api.xero.com/api.xro/2.0"
    timeout: float = 30.0
    user_agent: str = "wooxero"


@dataclass(frozen=True)
class Limits:
    """Xero's limits: per organisation, calls in flight, a sliding minute and a sliding day;
    per app, a sliding minute. The minute window is configurable so tests can shorten it."""

    concurrent: int = 5
    per_minute: int = 60
    minute_window: float = 60.0
    per_day: int = 5000
    day_window: float = 86400.0
    app_per_minute: int = 10000
