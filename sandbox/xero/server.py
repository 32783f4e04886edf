"""``serve_in_thread``: run the sandbox on a loopback port in a background thread."""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from .app import create_app
from .config import SandboxConfig
from .state import EXTENSION, Sandbox


class RunningSandbox:
    """A sandbox being served: ``base_url``, ``shutdown()``, usable as a context manager."""

    def __init__(self, server: BaseWSGIServer, box: Sandbox) -> None:
        self._server = server
        self.sandbox = box
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, name="xero-sandbox", daemon=True
        )
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving, close the socket and stop webhook delivery."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.sandbox.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


def serve_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Serve a new sandbox (threaded) on ``host:port``; port 0 picks a free one."""
    app = create_app(config)
    server = make_server(host, port, app, threaded=True)
    return RunningSandbox(server, app.extensions[EXTENSION])
