"""``serve_in_thread``: run the sandbox store on a loopback port in a background thread."""

from __future__ import annotations

from ..common.app import RunningApp
from .app import create_app
from .config import StoreConfig
from .state import Sandbox
from .store.database import Store


class RunningStore(RunningApp[Sandbox]):
    """A store being served: ``base_url``, ``store``, ``shutdown()``, a context manager."""

    thread_name = "woocommerce-sandbox"

    def _before_serving(self) -> None:
        """Generate the data for the served URL before any request can ask for it."""
        self.sandbox.ensure_seeded(self.base_url)

    @property
    def store(self) -> Store:
        """The store's records."""
        return self.sandbox.store


def serve_in_thread(
    config: StoreConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningStore:
    """Serve a new store (threaded) on ``host:port``; port 0 picks a free one."""
    app = create_app(config)
    return RunningStore(app, Sandbox.of(app), host, port)
