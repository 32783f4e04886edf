"""``/_sandbox/*``: what tests and demos use to look inside and steer the store."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .render import orders as render_orders
from .render import resources as render_resources
from .state import Sandbox, sandbox
from .store import activity, catalog, people
from .webhooks.storm import Storm

blueprint = Blueprint("wc_sandbox_inspect", __name__, url_prefix="/_sandbox")


def _bad(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _box() -> Sandbox:
    box = sandbox()
    box.ensure_seeded(request.host_url)
    return box


def _rng(box: Sandbox) -> random.Random:
    return random.Random(f"{box.config().seed}:{box.store.next_comment_id()}")  # noqa: S311


def _guarded(change: Callable[[], Any]) -> Any:
    try:
        return change()
    except (activity.ActivityError, ValueError, KeyError, TypeError) as exc:
        return _bad(str(exc))


@blueprint.get("/keys")
def keys() -> Response:
    """API keys: id, permissions, consumer key and secret, last access."""
    box = _box()
    with box.store.lock:
        return jsonify(
            [
                {
                    "key_id": k.key_id,
                    "user_id": k.user_id,
                    "description": k.description,
                    "permissions": k.permissions,
                    "consumer_key": k.consumer_key,
                    "consumer_secret": k.consumer_secret,
                    "truncated_key": k.truncated_key,
                    "last_access": k.last_access.isoformat() if k.last_access else None,
                }
                for k in box.store.keys.values()
            ]
        )


@blueprint.post("/keys")
def add_key() -> Response:
    """Register another key: ``{"permissions": "read"}`` (keys are generated)."""
    box = _box()
    permissions = str(_body().get("permissions", "read_write"))
    if permissions not in ("read", "write", "read_write"):
        return _bad("permissions must be read, write or read_write")
    key = box.store.add_key(
        "ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20), permissions, "sandbox key"
    )
    return jsonify(
        {
            "key_id": key.key_id,
            "consumer_key": key.consumer_key,
            "consumer_secret": key.consumer_secret,
            "permissions": permissions,
        }
    )


@blueprint.get("/webhooks")
def webhooks() -> Response:
    """Webhook states, including secrets and failure counts, and queued actions."""
    box = _box()
    with box.store.lock:
        states = [
            {
                **render_resources.webhook(box.view(), w),
                "secret": w.secret,
                "failure_count": w.failure_count,
                "user_id": w.user_id,
                "api_version": w.api_version,
            }
            for w in box.store.webhooks.values()
        ]
    return jsonify({"webhooks": states, "pending": box.webhooks.pending()})


@blueprint.get("/deliveries")
def deliveries() -> Response:
    """The delivery log (pings, deliveries, storm deliveries) with response statuses."""
    log = _box().webhooks.log()
    kind = request.args.get("kind")
    webhook_id = request.args.get("webhook_id")
    return jsonify(
        [
            entry
            for entry in log
            if (not kind or entry["kind"] == kind)
            and (not webhook_id or str(entry["webhook_id"]) == webhook_id)
        ]
    )


@blueprint.get("/calls")
def calls() -> Response:
    """REST calls per method and route, and per status."""
    return jsonify(_box().calls())


@blueprint.get("/auth-log")
def auth_log() -> Response:
    """wc-auth callback POSTs and their outcome."""
    box = _box()
    with box.store.lock:
        return jsonify(list(box.auth_log))


@blueprint.route("/faults", methods=["GET", "POST"])
def faults() -> Response:
    """Queue one-shot faults (an object or a list) or list the pending ones."""
    box = _box()
    if request.method == "POST":
        try:
            box.faults.add_json(request.get_json(silent=True))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    return jsonify({"pending": box.faults.pending()})


@blueprint.post("/config")
def config() -> Response:
    """Change runtime settings (fault knobs, delivery delay, ``fail_all_deliveries``, host
    quirks such as ``strip_authorization_header`` …)."""
    try:
        settings = _box().update_config(_body())
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify(settings)


@blueprint.post("/reset")
def reset() -> Response:
    """Regenerate the data; forget webhooks, keys added since, calls, faults and the log."""
    _box().reset()
    return jsonify({"reset": True})


@blueprint.post("/orders")
def place_order() -> Response:
    """A shopper places an order: ``{lines, customer_id, coupons, fees, currency, country,
    state, payment_method, status, …}``; without ``status`` its gateway takes the payment."""
    box = _box()

    def run() -> Response:
        with box.store.lock:
            order = activity.place_order(box.store, _rng(box), _body())
            return jsonify(render_orders.order(box.view(), order))

    return _guarded(run)


@blueprint.post("/orders/<int:order_id>")
def change_order(order_id: int) -> Response:
    """Change an order: ``{"kind": "status"|"pay"|"edit"|"refund"|"meta"|"trash"|"restore"|
    "delete"}``; a refund takes ``via`` (admin, rest, function), ``amount``, ``line_items``,
    ``reason``, ``api_refund`` (see ``store.refund_paths``)."""
    box = _box()

    def run() -> Response:
        with box.store.lock:
            order = box.store.orders.get(order_id)
            if order is None:
                return _bad("no such order", 404)
            body = _body()
            activity.change_order(box.store, _rng(box), order, body)
            if body.get("kind") == "delete":
                return jsonify({"deleted": order_id})
            return jsonify(render_orders.order(box.view(), order))

    return _guarded(run)


@blueprint.post("/customers")
def add_customer() -> Response:
    """Register a customer: ``{"email", "first_name", "last_name"}``."""
    box = _box()
    body = _body()

    def run() -> Response:
        with box.store.lock:
            customer = people.create(
                box.store,
                str(body["email"]),
                str(body.get("first_name", "")),
                str(body.get("last_name", "")),
            )
            return jsonify(render_resources.customer(box.view(), customer))

    return _guarded(run)


@blueprint.post("/customers/<int:customer_id>")
def change_customer(customer_id: int) -> Response:
    """Update (``{"kind": "update", …fields}``) or delete (``{"kind": "delete"}``) a customer."""
    box = _box()
    body = _body()
    with box.store.lock:
        customer = box.store.customers.get(customer_id)
        if customer is None:
            return _bad("no such customer", 404)
        if body.get("kind") == "delete":
            people.delete(box.store, customer)
            return jsonify({"deleted": customer_id})
        people.update(box.store, customer, body)
        return jsonify(render_resources.customer(box.view(), customer))


@blueprint.post("/products")
def add_product() -> Response:
    """Create a product: ``{"name", "regular_price", "sku", "tax_class", …}``."""
    box = _box()
    with box.store.lock:
        product = catalog.create(box.store, _body())
        return jsonify(render_resources.product(box.view(), product))


@blueprint.post("/products/<int:product_id>")
def change_product(product_id: int) -> Response:
    """``{"kind": "update"|"trash"|"restore"|"delete", …fields}``."""
    box = _box()
    body = _body()
    with box.store.lock:
        product = box.store.products.get(product_id)
        if product is None:
            return _bad("no such product", 404)
        kind = body.get("kind", "update")
        actions: dict[str, Callable[[], None]] = {
            "update": lambda: catalog.update(box.store, product, body),
            "trash": lambda: catalog.trash(box.store, product),
            "restore": lambda: catalog.untrash(box.store, product),
            "delete": lambda: catalog.delete(box.store, product),
        }
        if kind not in actions:
            return _bad(f"unknown change {kind}")
        actions[kind]()
        if kind == "delete":
            return jsonify({"deleted": product_id})
        return jsonify(render_resources.product(box.view(), product))


@blueprint.route("/storm", methods=["GET", "POST"])
def storm() -> Response:
    """Start a storm (POST, ``"live": true`` to apply revisions as it runs) or report on the
    last one (GET; ``?details=0`` skips the per-delivery list and the orders' final states)."""
    box = _box()
    if request.method == "GET":
        if box.storm is None:
            return _bad("no storm yet", 404)
        return jsonify(box.storm.report(request.args.get("details", "1") != "0"))
    if box.storm is not None and box.storm.state in ("planning", "running"):
        return _bad("a storm is already running", 409)
    try:
        box.storm = Storm(box.view(), box.webhooks, _body(), box.config().seed)
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify(box.storm.report(False))
