"""``create_app``: the Flask app serving identity, connections, the Accounting API and
``/_sandbox``."""

from __future__ import annotations

import socket

from flask import Flask, Response, g, request

from .api.blueprint import blueprint as api_blueprint
from .api.responses import problem
from .config import SandboxConfig
from .identity.views import blueprint as identity_blueprint
from .inspect_views import blueprint as inspect_blueprint
from .state import EXTENSION, Sandbox, sandbox

_FAULTABLE_PREFIXES = ("/identity/", "/connections")


def _identity_faults() -> Response | None:
    """One-shot faults for identity and connections calls (the API pipeline has its own)."""
    if not request.path.startswith(_FAULTABLE_PREFIXES):
        return None
    fault = sandbox().faults.take(request.method, (request.path,))
    if fault is None:
        return None
    if fault.status is not None:
        return problem(fault.status, "Injected fault", "A fault injected by the Xero sandbox.")
    g.xero_sandbox_drop = True
    return None


def _drop_connection(response: Response) -> Response:
    """Close the client's connection instead of answering (after the work was done)."""
    if g.get("xero_sandbox_drop"):
        connection = request.environ.get("werkzeug.socket")
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
    return response


def create_app(config: SandboxConfig | None = None) -> Flask:
    """The sandbox as a WSGI app. Fails at once if the OpenAPI spec cannot be loaded."""
    app = Flask(__name__)
    app.extensions[EXTENSION] = Sandbox(config or SandboxConfig())
    app.before_request(_identity_faults)
    app.after_request(_drop_connection)
    app.register_blueprint(identity_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_blueprint(inspect_blueprint)
    return app
