"""The pages store admins see inside WordPress: entered through a one-time embed token,
which opens a dashboard session bound to one store (a token carried by the pages, since
cookies do not work in another site's iframe), framable by that store's site only.

Each page is a module registered with `store_page`: it receives the session's store and
answers with `render`, which adds the navigation, the session token for links and forms,
and the headers every page needs. Forms post back to their page with the token in the
form (`s`): a bearer token no other site can make a browser send, so no CSRF cookie."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from server.connectors.woocommerce import urls
from server.extensions import csrf, db
from server.models import Store
from server.web.dashboard import sessions as access
from server.web.dashboard.pages import display

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@dataclass(frozen=True)
class Page:
    key: str  # its path and endpoint: /dashboard/<key>, dashboard.<key>
    title: str


# In the order of the navigation (and of the plugin's submenu in WordPress).
PAGES = (
    Page("main", "Overview"),
    Page("activity", "Activity"),
    Page("sync", "Sync & backfill"),
    Page("settings", "Settings"),
    Page("xero", "Xero Connection"),
    Page("subscription", "Subscription"),
)
TITLES = {page.key: page.title for page in PAGES}

PageView = Callable[..., Response | str | tuple[str, int]]


def store_page(key: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[PageView], PageView]:
    """Registers a page's view at /dashboard/<key>: called with the session's store, or the
    expired page (401) without one. A POST must carry the session token in its form."""

    def register(view: PageView) -> PageView:
        @wraps(view)
        def with_store(**kwargs: Any) -> Response | tuple[Response, int]:
            store_id = access.dashboard_store_id()
            store = db.session.get(Store, store_id) if store_id is not None else None
            if store is None:
                return expired(401)
            if request.method == "POST" and not request.form.get(access.DASHBOARD_PARAM):
                abort(403, "this form is sent from the store's dashboard page only")
            answer = view(store, **kwargs)
            response = answer if isinstance(answer, Response) else _response(answer)
            return _private(response, store)

        bp.add_url_rule(f"/{key}", key, csrf.exempt(with_store), methods=list(methods))
        return view

    return register


def render(store: Store, key: str, template: str, **context: Any) -> str:
    """A page of the dashboard: its template with the navigation and the display helpers.
    Opened by the cookie of a top-level flow rather than its link, its forms cannot be sent
    (they carry the link's token): the page says so."""
    if not access.dashboard_token():
        opened_by_cookie = ("warning", "This page was opened without its dashboard link, so its "
                            "buttons will not work here: open it from “Sync orders with Xero” "
                            "in WordPress.")  # fmt: skip
        context["notices"] = [opened_by_cookie, *context.get("notices", [])]
    return render_template(
        template,
        pages=PAGES,
        page_key=key,
        page_title=TITLES[key],
        store=store,
        session_param={access.DASHBOARD_PARAM: access.dashboard_token()},
        session_token=access.dashboard_token(),
        show=display.Display(display.store_timezone(store.id)),
        **context,
    )


def page_url(key: str, **params: Any) -> str:
    """A dashboard page's URL carrying this request's session token."""
    return url_for(
        f"dashboard.{key}", **{access.DASHBOARD_PARAM: access.dashboard_token()}, **params
    )


def _response(answer: str | tuple[str, int]) -> Response:
    body, status = answer if isinstance(answer, tuple) else (answer, 200)
    return Response(body, status=status)


def _private(response: Response, store: Store) -> Response:
    """Framable by the store's own site only; never cached or referred (the URL carries the
    session)."""
    response.headers["Content-Security-Policy"] = f"frame-ancestors {' '.join(_origins(store))}"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


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


def expired(status: int = 403) -> tuple[Response, int]:
    """The page an unknown, used or expired link opens; shown inside any store's iframe."""
    response = Response(render_template("dashboard/expired.html"))
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response, status


from server.web.dashboard.pages import (  # noqa: E402,F401 - registers the routes
    activity,
    entry,
    overview,
    payment,
    settings,
    subscription,
    sync,
    xero,
)

__all__ = ["bp"]
