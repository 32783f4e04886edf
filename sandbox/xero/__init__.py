"""A faithful test double of the Xero Accounting API and Xero's OAuth2 identity service.

Use ``serve_in_thread(SandboxConfig(...))`` in tests, ``create_app(config)`` for any WSGI
server, or ``python -m sandbox.xero --port N`` from a shell.
"""

from .app import create_app
from .config import ClientApp, OrganisationSpec, SandboxConfig
from .server import RunningSandbox, serve_in_thread

__all__ = [
    "ClientApp",
    "OrganisationSpec",
    "RunningSandbox",
    "SandboxConfig",
    "create_app",
    "serve_in_thread",
]
