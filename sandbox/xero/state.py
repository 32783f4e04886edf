"""The sandbox's runtime state: live config, data, identity, limits, faults, webhooks."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from flask import current_app

from .api.idempotency import IdempotencyStore
from .api.ratelimit import RateLimiter
from .api.spec import SpecValidator
from .config import RUNTIME_KNOBS, SandboxConfig
from .faults import FaultInjector
from .identity.service import IdentityService
from .store import Ledger
from .webhooks import WebhookDispatcher

EXTENSION = "xero_sandbox"


class Sandbox:
    """Everything one sandbox app owns."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config_lock = threading.Lock()
        self._config = config
        self.spec = SpecValidator(config.spec_path)
        self.ledger = Ledger(config.organisations)
        self.identity = IdentityService(self.config, self.tenant_names)
        self.limiter = RateLimiter(self.config)
        self.idempotency = IdempotencyStore(self.config)
        self.faults = FaultInjector(config.seed)
        self.webhooks = WebhookDispatcher(self.config)
        self._violations: list[dict[str, Any]] = []
        self._violations_lock = threading.Lock()

    def config(self) -> SandboxConfig:
        """The current configuration (replaced as a whole on change)."""
        with self._config_lock:
            return self._config

    def update_config(self, changes: dict[str, Any]) -> SandboxConfig:
        """Change runtime knobs; unknown or non-runtime names raise ValueError."""
        unknown = set(changes) - RUNTIME_KNOBS
        if unknown:
            raise ValueError(f"not runtime settings: {', '.join(sorted(unknown))}")
        with self._config_lock:
            current = dataclasses.asdict(self._config)
            typed: dict[str, Any] = {}
            for name, value in changes.items():
                kind = type(current[name])
                if kind is bool and not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
                typed[name] = value if kind is bool else kind(value)
            self._config = dataclasses.replace(self._config, **typed)
            return self._config

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
    return current_app.extensions[EXTENSION]
