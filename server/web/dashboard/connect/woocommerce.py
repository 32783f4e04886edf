"""WooCommerce: send the store admin to the store's wc-auth page, take the keys WooCommerce
posts back, show the outcome, keys by hand, "test connection", disconnect."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request
from flask_login import login_required
from redis.exceptions import RedisError
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.connections import ConnectError
from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connectors.base import ConnectorError
from server.extensions import csrf
from server.jobs.tasks.inbound import set_up_woocommerce
from server.web.dashboard.connect import bp
from server.web.dashboard.connect.common import (
    WORDPRESS_MAIN_PAGE,
    actor,
    back_to,
    operator_or_store_admin,
    store_or_404,
)
from server.web.inputs import BrowserForm

logger = logging.getLogger(__name__)


class KeysForm(BrowserForm):
    consumer_key = StringField("Consumer key", validators=[DataRequired(), Length(max=100)])
    consumer_secret = PasswordField("Consumer secret", validators=[DataRequired(), Length(max=100)])


def _set_up(store_id: int) -> None:
    try:
        set_up_woocommerce.enqueue(store_id)
    except RedisError as error:
        logger.warning("could not enqueue the WooCommerce set-up of store %s: %s", store_id, error)


@bp.post("/woocommerce/connect/<public_id>")
@login_required
def woocommerce_connect_start(public_id: str) -> Response:
    store = store_or_404(public_id)
    try:
        return redirect(woo_connect.begin(store, actor()))
    except ConnectorError as error:
        flash(error.message, "error")
    except RedisError as error:
        logger.warning("could not start the WooCommerce authorisation: %s", error)
        flash("The authorisation could not be started (Redis is unavailable). Try again.", "error")
    return redirect(back_to(store))


@bp.post("/woocommerce/auth-callback/<token>")
@csrf.exempt
def woocommerce_auth_callback(token: str) -> tuple[str, int]:
    """WooCommerce posts the new keys here; it needs a 2xx to go on."""
    try:
        store = woo_connect.accept_keys(token, request.get_data(cache=False))
    except ConnectError as error:
        logger.warning("refused WooCommerce keys: %s", error)
        return "", 400
    _set_up(store.id)
    return "", 200


@bp.get("/woocommerce/return/<public_id>")
@operator_or_store_admin
def woocommerce_return(public_id: str) -> tuple[str, int] | str:
    """Where wc-auth sends the person back: an operator, or the store admin who granted
    access from the dashboard (then sent back to WordPress)."""
    store = store_or_404(public_id)
    back = back_to(store, WORDPRESS_MAIN_PAGE)
    if request.args.get("success") != "1":
        message = "WooCommerce access was refused in the store, so nothing was connected."
        return render_template(
            "connect/result.html",
            service="WooCommerce",
            ok=False,
            message=message,
            back=back,
        ), 400
    connection = woo_access.connection_for_store(store.id)
    if connection is None or not connection.consumer_key:
        message = "The store approved access, but its keys have not arrived. Try again."
        return render_template(
            "connect/result.html",
            service="WooCommerce",
            ok=False,
            message=message,
            back=back,
        ), 400
    return render_template(
        "connect/result.html", service="WooCommerce", ok=True, back=back,
        message="WooCommerce is connected. Its webhooks are being set up.",
    )  # fmt: skip


@bp.route("/woocommerce/keys/<public_id>", methods=["GET", "POST"])
@login_required
def woocommerce_keys(public_id: str) -> Response | str:
    store = store_or_404(public_id)
    form = KeysForm()
    if form.validate_on_submit():
        try:
            info = woo_connect.save_manual_keys(
                store, form.consumer_key.data or "", form.consumer_secret.data or ""
            )
        except ConnectError as error:
            flash(str(error), "error")
        else:
            _set_up(store.id)
            flash(f"Connected to WooCommerce {info.woocommerce_version} ({info.currency}).")
            return redirect(back_to(store))
    return render_template("connect/woocommerce_keys.html", store=store, form=form)


@bp.post("/woocommerce/test/<public_id>")
@login_required
def woocommerce_test(public_id: str) -> Response:
    store = store_or_404(public_id)
    try:
        info = woo_connect.test(store)
    except ConnectError as error:
        flash(f"The store did not answer as it should: {error}", "error")
    else:
        taxes = "including" if info.prices_include_tax else "excluding"
        flash(
            f"WooCommerce {info.woocommerce_version} on WordPress {info.wordpress_version} "
            f"answers; prices in {info.currency}, {taxes} tax."
        )
    return redirect(back_to(store))


@bp.post("/woocommerce/disconnect/<public_id>")
@login_required
def woocommerce_disconnect(public_id: str) -> Response:
    store = store_or_404(public_id)
    left = woo_connect.disconnect(store, actor())
    if left:
        flash(
            f"WooCommerce disconnected and the keys erased, but {left} of wooxero's webhooks "
            "could not be removed from the store: delete them in WooCommerce > Settings > "
            "Advanced > Webhooks (their deliveries are refused meanwhile).",
            "error",
        )
    else:
        flash("WooCommerce disconnected: its webhooks were removed and the keys erased.")
    return redirect(back_to(store))
