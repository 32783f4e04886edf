"""``/_sandbox/*``: what tests and demos use to look inside and steer the sandbox."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .api.context import Context
from .api.resources import contacts, documents, items, payments, settings
from .api.responses import json_response
from .formats import now_utc
from .state import sandbox
from .store import Row

blueprint = Blueprint("xero_sandbox_inspect", __name__, url_prefix="/_sandbox")


def _bad_request(message: str) -> Response:
    return json_response({"error": message}, 400)


@blueprint.get("/calls")
def calls() -> Response:
    """Per tenant: calls by operation, peak minute window, peak and current calls in flight,
    429s by problem."""
    return json_response(sandbox().limiter.stats())


@blueprint.get("/tenants")
def tenants() -> Response:
    """The seeded organisations."""
    box = sandbox()
    with box.ledger.lock:
        rows = [
            {
                "tenantId": t.tenant_id,
                "name": t.spec.name,
                "country": t.spec.country,
                "baseCurrency": t.spec.base_currency,
                "currencies": sorted(t.currencies),
                "class": t.spec.org_class,
            }
            for t in box.ledger.tenants.values()
        ]
    return json_response(rows)


def _render(ctx: Context, collection: str, row: Row) -> Row:
    if collection in documents.KINDS:
        return documents.render(ctx, documents.KINDS[collection], row)
    if collection == "Contacts":
        return contacts.render(row)
    if collection == "Items":
        return items.render(row, ctx.unitdp)
    if collection == "Payments":
        return payments.render(ctx, row)
    if collection == "TrackingCategories":
        return settings.render_tracking_category(row, True)
    return dict(row)


@blueprint.get("/objects/<tenant_id>/<collection>")
def objects(tenant_id: str, collection: str) -> Response:
    """Every stored object of a collection (archived and deleted too), as Xero renders it."""
    box = sandbox()
    with box.ledger.lock:
        tenant = box.ledger.get(tenant_id.lower())
        if tenant is None:
            return json_response({"error": "unknown tenant"}, 404)
        if collection == "Organisation":
            return json_response({"Organisations": [tenant.organisation]})
        if collection not in tenant.collections:
            return json_response({"error": "unknown collection"}, 404)
        ctx = Context(tenant, now_utc(), 4 if request.args.get("unitdp") == "4" else 2)
        rows = [_render(ctx, collection, row) for row in tenant.rows(collection).values()]
        return json_response({collection: rows})


@blueprint.get("/violations")
def violations() -> Response:
    """Requests that failed OpenAPI validation, with the reasons."""
    return json_response(sandbox().violations())


@blueprint.get("/webhooks")
def webhooks() -> Response:
    """Webhook delivery attempts so far."""
    return json_response(sandbox().webhooks.deliveries())


@blueprint.post("/config")
def config() -> Response:
    """Change limits and fault knobs at run time; answers the resulting settings."""
    changes = request.get_json(silent=True)
    if not isinstance(changes, dict):
        return _bad_request("send a JSON object of settings")
    try:
        settings = sandbox().update_config(changes)
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response(settings)


@blueprint.post("/reset")
def reset() -> Response:
    """Reseed everything; ``{"identity": false}`` keeps tokens and connections."""
    body = request.get_json(silent=True) or {}
    sandbox().reset(identity=bool(body.get("identity", True)))
    return json_response({"reset": True})


@blueprint.get("/faults")
def injected_faults() -> Response:
    """The pending one-shot faults, and how many random faults of each kind (``429``,
    ``500``, ``503``, ``dropped``, ``latency_spike``) were done so far."""
    box = sandbox()
    return json_response({"pending": box.faults.pending(), "injected": box.faults.tally()})


@blueprint.post("/faults")
def faults() -> Response:
    """Queue one-shot faults: an object or a list of ``{path, method, status|drop_response,
    count}``."""
    box = sandbox()
    try:
        box.faults.add_json(request.get_json(silent=True))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response({"pending": box.faults.pending()})


@blueprint.post("/tokens/expire")
def expire_tokens() -> Response:
    """Make every access token issued so far expired."""
    sandbox().identity.expire_access_tokens()
    return json_response({"expired": True})


@blueprint.post("/webhooks/intent-to-receive")
def intent_to_receive() -> Response:
    """Run Xero's intent-to-receive check against the configured webhook URL."""
    return json_response(sandbox().webhooks.intent_to_receive())
