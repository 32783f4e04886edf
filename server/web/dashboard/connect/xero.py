"""Xero: start the consent (top-level, Xero cannot be framed), take the callback, let the
person choose among several organisations, disconnect. Operators for any store; a store's
admin from the dashboard (started with a one-time token, see `server.web.dashboard.pages`),
for theirs."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from server.connections import ConnectError
from server.connections.xero import connect as xero_connect
from server.connectors.base import ConnectorError
from server.extensions import db
from server.models import Store
from server.web.dashboard.connect import bp
from server.web.dashboard.connect.common import actor as _actor
from server.web.dashboard.connect.common import back_to as _back
from server.web.dashboard.connect.common import operator_or_store_admin
from server.web.dashboard.connect.common import store_or_404 as _store


@bp.post("/xero/connect/<public_id>")
@login_required
def xero_connect_start(public_id: str) -> Response:
    store = _store(public_id)
    try:
        return redirect(xero_connect.begin(store, _actor()))
    except ConnectorError as error:
        flash(error.message, "error")
        return redirect(_back(store))


@bp.get("/xero/callback")
@operator_or_store_admin
def xero_callback() -> Response | tuple[str, int]:
    if request.args.get("error"):
        reason = (
            "You declined." if request.args["error"] == "access_denied" else request.args["error"]
        )
        return render_template(
            "connect/result.html",
            service="Xero",
            ok=False,
            message=f"Xero was not connected. {reason}",
        ), 400
    try:
        pending = xero_connect.take_pending(request.args.get("state", ""), _actor())
        tenants = xero_connect.complete(pending, request.args.get("code", ""))
    except ConnectError as error:
        return render_template(
            "connect/result.html", service="Xero", ok=False, message=str(error)
        ), 400
    store = db.session.get(Store, pending.store_id)
    assert store is not None
    if tenants:
        return redirect(url_for("connect.xero_choose", public_id=store.public_id))
    return redirect(url_for("connect.xero_connected", public_id=store.public_id))


@bp.route("/xero/choose/<public_id>", methods=["GET", "POST"])
@operator_or_store_admin
def xero_choose(public_id: str) -> Response | str | tuple[str, int]:
    store = _store(public_id)
    if request.method == "POST":
        try:
            xero_connect.choose(store, request.form.get("tenant_id", ""))
        except ConnectError as error:
            return render_template(
                "connect/result.html", service="Xero", ok=False, message=str(error)
            ), 400
        return redirect(url_for("connect.xero_connected", public_id=store.public_id))
    tenants = xero_connect.choices(store)
    if not tenants:
        return render_template(
            "connect/result.html",
            service="Xero",
            ok=False,
            message="Nothing to choose now. Start again.",
        ), 400
    return render_template("connect/choose.html", store=store, tenants=tenants)


@bp.get("/xero/connected/<public_id>")
@operator_or_store_admin
def xero_connected(public_id: str) -> str:
    store = _store(public_id)
    connection = store.xero_connection
    name = connection.tenant_name if connection else ""
    return render_template(
        "connect/result.html", service="Xero", ok=True, back=_back(store),
        message=f"Connected to the Xero organisation {name}.",
    )  # fmt: skip


@bp.post("/xero/disconnect/<public_id>")
@login_required
def xero_disconnect(public_id: str) -> Response:
    store = _store(public_id)
    try:
        xero_connect.disconnect(store, _actor())
    except ConnectError as error:
        flash(str(error), "error")
    else:
        flash("Xero disconnected. Bindings and mappings are kept for when it is connected again.")
    return redirect(_back(store))
