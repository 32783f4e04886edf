"""``/wp-json/*``: host quirks, faults, authentication, routing, parameters and JSON output.

Order of checks, as in WordPress 6.1 with WooCommerce: the host's redirect
(``redirect_rest_to``, a 301 before PHP runs) → faults → WooCommerce authentication (only for
``wc/`` routes; with ``strip_authorization_header`` the request has no ``Authorization``
header, so only query-string keys or query/body OAuth remain) → the key's read/write
permission (``rest_pre_dispatch``, before routing) → route match (``rest_no_route``) → JSON
body → the handler, which validates its parameters before checking permission
(``rest_invalid_param`` wins over 401, as in WordPress). A successful reply then goes through
``_fields`` (``rest_filter_response_fields``, see ``fields``) and, with
``omit_total_headers``, loses ``X-WP-Total``/``X-WP-TotalPages`` on its way out.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request

from ...common.faults import add_latency, drop_connection, drop_connection_after_work
from .. import pages
from ..faults import Fault
from ..php import phpjson
from ..state import Sandbox, sandbox
from . import auth
from .errors import RestError, no_route
from .fields import filter_fields
from .params import Params, php_query
from .router import Call, Reply

blueprint = Blueprint("wc_rest", __name__)

_BASE_HEADERS = {
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
    "Access-Control-Allow-Headers": (
        "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"
    ),
}


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A REST response body as ``wp_json_encode`` writes it."""
    response = Response(
        phpjson.encode(data), status, content_type="application/json; charset=UTF-8"
    )
    for name, value in {**_BASE_HEADERS, **(headers or {})}.items():
        response.headers[name] = value
    return response


def error_reply(error: RestError, headers: dict[str, str] | None = None) -> Response:
    """A ``WP_Error`` response."""
    return json_reply(error.body(), error.status, headers)


def is_ssl() -> bool:
    """https, or behind a proxy that says so (see ``auth``)."""
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "") == "https"


@blueprint.route(
    "/wp-json", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
)
@blueprint.route(
    "/wp-json/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
)
@blueprint.route(
    "/wp-json/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
)
def serve(path: str) -> Response:
    """Serve one REST request."""
    box = sandbox()
    box.ensure_seeded(request.host_url)
    moved = box.config().redirect_rest_to
    if moved:
        return _moved(moved)
    route_path = "/" + path.strip("/")
    injected = _faults(box, route_path)
    if injected is not None:
        return injected
    return _dispatch(box, route_path)


def _moved(target: str) -> Response:
    """A ``301`` to ``target`` plus the request's own path and query as sent (werkzeug then
    percent-encodes anything outside URI syntax, e.g. ``[]``)."""
    uri = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if not uri:
        query = request.query_string.decode("latin-1")
        uri = quote(request.path) + (f"?{query}" if query else "")
    response = Response(b"", 301, content_type="text/html; charset=UTF-8")
    response.headers["Location"] = target.rstrip("/") + uri
    return response


def _faults(box: Sandbox, route_path: str) -> Response | None:
    config = box.config()
    method = request.method
    fault = box.faults.take(method, (request.path, route_path, route_path.removeprefix("/wc/v3")))
    add_latency(config.latency_ms)
    if fault is not None:
        return _apply_fault(fault)
    if box.faults.chance(config.error_rate):
        return _fatal(500)
    return None


def _apply_fault(fault: Fault) -> Response | None:
    add_latency(fault.latency_ms)
    if fault.drop == "before":
        drop_connection()
        return Response(b"", 500)
    if fault.drop == "after":
        drop_connection_after_work()
    if fault.retry_after is not None:
        response = Response(
            pages.too_many_requests(), fault.status or 429, content_type="text/html"
        )
        response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.html:
        return Response(
            pages.critical_error(), fault.status or 500, content_type="text/html; charset=UTF-8"
        )
    if fault.status is not None:
        return _fatal(fault.status)
    return None


def _fatal(status: int) -> Response:
    """WordPress's JSON answer to a PHP fatal error in a REST request."""
    body = {
        "code": "internal_server_error",
        "message": pages.CRITICAL_ERROR,
        "data": {"status": status},
        "additional_errors": [],
    }
    return json_reply(body, status)


def _dispatch(box: Sandbox, route_path: str) -> Response:
    store = box.store
    method = "GET" if request.method == "HEAD" else request.method
    query = php_query(request.query_string.decode("latin-1"))
    form = (
        php_query(request.get_data(as_text=True))
        if request.mimetype == "application/x-www-form-urlencoded"
        else {}
    )
    config = box.config()
    identity = auth.Identity(None, "")
    if route_path.startswith(("/wc/", "/wc-")):
        authorization = (
            "" if config.strip_authorization_header else request.headers.get("Authorization", "")
        )
        identity = auth.authenticate(
            store,
            ssl=is_ssl(),
            method=method,
            base_url=box.view(is_ssl()).home + request.path.lstrip("/"),
            query=query,
            form=form,
            authorization=authorization,
            basic=auth.parse_basic(authorization),
        )
    matched = box.router.match(route_path)
    name = f"{method} {matched[0].pattern if matched else route_path}"
    if identity.error is not None:
        headers = {}
        if identity.method == "basic_auth":
            headers["WWW-Authenticate"] = (
                'Basic realm="WooCommerce API. Use a consumer key in the username field and a '
                'consumer secret in the password field."'
            )
        return _counted(box, name, error_reply(identity.error, headers))
    if identity.key is not None:
        refusal = auth.check_permissions(identity.key, method)
        if refusal is not None:
            return _counted(box, name, error_reply(refusal))
        identity.key.last_access = store.now()
    if matched is None or method not in matched[0].endpoints:
        return _counted(box, name, error_reply(no_route()))
    route, url_params = matched
    body: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH") and request.mimetype == "application/json":
        raw = request.get_data(as_text=True)
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError:
                error = RestError(
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                    400,
                    json_error_code=4,
                    json_error_message="Syntax error",
                )
                return _counted(box, name, error_reply(error))
            body = parsed if isinstance(parsed, dict) else {}
    endpoint = route.endpoints[method]
    call = Call(
        store,
        box.view(is_ssl()),
        method,
        Params({**query, **form, **body}),
        query,
        identity.key,
        url_params,
        endpoint.action,
        endpoint.public,
    )
    try:
        reply: Reply = endpoint.handler(call)
        call.permit()
    except RestError as error:
        return _counted(box, name, error_reply(error))
    headers = {"Allow": ", ".join(sorted(route.endpoints)), **reply.headers}
    if config.omit_total_headers:
        headers.pop("X-WP-Total", None)
        headers.pop("X-WP-TotalPages", None)
    data = reply.data
    if reply.status < 400 and call.params.has("_fields"):
        data = filter_fields(data, call.params.raw("_fields"))
    return _counted(box, name, json_reply(data, reply.status, headers))


def _counted(box: Sandbox, name: str, response: Response) -> Response:
    box.count_call(name, response.status_code)
    return response
