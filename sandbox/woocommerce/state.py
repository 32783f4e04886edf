"""The sandbox's runtime state: live config, store, webhooks, faults, call counts, storm."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from ..common.faults import FaultInjector
from ..common.state import SandboxState
from .config import RUNTIME_KNOBS, StoreConfig
from .faults import Fault
from .render.view import View
from .rest.router import Router
from .store import seed
from .store.database import Store
from .store.models import Webhook
from .webhooks import payloads
from .webhooks.dispatcher import Dispatcher


class Sandbox(SandboxState[StoreConfig]):
    """Everything one sandbox app owns."""

    extension = "woocommerce_sandbox"

    def __init__(self, config: StoreConfig, router: Router) -> None:
        super().__init__(config, RUNTIME_KNOBS)
        self.router = router
        self.store = Store(config)
        self.webhooks = Dispatcher(self.store, self.config)
        self.webhooks.use_payload_builder(self._payload)
        self.faults = FaultInjector(Fault.from_json, config.seed)
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        self.storm: Any = None
        self.auth_log: list[dict[str, Any]] = []
        self.auth_nonces: set[str] = set()
        self._seeded = False

    def _typed(self, name: str, value: Any, kind: type) -> Any:
        """Also: a string setting takes only a string, ``redirect_rest_to`` only an http(s) URL."""
        if kind is str and not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        if name == "redirect_rest_to" and value and not value.startswith(("http://", "https://")):
            raise ValueError("redirect_rest_to must be empty or an http(s) URL")
        return super()._typed(name, value, kind)

    def _replaced(self, config: StoreConfig) -> None:
        """The store reads its settings from its own reference."""
        self.store.config = config

    def ensure_seeded(self, home_url: str) -> None:
        """Fix the site URL from the first request (or the config) and generate the data."""
        with self.store.lock:
            if self._seeded:
                return
            self.store.home_url = (self.config().site_url or home_url).rstrip("/") + "/"
            seed.populate(self.store)
            self._seeded = True

    def view(self, secure: bool = False) -> View:
        """Rendering context; ``secure`` switches URLs to https as WordPress does under SSL."""
        home = self.store.home_url
        if secure:
            home = "https" + home[home.index("://") :]
        return View(self.store, home, self.config().decimals)

    def _payload(self, webhook: Webhook, resource_id: int) -> Any:
        return payloads.payload(self.view(), webhook, resource_id)

    def count_call(self, name: str, status: int) -> None:
        """Count a REST call by method and route, and its status."""
        with self._calls_lock:
            self._calls[name] += 1
            self._statuses[str(status)] += 1

    def calls(self) -> dict[str, Any]:
        """Calls per endpoint and per status."""
        with self._calls_lock:
            return {"by_endpoint": dict(self._calls), "by_status": dict(self._statuses)}

    def reset(self) -> None:
        """Regenerate the data and forget calls, faults, queued deliveries and the log."""
        if self.storm is not None:
            self.storm.cancel()
            self.storm = None
        self.webhooks.reset()
        self.faults.reset()
        self.auth_log.clear()
        self.auth_nonces.clear()
        with self._calls_lock:
            self._calls.clear()
            self._statuses.clear()
        with self.store.lock:
            self.store.clear()
            seed.populate(self.store)

    def close(self) -> None:
        """Stop background work."""
        if self.storm is not None:
            self.storm.cancel()
        self.webhooks.close()


def sandbox() -> Sandbox:
    """The sandbox of the current Flask app."""
    return Sandbox.current()
