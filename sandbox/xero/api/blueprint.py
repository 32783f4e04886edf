"""The Accounting API endpoint: authentication, tenant, scope, limits, faults, validation,
idempotency, then the resource handlers.

Sourced: 401 problem bodies with ``TokenExpired: token expired at …`` (pyxero#337); 403
``AuthenticationUnsuccessful`` for a tenant the token is not connected to or a missing
``xero-tenant-id`` (xero-node#432, NangoHQ/nango#203 — the brief's "AuthorizationUnsuccessful"
is what Xero answers with 401 for a missing scope, Xero-NetStandard#298/#178). Assumed: the
``WWW-Authenticate`` value, the 500/503 texts, and that spec validation happens after rate
limiting (an invalid call still counts). Xero answers in XML unless the request accepts
``application/json`` ("requests and responses" guide); the sandbox speaks only JSON, so it
answers such a request 406 and records it as a violation instead.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, Response, request

from ...common.faults import add_latency, drop_connection_after_work
from ..formats import loads
from ..identity import scopes
from ..state import Sandbox, sandbox
from .idempotency import StoredResponse, fingerprint
from .responses import not_found, post_data_invalid, problem, validation_exception
from .routes import Call, dispatch
from .spec import SpecRequest

blueprint = Blueprint("xero_api", __name__)
_SUB_RESOURCES = {"Allocations", "Options", "History", "Attachments", "pdf", "Actions"}
_RATE_HEADERS = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")
_SERVER_ERRORS = {
    500: (
        "An error occurred",
        "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
        "for current service status.",
    ),
    503: ("Service Unavailable", "The Xero API is temporarily unavailable. Try again later."),
}
_RANDOM_ERRORS = (500, 503)
"""What ``error_rate`` answers with, picked at random."""


def _label(method: str, parts: list[str]) -> str:
    shown = [parts[0], *(p if p in _SUB_RESOURCES else "{id}" for p in parts[1:])]
    return f"{method} /{'/'.join(shown)}"


def _unauthorised(detail: str) -> Response:
    challenge = 'Bearer error="invalid_token"'
    if detail.startswith("TokenExpired"):
        challenge += ', error_description="The access token expired"'
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": challenge})


def _fault_response(status: int) -> Response:
    title, detail = _SERVER_ERRORS.get(
        status, (HTTPStatus(status).phrase, HTTPStatus(status).phrase)
    )
    headers = {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"} if status == 429 else None
    return problem(status, title, detail, headers)


def _spec_failure(box: Sandbox, path: str, reasons: list[str]) -> Response:
    box.record_violation(request.method, path, reasons)
    if any(r.startswith(("Path not found", "Operation not found")) for r in reasons):
        return not_found()
    if any(r.startswith("Request body") or "body" in r.split(":")[0].lower() for r in reasons):
        return post_data_invalid(" ".join(reasons))
    return validation_exception([], "; ".join(reasons))


@blueprint.route("/api.xro/2.0/<path:subpath>", methods=["GET", "PUT", "POST", "DELETE"])
def accounting(subpath: str) -> Response:
    """Every Accounting API call."""
    box = sandbox()
    parts = [p for p in subpath.split("/") if p]
    path = "/" + "/".join(parts)
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return problem(
            401, "Unauthorized", "AuthenticationUnsuccessful", {"WWW-Authenticate": "Bearer"}
        )
    verified = box.identity.verify(header[7:].strip())
    if isinstance(verified, str):
        return _unauthorised(verified)
    tenant = box.ledger.get(request.headers.get("xero-tenant-id", "").strip().lower())
    if tenant is None or not box.identity.is_connected(verified.client_id, tenant.tenant_id):
        return problem(403, "Forbidden", "AuthenticationUnsuccessful")
    if not scopes.allowed(parts[0], request.method != "GET", set(verified.scopes)):
        return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
    config = box.config()
    if box.faults.chance(config.throttle_rate):
        box.faults.injected("429")
        retry_after = box.faults.number(1, max(1, config.throttle_retry_after))
        admission = box.limiter.throttled(verified.client_id, tenant.tenant_id, retry_after)
    else:
        admission = box.limiter.admit(
            verified.client_id, tenant.tenant_id, _label(request.method, parts)
        )
    if admission.problem is not None:
        limited = problem(
            429, "Too Many Requests", f"You have exceeded the per {admission.problem} rate limit."
        )
        limited.headers.update(admission.headers)
        return limited
    try:
        response = _process(box, verified.client_id, tenant.tenant_id, parts, path)
    finally:
        box.limiter.release(verified.client_id, tenant.tenant_id)
    response.headers.update(admission.headers)
    return response


def _process(box: Sandbox, client_id: str, tenant_id: str, parts: list[str], path: str) -> Response:
    config = box.config()
    add_latency(config.latency_ms)
    if box.faults.chance(config.latency_spike_rate):
        box.faults.injected("latency_spike")
        add_latency(config.latency_spike_ms)
    fault = box.faults.take(request.method, (request.path, path))
    if fault is not None and fault.status is not None:
        return _fault_response(fault.status)
    if fault is None and box.faults.chance(config.error_rate):
        status = box.faults.choice(_RANDOM_ERRORS)
        box.faults.injected(str(status))
        return _fault_response(status)
    if fault is None and box.faults.chance(config.server_error_rate):
        box.faults.injected("500")
        return _fault_response(500)
    if fault is not None and fault.drop_response:
        drop_connection_after_work()
    elif box.faults.chance(config.drop_response_rate):
        box.faults.injected("dropped")
        drop_connection_after_work()
    if "application/json" not in request.headers.get("Accept", ""):
        reason = "Accept lacks application/json: Xero would answer in XML"
        box.record_violation(request.method, path, [reason])
        return Response(reason, 406, content_type="text/plain")
    raw = request.get_data()
    reasons = box.spec.errors(
        SpecRequest(
            request.method,
            path,
            request.args.to_dict(),
            dict(request.headers),
            raw,
            request.content_type or "",
        )
    )
    if reasons:
        return _spec_failure(box, path, reasons)
    try:
        body = loads(raw) if raw else None
    except ValueError as exc:
        return post_data_invalid(str(exc))
    key = request.headers.get("Idempotency-Key") if request.method in {"PUT", "POST"} else None
    if key is None:
        return _handle(box, client_id, tenant_id, parts, body)
    if len(key) > 128:
        return validation_exception([], "The Idempotency-Key must be 128 characters or fewer.")
    claimed = box.idempotency.claim(
        client_id, key, fingerprint(request.method, request.full_path, tenant_id, raw)
    )
    if claimed == "mismatch":
        return validation_exception([], f"Idempotency Key {key} is used with a different request.")
    if isinstance(claimed, StoredResponse):
        return Response(claimed.body, claimed.status, claimed.headers)
    try:
        response = _handle(box, client_id, tenant_id, parts, body)
    except BaseException:
        box.idempotency.abandon(client_id, key)
        raise
    headers = [(k, v) for k, v in response.headers.items() if k not in _RATE_HEADERS]
    box.idempotency.finish(
        client_id, key, StoredResponse(response.status_code, headers, response.get_data())
    )
    return response


def _handle(
    box: Sandbox, client_id: str, tenant_id: str, parts: list[str], body: object
) -> Response:
    api_base = request.host_url.rstrip("/") + "/api.xro/2.0"
    config = box.config()
    with box.ledger.lock:
        tenant = box.ledger.get(tenant_id)
        assert tenant is not None
        call = Call(
            request.method,
            parts,
            request.args.to_dict(),
            request.headers.get("If-Modified-Since"),
            body,
            box.context(tenant, api_base, 4 if request.args.get("unitdp") == "4" else 2),
            config.clients[client_id].name,
            box.spec.schemas,
        )
        return dispatch(call)
