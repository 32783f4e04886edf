"""A sandbox as a Flask app, and that app served by a background thread (for tests)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from flask import Blueprint, Flask
from werkzeug.serving import make_server

from .faults import drop_marked_connection
from .state import SandboxState

StateT = TypeVar("StateT", bound=SandboxState[Any])


def sandbox_app(import_name: str, state: SandboxState[Any], *blueprints: Blueprint) -> Flask:
    """A Flask app that owns ``state`` and serves ``blueprints``; injected faults can drop
    its connections."""
    app = Flask(import_name)
    state.install(app)
    app.after_request(drop_marked_connection)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


class RunningApp(Generic[StateT]):
    """A sandbox app being served on a background thread: ``base_url``, ``sandbox`` (its
    state), ``shutdown()``; usable as a context manager."""

    thread_name: ClassVar[str]

    def __init__(self, app: Flask, state: StateT, host: str, port: int) -> None:
        """Serve ``app`` (threaded) on ``host:port``; port 0 picks a free one."""
        self._server = make_server(host, port, app, threaded=True)
        bound_host, bound_port = self._server.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self.sandbox = state
        self._before_serving()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, daemon=True
        )
        self._thread.start()

    def _before_serving(self) -> None:
        """Called once ``base_url`` is known, before the first request can be served."""

    def shutdown(self) -> None:
        """Stop serving, close the socket and stop the sandbox's background work."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.sandbox.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
