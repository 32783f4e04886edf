"""HTTP endpoints of the identity service: authorise (consent page), token, revocation,
and the ``/connections`` API.

Sourced: RFC 6749/7636/7009 behaviour as Xero documents it (errors redirected with ``state``
once the client and redirect URI are known; ``access_denied`` when the user refuses;
``invalid_scope`` for the deprecated ``accounting.transactions`` scopes of a new app,
help.apideck.com/en/articles/8647746); token errors ``{"error": …}`` with 400, or 401 for
``invalid_client``. Assumed: an unknown client or unregistered redirect URI shows an error
page (400) rather than redirecting; a consent that connects organisations needs at least one
chosen.
"""

from __future__ import annotations

import base64
import binascii
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request

from ..api.responses import json_response, problem
from ..state import sandbox
from . import scopes
from .service import Consent, GrantError

blueprint = Blueprint("xero_identity", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Xero sandbox - allow access</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
label{{display:block;margin:.4rem 0}}button{{margin-right:1rem}}</style></head>
<body><h1>{app} wants access to your Xero organisations</h1>
<p>It asks for: {scopes}</p>{error}
<form method="post" action="/identity/connect/authorize">
<input type="hidden" name="consent_id" value="{consent_id}">
<fieldset><legend>Organisations</legend>{tenants}</fieldset>
<button type="submit" name="decision" value="allow">Allow access</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></body></html>"""


def _error_page(message: str) -> Response:
    body = f"<!doctype html><title>Xero sandbox error</title><h1>Error</h1><p>{escape(message)}</p>"
    return Response(body, 400, content_type="text/html; charset=utf-8")


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return redirect(f"{uri}{'&' if '?' in uri else '?'}{query}", 302)


def _consent_page(consent: Consent, error: str = "") -> Response:
    box = sandbox()
    app = box.config().clients[consent.client_id]
    rows = "".join(
        f'<label><input type="checkbox" name="tenant" value="{escape(tenant_id)}"'
        f"{' checked' if index == 0 else ''}> {escape(name)}</label>"
        for index, (tenant_id, name) in enumerate(box.tenant_names().items())
    )
    html = _PAGE.format(
        app=escape(app.name),
        scopes=escape(" ".join(consent.scopes)),
        error=f'<p role="alert">{escape(error)}</p>' if error else "",
        consent_id=escape(consent.id),
        tenants=rows,
    )
    return Response(html, 400 if error else 200, content_type="text/html; charset=utf-8")


@blueprint.get("/identity/connect/authorize")
def authorize() -> Response:
    """Validate an authorisation request, then show the consent page (or auto-approve)."""
    box = sandbox()
    config = box.config()
    args = request.args
    client_id = args.get("client_id", "")
    app = config.clients.get(client_id)
    if app is None:
        return _error_page("unauthorized_client: unknown client_id")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return _error_page("invalid_request: Invalid redirect_uri")
    state = args.get("state")
    if args.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
    requested = tuple(dict.fromkeys(args.get("scope", "").split()))
    if (
        not requested
        or any(s not in scopes.KNOWN for s in requested)
        or (config.granular_scopes_only and any(s in scopes.LEGACY for s in requested))
    ):
        return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
    challenge = args.get("code_challenge")
    if challenge and args.get("code_challenge_method") != "S256":
        return _redirect(redirect_uri, {"error": "invalid_request", "state": state})
    if app.client_secret is None and not challenge:
        return _redirect(redirect_uri, {"error": "invalid_request", "state": state})
    consent = box.identity.start_consent(
        client_id, redirect_uri, requested, state, challenge, args.get("nonce")
    )
    if config.auto_approve:
        tenants = config.auto_approve_tenants or tuple(box.tenant_names())
        code = box.identity.approve(consent, tenants)
        return _redirect(redirect_uri, {"code": code, "scope": " ".join(requested), "state": state})
    return _consent_page(consent)


@blueprint.post("/identity/connect/authorize")
def decide() -> Response:
    """The consent form: Allow (with the chosen organisations) or Cancel."""
    box = sandbox()
    consent = box.identity.consent(request.form.get("consent_id", ""))
    if consent is None:
        return _error_page("This authorisation request has expired; start again.")
    if request.form.get("decision") != "allow":
        box.identity.deny(consent)
        return _redirect(consent.redirect_uri, {"error": "access_denied", "state": consent.state})
    known = box.tenant_names()
    chosen = tuple(t for t in request.form.getlist("tenant") if t in known)
    if scopes.grants_tenant_access(set(consent.scopes)) and not chosen:
        return _consent_page(consent, "Choose at least one organisation.")
    code = box.identity.approve(consent, chosen)
    return _redirect(
        consent.redirect_uri,
        {"code": code, "scope": " ".join(consent.scopes), "state": consent.state},
    )


def _authenticated_client() -> str:
    """The client the request names (Basic header, else the form), once its secret checks
    out; GrantError if it does not."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise GrantError("invalid_client", 401) from None
        client_id, _, secret = decoded.partition(":")
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret")
    sandbox().identity.authenticate_client(client_id, secret)
    return client_id


def _oauth_error(error: GrantError) -> Response:
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    response = jsonify(body)
    response.status_code = error.status
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/identity/connect/token")
def token() -> Response:
    """``authorization_code`` and ``refresh_token`` grants."""
    box = sandbox()
    try:
        client_id = _authenticated_client()
        grant_type = request.form.get("grant_type", "")
        if grant_type == "authorization_code":
            body = box.identity.exchange_code(
                client_id,
                request.form.get("code", ""),
                request.form.get("redirect_uri", ""),
                request.form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            body = box.identity.refresh(client_id, request.form.get("refresh_token", ""))
        else:
            raise GrantError("unsupported_grant_type")
    except GrantError as error:
        return _oauth_error(error)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/identity/connect/revocation")
def revocation() -> Response:
    """Revoke a refresh (or access) token; the user's connections for the app go too."""
    box = sandbox()
    try:
        client_id = _authenticated_client()
    except GrantError as error:
        return _oauth_error(error)
    box.identity.revoke(client_id, request.form.get("token", ""))
    return Response(status=200)


def _bearer_client() -> str | Response:
    header = request.headers.get("Authorization", "")
    verified = (
        sandbox().identity.verify(header[7:].strip())
        if header.lower().startswith("bearer ")
        else "AuthenticationUnsuccessful"
    )
    if isinstance(verified, str):
        return problem(
            401, "Unauthorized", verified, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    return verified.client_id


@blueprint.get("/connections")
def list_connections() -> Response:
    """The tenants the token's user has connected to the app (optionally one auth event's)."""
    client = _bearer_client()
    if isinstance(client, Response):
        return client
    event = request.args.get("authEventId")
    rows = [
        c.as_json()
        for c in sandbox().identity.connections(client)
        if event is None or c.auth_event_id == event
    ]
    return json_response(rows)


@blueprint.delete("/connections/<connection_id>")
def delete_connection(connection_id: str) -> Response:
    """Disconnect one tenant by connection id: 204, or 404 if unknown."""
    client = _bearer_client()
    if isinstance(client, Response):
        return client
    if not sandbox().identity.disconnect(client, connection_id):
        return problem(404, "Not Found", "Connection not found")
    return Response(status=204)
