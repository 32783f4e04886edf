"""The sandbox's runtime state: live config, data, identity, limits, faults, webhooks."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..common.faults import FaultInjector
from ..common.state import SandboxState
from .api.idempotency import IdempotencyStore
from .api.ratelimit import RateLimiter
from .api.spec import SpecValidator
from .config import RUNTIME_KNOBS, SandboxConfig
from .faults import Fault
from .identity.service import IdentityService
from .store import Ledger
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
