"""The pages store admins see inside WordPress: entered through a one-time embed token,
which opens a dashboard session bound to one store (a token carried by the pages, since
cookies do not work in another site's iframe), framable by that store's site only."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from server.connections.woocommerce import connect as woo_connect
from server.connections.xero import connect as xero_connect
from server.connectors.base import ConnectorError
from server.connectors.woocommerce import urls
from server.extensions import csrf, current_config, db
from server.models import Store
from server.stores import lifecycle as store_lifecycle
from server.stores.settings import storage as settings_store
from server.stores.settings import tax_mapping
from server.web.bridge import embeds
from server.web.dashboard import sessions as access

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

TITLES = {
    "main": "Sync orders with Xero",
    "settings": "Settings",
    "xero": "Xero Connection",
    "subscription": "Subscription",
}


@bp.get("/embed")
def embed() -> Response | tuple[Response, int]:
    """Exchange a one-time token for a session bound to its store, then show the page."""
    redeemed = embeds.redeem(request.args.get("token", ""))
    if redeemed is None or redeemed[1] not in TITLES:
        return _expired()
    store_id, target = redeemed
    store = db.session.get(Store, store_id)
    if store is None:
        return _expired()
    token = access.open_dashboard_session(store)
    response = redirect(url_for("dashboard.page", target=target, **{access.DASHBOARD_PARAM: token}))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # its Location carries the session
    return response


@bp.get("/<target>")
def page(target: str) -> Response | tuple[Response, int]:
    if target not in TITLES:
        abort(404)
    store = _session_store()
    if store is None:
        return _expired(401)
    status = store_lifecycle.status(store)
    connect_token = ""
    if target == "xero" and not status["xero"]["connected"]:
        connect_token = embeds.issue(store, embeds.CONNECT_XERO)
    elif target == "main" and status["woocommerce"]["status"] != "connected":
        connect_token = embeds.issue(store, embeds.CONNECT_WOOCOMMERCE)
    settings = settings_store.load(store.id)
    html = render_template(
        "dashboard/page.html",
        target=target,
        titles=TITLES,
        store=store,
        status=status,
        modules=settings.modules.model_dump(),
        tax_status=tax_mapping.needs_of(store.id).status(settings)
        if target == "settings"
        else None,
        connect_token=connect_token,
        session_param={access.DASHBOARD_PARAM: access.dashboard_token()},
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = f"frame-ancestors {' '.join(_origins(store))}"
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL carries the session
    response.headers["Cache-Control"] = "no-store"
    return response


CONNECTS = {  # service: (its token's target, where its consent starts)
    "xero": (embeds.CONNECT_XERO, xero_connect.begin),
    "woocommerce": (embeds.CONNECT_WOOCOMMERCE, woo_connect.begin),
}


@bp.post("/<service>/connect")
@csrf.exempt  # the single-use token in the form is the proof
def connect(service: str) -> Response | tuple[str, int] | tuple[Response, int]:
    """A connect button of the dashboard, opened top-level (Xero cannot be framed; wc-auth
    runs in the store itself): a single-use token binds this window's session to the store,
    then the service's consent."""
    if service not in CONNECTS:
        abort(404)
    if not _from_this_server():
        abort(403, "connections start from the store's own dashboard page")
    target, begin = CONNECTS[service]
    redeemed = embeds.redeem(request.form.get("token", ""))
    if redeemed is None or redeemed[1] != target:
        return _expired()
    store = db.session.get(Store, redeemed[0])
    if store is None:
        abort(404)
    session.clear()
    session[access.DASHBOARD_STORE_KEY] = store.id  # top-level: a first-party cookie works
    try:
        return redirect(begin(store, f"dashboard:{store.id}"))
    except ConnectorError as error:
        name = "Xero" if service == "xero" else "WooCommerce"
        return render_template(
            "connect/result.html", service=name, ok=False, message=error.message
        ), 502


def _session_store() -> Store | None:
    store_id = access.dashboard_store_id()
    return db.session.get(Store, store_id) if store_id is not None else None


def _origins(store: Store) -> list[str]:
    """Where the store's pages may be framed: its site, and its wp-admin if elsewhere. Only
    plain origins reach the header (a value stored before admin_url was checked as strictly
    as now, say, is left out)."""
    origins = []
    for url in (store.url, store.admin_url):
        origin = urls.plain_origin(url)
        if origin is not None and origin not in origins:
            origins.append(origin)
    return origins or ["'none'"]


def _expired(status: int = 403) -> tuple[Response, int]:
    """The page an unknown, used or expired link opens; shown inside any store's iframe."""
    response = Response(render_template("dashboard/expired.html"))
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response, status


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
