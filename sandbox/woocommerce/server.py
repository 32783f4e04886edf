"""``serve_in_thread``: run the sandbox store on a loopback port in a background thread."""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from .app import create_app
from .config import StoreConfig
from .state import EXTENSION, Sandbox
from .store.database import Store


class RunningStore:
    """A store being served: ``base_url``, ``store``, ``shutdown()``, a context manager."""

    def __init__(self, server: BaseWSGIServer, box: Sandbox, base_url: str) -> None:
        self._server = server
        self.sandbox = box
        self.store: Store = box.store
        self.base_url = base_url
        self._thread = threading.Thread(
            target=server.serve_forever, name="woocommerce-sandbox", daemon=True
        )
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving, close the socket and stop background deliveries."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.sandbox.close()

    def __enter__(self) -> RunningStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


def serve_in_thread(
    config: StoreConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningStore:
    """Serve a new store (threaded) on ``host:port``; port 0 picks a free one."""
    app = create_app(config)
    server = make_server(host, port, app, threaded=True)
    bound_host, bound_port = server.server_address[:2]
    base_url = f"http://{bound_host}:{bound_port}"
    box: Sandbox = app.extensions[EXTENSION]
    box.ensure_seeded(base_url)
    return RunningStore(server, box, base_url)
