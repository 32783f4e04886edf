"""The sandbox's runtime state: live config, data, identity, limits, faults, webhooks."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..common.faults import FaultInjector
from ..common.state import SandboxState
from .api.context import Context
from .api.idempotency import IdempotencyStore
from .api.ratelimit import RateLimiter
from .api.spec import SpecValidator
from .config import RUNTIME_KNOBS, SandboxConfig
from .faults import Fault
from .formats import now_utc
from .identity.service import IdentityService
from .store import Ledger, Tenant
from .webhooks import WebhookDispatcher


class Sandbox(SandboxState[SandboxConfig]):
    """Everything one sandbox app owns."""

    extension = "xero_sandbox"

    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(config, RUNTIME_KNOBS)
        self.spec = SpecValidator(config.spec_path)
        self.ledger = Ledger(config.organisations)
        self.identity = IdentityService(self.config, self.tenant_names)
        self.limiter = RateLimiter(self.config)
        self.idempotency = IdempotencyStore(self.config)
        self.faults = FaultInjector(Fault.from_json, config.seed)
        self.webhooks = WebhookDispatcher(self.config)
        self._violations: list[dict[str, Any]] = []
        self._violations_lock = threading.Lock()

    def tenant_names(self) -> dict[str, str]:
        """Tenant id → organisation name."""
        return {t.tenant_id: t.spec.name for t in self.ledger.tenants.values()}

    def context(self, tenant: Tenant, api_base: str, unitdp: int = 2) -> Context:
        """What work on ``tenant``'s books needs: the time now (to the millisecond, as Xero
        keeps it) and a webhook sink whose resource URLs start at ``api_base``. Call it, and
        use what it gives, under ``ledger.lock``."""

        def publish(
            category: str, event_type: str, collection: str, rid: str, data: dict[str, Any] | None
        ) -> None:
            url = f"{api_base}/{collection}/{rid}"
            self.webhooks.publish(category, event_type, tenant.tenant_id, url, rid, data)

        now = now_utc()
        return Context(
            tenant, now.replace(microsecond=now.microsecond // 1000 * 1000), unitdp, publish
        )

    def record_violation(self, method: str, path: str, reasons: list[str]) -> None:
        """Remember a request that broke the OpenAPI spec."""
        with self._violations_lock:
            self._violations.append(
                {"time": time.time(), "method": method, "path": path, "reasons": reasons}
            )

    def violations(self) -> list[dict[str, Any]]:
        """Every recorded spec violation."""
        with self._violations_lock:
            return list(self._violations)

    def reset(self, identity: bool = True) -> None:
        """Reseed the data and forget calls, keys, faults and violations (and tokens)."""
        self.ledger.reset()
        self.limiter.reset()
        self.idempotency.reset()
        self.faults.reset()
        self.webhooks.reset()
        with self._violations_lock:
            self._violations.clear()
        if identity:
            self.identity.reset()

    def close(self) -> None:
        """Stop background work (webhook delivery)."""
        self.webhooks.close()


def sandbox() -> Sandbox:
    """The sandbox of the current Flask app."""
    return Sandbox.current()
