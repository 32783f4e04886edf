"""The operators' list of stores, made for hundreds of them: beside each store its plan and
subscription, Xero organisation, last sync, orders held, failed and on their way, and open
alerts (read for the page's stores at once: `server.stores.roster`), filters on each, and
what an operator does to stores, one or many at once, each store's outcome said in words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from markupsafe import Markup
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from server.admin.access import SecureModelView
from server.admin.rows import HidesSecrets, post_button, redis_or_say, row_ids, say
from server.extensions import db
from server.jobs.tasks import inbound
from server.models import (
    ConnectionStatus,
    OutboxEntry,
    OutboxStatus,
    Plan,
    Store,
    StoreState,
    Subscription,
    SubscriptionStatus,
    WooConnection,
    XeroConnection,
)
from server.stores import roster
from server.stores.overview import MOVING
from server.stores.settings.rules import SyncScope
from server.web.bridge import embeds
from server.web.dashboard import actions
from server.web.dashboard.sessions import CLOSED_STATES

logger = logging.getLogger(__name__)
NEVER = "never"  # the filters' value for "no subscription", "never connected"


# -- the figures beside each store -------------------------------------------------------------


def _figures(store: Store) -> roster.StoreFigures:
    """The store's figures: the page's, read at once by `StoreView.get_list`, or its own."""
    known = g.setdefault("store_figures", {})
    if store.id not in known:
        known.update(roster.figures([store.id]))
    return known[store.id]


def _figure(read: Callable[[roster.StoreFigures], Any]) -> Any:
    def format_figure(_view: Any, _context: Any, store: Store, _name: str) -> Any:
        return read(_figures(store))

    return format_figure


def _subscription(figures: roster.StoreFigures) -> str:
    return figures.subscription.value.replace("_", " ") if figures.subscription else "none"


def _organisation(figures: roster.StoreFigures) -> str:
    if figures.xero is None:
        return "not connected"
    if figures.xero == ConnectionStatus.CONNECTED:
        return figures.organisation or "connected"
    status = figures.xero.value.replace("_", " ")
    return f"{figures.organisation} ({status})" if figures.organisation else status


def _alerts(figures: roster.StoreFigures) -> Markup | str:
    if not figures.alerts:
        return "none"
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(
        Markup("").join(
            Markup('<li class="text-{}">{}</li>').format(
                "danger" if alert.level == "error" else "warning", alert.message
            )
            for alert in figures.alerts
        )
    )


def _button(endpoint: str, store: Store, label: str, *, new_tab: bool = False) -> Markup:
    return post_button(url_for(endpoint, public_id=store.public_id), label, new_tab=new_tab)


def _xero_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """The store's Xero organisation and status, with the button to connect or disconnect."""
    connection = store.xero_connection
    connected = connection is not None and connection.status == ConnectionStatus.CONNECTED
    label = (
        f"{connection.tenant_name} ({connection.status.value})"
        if connection is not None and connection.tenant_id
        else (connection.status.value if connection is not None else "not connected")
    )
    if connected:
        button = _button("connect.xero_disconnect", store, "Disconnect")
    else:
        button = _button("connect.xero_connect_start", store, "Connect Xero")
    return Markup("{} {}").format(label, button)


def _woocommerce_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """The store's WooCommerce access, with the buttons that fit it."""
    connection = store.woo_connection
    status = connection.status.value if connection is not None else "not connected"
    if connection is not None and connection.status == ConnectionStatus.CONNECTED:
        return Markup("{} {} {}").format(
            status,
            _button("connect.woocommerce_test", store, "Test connection"),
            _button("connect.woocommerce_disconnect", store, "Disconnect"),
        )
    keys = url_for("connect.woocommerce_keys", public_id=store.public_id)
    return Markup('{} {} <a class="btn btn-sm btn-link" href="{}">Enter keys</a>').format(
        status, _button("connect.woocommerce_connect_start", store, "Connect WooCommerce"), keys
    )


def _settings_link(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    url = url_for("sync_settings.index", store=store.public_id)
    return Markup('<a class="btn btn-sm btn-link" href="{}">Sync settings</a>').format(url)


def _dashboard_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """Opens the store's dashboard in a new tab (a store closed to it says why not)."""
    if store.state in CLOSED_STATES:
        return Markup("none: the store is {}").format(store.state.value)
    return _button("store.open_dashboard", store, "Open the store's dashboard", new_tab=True)


# The store's page has a button for each action of the list, on this store alone.
STORE_ACTIONS = (
    ("resync", "Sync now"), ("replay", "Replay failed and held orders"),
    ("webhooks", "Re-create webhooks"), ("pause", "Pause"), ("resume", "Resume"),
)  # fmt: skip


def _actions_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    here = url_for("store.details_view", id=store.id)
    return Markup(" ").join(
        post_button(url_for("store.action_view"), label, action=name, rowid=str(store.id), url=here)
        for name, label in STORE_ACTIONS
    )


# -- filters on what a store has elsewhere -------------------------------------------------


class _StoreFilter(BaseSQLAFilter):
    """A filter on stores by a condition on another table, chosen among `options`."""

    def __init__(
        self,
        name: str,
        options: Any,
        condition: Callable[[str], sa.ColumnElement[bool]],
    ) -> None:
        super().__init__(Store.id, name, options=options)
        self.condition = condition

    def validate(self, value: str) -> bool:
        if self.options is None:  # words: the plan's name
            return bool(value.strip()) and "\x00" not in value and len(value) <= 200
        return value in {key for key, _label in self.options}

    def apply(self, query: Any, value: str, alias: Any = None) -> Any:
        return query.filter(self.condition(value))

    def operation(self) -> str:
        return "is" if self.options is not None else "name or code contains"


def _on_plan(value: str) -> sa.ColumnElement[bool]:
    """Plans are the operators' own, made while the panel runs: named in words, not chosen
    from a list read when the panel started."""
    words = value.strip()
    plans = sa.select(Plan.id).where(
        sa.or_(
            Plan.name.icontains(words, autoescape=True), Plan.code.icontains(words, autoescape=True)
        )
    )
    return Store.id.in_(sa.select(Subscription.store_id).where(Subscription.plan_id.in_(plans)))


def _subscribed(value: str) -> sa.ColumnElement[bool]:
    if value == NEVER:
        return Store.id.not_in(sa.select(Subscription.store_id))
    status = SubscriptionStatus(value)
    return Store.id.in_(sa.select(Subscription.store_id).where(Subscription.status == status))


def _connected(
    model: type[XeroConnection] | type[WooConnection],
) -> Callable[[str], sa.ColumnElement[bool]]:
    def condition(value: str) -> sa.ColumnElement[bool]:
        if value == NEVER:
            return Store.id.not_in(sa.select(model.store_id))
        status = ConnectionStatus(value)
        return Store.id.in_(sa.select(model.store_id).where(model.status == status))

    return condition


def _has_orders(*statuses: OutboxStatus) -> Callable[[str], sa.ColumnElement[bool]]:
    def condition(value: str) -> sa.ColumnElement[bool]:
        some = sa.exists().where(OutboxEntry.store_id == Store.id, OutboxEntry.status.in_(statuses))
        return some if value == "yes" else ~some

    return condition


def _choices(members: Any, never: str) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in members] + [(NEVER, never)]


YES_NO = [("yes", "yes"), ("no", "no")]


# -- the view ------------------------------------------------------------------------------


class StoreView(HidesSecrets, SecureModelView):
    can_create = False  # stores are created by the bridge plugin's activation
    can_delete = False  # erasing a store's data is an explicit, separate operation
    column_list = [
        "name", "url", "state", "plan", "subscription", "organisation", "last_sync",
        "held", "failed", "waiting", "alerts", "dashboard", "sync",
    ]  # fmt: skip
    column_details_list = [
        "id", "public_id", "name", "url", "state", "actions", "dashboard", "plan",
        "subscription", "last_sync", "held", "failed", "waiting", "alerts", "woocommerce",
        "xero", "sync", "admin_email", "admin_username", "wp_user_id", "plugin_version",
        "wp_version", "wc_version", "created_at", "updated_at",
    ]  # fmt: skip
    column_labels = {
        "organisation": "Xero organisation", "waiting": "On their way",
        "alerts": "Open alerts", "sync": "Settings", "actions": "Do",
    }  # fmt: skip
    column_descriptions = {
        "held": "Orders waiting for a person",
        "failed": "Orders Xero refused",
        "waiting": "Orders waiting for the store's setup, queued or being written",
        "alerts": "The store's Overview alerts (its tax mapping is checked there)",
    }
    column_formatters = {
        "plan": _figure(lambda figures: figures.plan or "none"),
        "subscription": _figure(_subscription),
        "organisation": _figure(_organisation),
        "last_sync": _figure(
            lambda figures: (
                figures.last_sync.strftime("%Y-%m-%d %H:%M:%S UTC")
                if figures.last_sync
                else "never"
            )
        ),
        "held": _figure(lambda figures: figures.orders.held),
        "failed": _figure(lambda figures: figures.orders.failed),
        "waiting": _figure(lambda figures: figures.orders.waiting),
        "alerts": _figure(_alerts),
        "dashboard": _dashboard_cell,
        "sync": _settings_link,
    }
    column_formatters_detail = {
        **column_formatters,
        "xero": _xero_cell,
        "woocommerce": _woocommerce_cell,
        "actions": _actions_cell,
    }
    column_sortable_list = ["name", "url", "state"]
    column_searchable_list = ["name", "url", "admin_email"]
    column_filters = [
        "state",
        _StoreFilter("Plan", None, _on_plan),
        _StoreFilter("Subscription", _choices(SubscriptionStatus, "no subscription"), _subscribed),
        _StoreFilter(
            "Xero", _choices(ConnectionStatus, "never connected"), _connected(XeroConnection)
        ),
        _StoreFilter(
            "WooCommerce",
            _choices(ConnectionStatus, "never connected"),
            _connected(WooConnection),
        ),
        _StoreFilter("Has held orders", YES_NO, _has_orders(OutboxStatus.HELD)),
        _StoreFilter("Has failed orders", YES_NO, _has_orders(OutboxStatus.FAILED)),
        _StoreFilter("Has orders on their way", YES_NO, _has_orders(*MOVING)),
    ]
    named_filter_urls = True  # links and bookmarks say what they filter
    column_default_sort = ("id", True)
    form_columns = ["name"]

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """The page's stores, and their figures read at once (see `_figures`)."""
        count, stores = super().get_list(*args, **kwargs)
        if isinstance(stores, list):
            g.setdefault("store_figures", {}).update(roster.figures([store.id for store in stores]))
        return count, stores

    @expose("/dashboard/<public_id>", methods=("POST",))
    def open_dashboard(self, public_id: str) -> Response:
        """The store's dashboard through a fresh one-time link, as the plugin opens it: the
        link printed by `make demo` or given to the plugin is spent once used."""
        store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
        if store is None:
            abort(404, "no such store")
        if store.state in CLOSED_STATES:
            flash(f"A {store.state.value} store has no dashboard.", "error")
            return redirect(url_for(".details_view", id=store.id))
        try:
            token = embeds.issue(store, "main")
        except RedisError as error:
            logger.warning("could not issue a dashboard link: %s", error)
            flash("No dashboard link could be issued (Redis is unavailable). Try again.", "error")
            return redirect(url_for(".details_view", id=store.id))
        return redirect(embeds.url(token))

    @action("pause", "Pause", "Pause syncing for the selected stores? Events are still kept.")
    def action_pause(self, ids: list[str]) -> None:
        for store in _stores(ids):
            say(store, _transition(store, StoreState.PAUSED, "paused by an operator"))
        db.session.commit()

    @action("resume", "Resume", "Resume syncing for the selected stores?")
    def action_resume(self, ids: list[str]) -> None:
        resumed = []
        for store in _stores(ids):
            if store.state in (StoreState.PENDING, StoreState.UNINSTALLED):
                say(store, f"not resumed: the store is {store.state.value}", "error")
                continue
            said = _transition(store, StoreState.ACTIVE, "resumed by an operator")
            if said == "resumed":
                resumed.append(store)
            say(store, said)
        db.session.commit()
        for store in resumed:
            redis_or_say(
                store,
                lambda store=store: _requeue(store),
                "its waiting events will be taken up by the sweeper",
            )

    @action("resync", "Sync now", "Send the selected stores' waiting orders to Xero now?")
    def action_resync(self, ids: list[str]) -> None:
        for store in _stores(ids):
            if store.state != StoreState.ACTIVE:
                say(store, f"not synced: the store is {store.state.value}", "error")
                continue
            redis_or_say(store, lambda store=store: _resync(store), "not synced")

    @action("webhooks", "Re-create webhooks", "Put back the selected stores' webhooks?")
    def action_webhooks(self, ids: list[str]) -> None:
        for store in _stores(ids):
            connection = store.woo_connection
            if store.state in (StoreState.PENDING, StoreState.UNINSTALLED):
                say(store, f"no webhooks: the store is {store.state.value}", "error")
            elif connection is None or connection.status != ConnectionStatus.CONNECTED:
                say(store, "no webhooks: WooCommerce is not connected; connect it first", "error")
            else:
                redis_or_say(store, lambda store=store: _repair(store), "no webhooks put back")

    @action("replay", "Replay failed", "Send the selected stores' failed and held orders again?")
    def action_replay(self, ids: list[str]) -> None:
        for store in _stores(ids):
            redis_or_say(
                store,
                lambda store=store: _replayed(actions.replay(store)),
                "its failed and held orders are back in the outbox, and go once Redis answers",
            )


def _stores(ids: list[str]) -> list[Store]:
    return list(
        db.session.scalars(sa.select(Store).where(Store.id.in_(row_ids(ids))).order_by(Store.id))
    )


def _transition(store: Store, state: StoreState, reason: str) -> str:
    if store.transition_to(state, reason, current_user.email) is None:
        return f"already {state.value}"
    return "paused" if state == StoreState.PAUSED else "resumed"


def _requeue(store: Store) -> None:
    inbound.requeue_store_events.enqueue(store.id)


def _resync(store: Store) -> str:
    started = actions.start_sync(store, SyncScope.PUSH)
    if started.refusal:
        return f"not synced: {started.refusal}"
    if started.retry_after:
        return f"synced moments ago; again in {started.retry_after} s"
    return "a sync of its waiting orders is queued"


def _repair(store: Store) -> str:
    actions.repair_webhooks(store)
    return "its webhooks are being put back, and the gap they left polled"


def _replayed(count: int) -> str:
    if not count:
        return "no order is failed or held"
    return f"{count} failed or held order(s) sent again"
