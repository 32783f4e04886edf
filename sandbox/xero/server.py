"""``serve_in_thread``: run the sandbox on a loopback port in a background thread."""

from __future__ import annotations

from ..common.app import RunningApp
from .app import create_app
from .config import SandboxConfig
from .state import Sandbox


class RunningSandbox(RunningApp[Sandbox]):
    """A sandbox being served: ``base_url``, ``shutdown()``, usable as a context manager."""

    thread_name = "xero-sandbox"


def serve_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Serve a new sandbox (threaded) on ``host:port``; port 0 picks a free one."""
    app = create_app(config)
    return RunningSandbox(app, Sandbox.of(app), host, port)
