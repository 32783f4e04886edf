"""The sandbox's settings: OAuth clients, seeded organisations, limits and fault knobs."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field, fields

SPEC_ENVIRONMENT_VARIABLE = "XERO_OPENAPI_SPEC"


@dataclass(frozen=True)
class ClientApp:
    """A registered Xero app. ``client_secret=None`` is a PKCE-only public client."""

    client_secret: str | None
    redirect_uris: tuple[str, ...] = ()
    name: str = "wooxero sandbox app"


@dataclass(frozen=True)
class OrganisationSpec:
    """One seeded organisation. ``country`` picks the tax rates and chart of accounts."""

    name: str
    country: str
    base_currency: str
    org_class: str = "STANDARD"
    currencies: tuple[str, ...] = ()
    tenant_id: str = ""

    def resolved_tenant_id(self) -> str:
        """The tenant id: the given one, or a stable id derived from the name."""
        return self.tenant_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"xero-sandbox:{self.name}"))


def _default_clients() -> dict[str, ClientApp]:
    return {"wooxero-sandbox": ClientApp(client_secret="sandbox-secret")}  # noqa: S106


def _default_organisations() -> tuple[OrganisationSpec, ...]:
    return (
        OrganisationSpec("Demo Company (NZ)", "NZ", "NZD", "STANDARD", ("USD", "AUD")),
        OrganisationSpec("Demo Company (AU)", "AU", "AUD", "STARTER", ("USD", "NZD")),
    )


def _default_spec_path() -> str | None:
    return os.environ.get(SPEC_ENVIRONMENT_VARIABLE) or None


@dataclass
class SandboxConfig:
    """Everything the sandbox can be told. The defaults are Xero's real limits.

    ``auto_approve_tenants`` lists the tenant ids an auto-approved consent connects (empty: all).
    ``granular_scopes_only`` models an app created on or after 2 March 2026, which gets
    ``invalid_scope`` when it asks for the deprecated ``accounting.transactions`` scopes.
    ``spec_path`` names Xero's OpenAPI spec to validate requests against (default: the
    ``XERO_OPENAPI_SPEC`` variable); None means the sandbox's own rules only.

    Random faults, per Accounting API call: ``error_rate`` answers 500 or 503;
    ``throttle_rate`` answers Xero's minute-limit 429 (``Retry-After`` of 1 to
    ``throttle_retry_after`` seconds; the call is not counted, as a limited one is not);
    ``server_error_rate`` answers 500; ``latency_spike_rate`` holds a call
    ``latency_spike_ms`` on top of ``latency_ms``; ``drop_response_rate`` does the call's work
    and then drops the connection instead of answering.
    """

    clients: dict[str, ClientApp] = field(default_factory=_default_clients)
    organisations: tuple[OrganisationSpec, ...] = field(default_factory=_default_organisations)
    auto_approve: bool = False
    auto_approve_tenants: tuple[str, ...] = ()
    granular_scopes_only: bool = True
    spec_path: str | None = field(default_factory=_default_spec_path)
    concurrent_limit: int = 5
    minute_limit: int = 60
    minute_window_seconds: float = 60
    daily_limit: int = 5000
    day_window_seconds: float = 86400
    app_minute_limit: int = 10000
    access_token_seconds: int = 1800
    refresh_grace_seconds: int = 1800
    refresh_token_days: int = 60
    idempotency_seconds: float = 360
    webhook_url: str = ""
    webhook_key: str = ""
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    throttle_retry_after: int = 2
    server_error_rate: float = 0.0
    latency_ms: int = 0
    latency_spike_rate: float = 0.0
    latency_spike_ms: int = 0
    drop_response_rate: float = 0.0
    seed: int | None = None

    def with_redirect_uris(self, uris: list[str] | tuple[str, ...]) -> SandboxConfig:
        """This config with ``uris`` registered on every client."""
        self.clients = {
            client_id: ClientApp(app.client_secret, tuple(uris), app.name)
            for client_id, app in self.clients.items()
        }
        return self


RUNTIME_KNOBS: frozenset[str] = frozenset(
    f.name
    for f in fields(SandboxConfig)
    if f.name not in {"clients", "organisations", "spec_path", "seed"}
)
"""The settings ``POST /_sandbox/config`` may change while the sandbox runs."""
