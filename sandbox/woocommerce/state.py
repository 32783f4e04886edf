"""The sandbox's runtime state: live config, store, webhooks, faults, call counts, storm."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from typing import Any

from flask import current_app

from .config import RUNTIME_KNOBS, StoreConfig
from .faults import FaultInjector
from .render.view import View
from .rest.router import Router
from .store import seed
from .store.database import Store
from .store.models import Webhook
from .webhooks import payloads
from .webhooks.dispatcher import Dispatcher

EXTENSION = "woocommerce_sandbox"


class Sandbox:
    """Everything one sandbox app owns."""

    def __init__(self, config: StoreConfig, router: Router) -> None:
        self._config_lock = threading.Lock()
        self._config = config
        self.router = router
        self.store = Store(config)
        self.webhooks = Dispatcher(self.store, self.config)
        self.webhooks.use_payload_builder(self._payload)
        self.faults = FaultInjector(config.seed)
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        self.storm: Any = None
        self.auth_log: list[dict[str, Any]] = []
        self.auth_nonces: set[str] = set()
        self._seeded = False

    def config(self) -> StoreConfig:
        """The current configuration (replaced as a whole on change)."""
        with self._config_lock:
            return self._config

    def update_config(self, changes: dict[str, Any]) -> StoreConfig:
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
                if kind is str and not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
                if (
                    name == "redirect_rest_to"
                    and value
                    and not value.startswith(("http://", "https://"))
                ):
                    raise ValueError("redirect_rest_to must be empty or an http(s) URL")
                typed[name] = value if kind is bool else kind(value)
            self._config = dataclasses.replace(self._config, **typed)
            self.store.config = self._config
            return self._config

    def ensure_seeded(self, home_url: str) -> None:
        """Fix the site URL from the first request (or the config) and generate the data."""
        with self.store.lock:
            if self._seeded:
                return
            self.store.home_url = (self._config.site_url or home_url).rstrip("/") + "/"
            seed.populate(self.store)
            self._seeded = True

    def view(self, secure: bool = False) -> View:
        """Rendering context; ``secure`` switches URLs to https as WordPress does under SSL."""
        home = self.store.home_url
        if secure:
            home = "https" + home[home.index("://") :]
        return View(self.store, home, self._config.decimals)

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
    return current_app.extensions[EXTENSION]
