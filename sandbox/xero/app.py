"""``create_app``: the Flask app serving identity, connections, the Accounting API,
``/_sandbox`` and ``/_sandbox/organisations``."""

from __future__ import annotations

from flask import Flask, Response, request

from ..common.app import sandbox_app
from ..common.faults import drop_connection_after_work
from .api.blueprint import blueprint as api_blueprint
from .api.responses import problem
from .config import SandboxConfig
from .identity.views import blueprint as identity_blueprint
from .inspect_views import blueprint as inspect_blueprint
from .organisation_views import blueprint as organisation_blueprint
from .state import Sandbox, sandbox

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
    drop_connection_after_work()
    return None


def create_app(config: SandboxConfig | None = None) -> Flask:
    """The sandbox as a WSGI app. Fails at once if the OpenAPI spec cannot be loaded."""
    box = Sandbox(config or SandboxConfig())
    app = sandbox_app(
        __name__, box, identity_blueprint, api_blueprint, inspect_blueprint, organisation_blueprint
    )
    app.before_request(_identity_faults)
    return app
