"""The ways into the dashboard: the embed link the plugin opens in its iframe, and the
connect buttons that leave it for a top-level window (Xero cannot be framed; wc-auth runs
in the store itself)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, redirect, render_template, request, session, url_for

from server.connections.woocommerce import connect as woo_connect
from server.connections.xero import connect as xero_connect
from server.connectors.base import ConnectorError
from server.extensions import csrf, current_config, db
from server.models import Store
from server.web.bridge import embeds
from server.web.dashboard import sessions as access
from server.web.dashboard.pages import TITLES, bp, expired


@bp.get("/embed")
def embed() -> Response | tuple[Response, int]:
    """Exchange a one-time token for a session bound to its store, then show the page."""
    redeemed = embeds.redeem(request.args.get("token", ""))
    if redeemed is None or redeemed[1] not in TITLES:
        return expired()
    store_id, target = redeemed
    store = db.session.get(Store, store_id)
    if store is None:
        return expired()
    token = access.open_dashboard_session(store)
    response = redirect(url_for(f"dashboard.{target}", **{access.DASHBOARD_PARAM: token}))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # its Location carries the session
    return response


CONNECTS = {  # service: (its token's target, where its consent starts)
    "xero": (embeds.CONNECT_XERO, xero_connect.begin),
    "woocommerce": (embeds.CONNECT_WOOCOMMERCE, woo_connect.begin),
}


@bp.post("/<service>/connect")
@csrf.exempt  # the single-use token in the form is the proof
def connect(service: str) -> Response | tuple[str, int] | tuple[Response, int]:
    """A connect button of the dashboard, opened top-level: a single-use token binds this
    window's session to the store, then the service's consent."""
    if service not in CONNECTS:
        abort(404)
    target, begin = CONNECTS[service]
    store = top_level_store(target)
    if store is None:
        return expired()
    try:
        return redirect(begin(store, f"dashboard:{store.id}"))
    except ConnectorError as error:
        name = "Xero" if service == "xero" else "WooCommerce"
        return render_template(
            "connect/result.html", service=name, ok=False, message=error.message
        ), 502


def top_level_store(target: str) -> Store | None:
    """The store whose dashboard posted this top-level form with a single-use token for
    `target`, this window's session now bound to it (top-level, a first-party cookie works,
    so the person's return from the service finds it); None if the token is unknown, used or
    expired."""
    if not _from_this_server():
        abort(403, "this starts from the store's own dashboard page")
    redeemed = embeds.redeem(request.form.get("token", ""))
    if redeemed is None or redeemed[1] != target:
        return None
    store = db.session.get(Store, redeemed[0])
    if store is None:
        abort(404)
    session.clear()
    session[access.DASHBOARD_STORE_KEY] = store.id
    return store


def _from_this_server() -> bool:
    """Whether a form was posted from this server's own page (the dashboard in its iframe):
    another site cannot make a browser send its token here (login CSRF). Browsers that send
    Sec-Fetch-Site are judged by it alone (the page's no-referrer policy makes their Origin
    "null"); older ones by Origin."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    public = urlsplit(current_config().public_url)
    return origin is None or origin == f"{public.scheme}://{public.netloc}"
