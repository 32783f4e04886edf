"""Overview: the setup checklist until it is done, then how the store's sync is doing —
its connections, the orders synced per day, the last day's counts and the organisation's
Xero calls against its daily limit, what needs a person (each alert with its fix) and the
latest activity."""

from __future__ import annotations

import logging

from flask import request
from redis.exceptions import RedisError

from server.connections.woocommerce import access as woo_access
from server.connections.xero import access as xero_access
from server.connections.xero.access import Usage
from server.models import ConnectionStatus, Store, XeroConnection
from server.stores import lifecycle, overview
from server.stores.settings import rules, tax_mapping
from server.stores.settings import storage as settings_store
from server.web.bridge import embeds
from server.web.dashboard import actions
from server.web.dashboard.pages import display, render, store_page

logger = logging.getLogger(__name__)
Notices = list[tuple[str, str]]
SYNC_ON = {"contacts": True, "items": True, "invoices": True}


@store_page("main", methods=("GET", "POST"))
def main_page(store: Store) -> str:
    notices = _act(store, request.form.get("do", "")) if request.method == "POST" else []
    settings = settings_store.load(store.id)
    xero = xero_access.connection_for_store(store.id)
    woo = woo_access.connection_for_store(store.id)
    status = tax_mapping.needs_of(store.id).status(settings)
    setup = overview.setup(store.id, settings, status, xero, woo)
    done = {step.step for step in setup.steps if step.done}
    today = overview.last_day(store.id)
    return render(
        store,
        "main",
        "dashboard/main.html",
        notices=notices,
        setup=setup,
        xero=xero,
        woo=woo,
        webhooks=lifecycle.webhook_health(store.id),
        per_day=overview.synced_per_day(store.id, display.store_timezone(store.id)),
        today=today,
        budget=_xero_budget(xero),
        alerts=overview.alerts(store.id, settings, status, xero, woo, today),
        activity=overview.recent_activity(store.id),
        woo_token=""
        if overview.Step.WOOCOMMERCE in done
        else embeds.issue(store, embeds.CONNECT_WOOCOMMERCE),
        xero_token="" if overview.Step.XERO in done else embeds.issue(store, embeds.CONNECT_XERO),
    )


def _xero_budget(xero: XeroConnection | None) -> Usage | None:
    """The organisation's Xero calls in the last 24 hours against its daily limit (None
    when not connected, or when Redis, which keeps the count, does not answer)."""
    if xero is None or xero.status != ConnectionStatus.CONNECTED or not xero.tenant_id:
        return None
    try:
        return xero_access.organisation_usage(xero.tenant_id)
    except RedisError as error:
        logger.warning("the Overview could not read the Xero budget: %s", error)
        return None


def _act(store: Store, action: str) -> Notices:
    """The buttons of the checklist and the alerts."""
    if action == "read_tax_rates":
        change = actions.change_settings(store, {"modules": {"tax_rates": True}})
        if change.refusal:
            return [("error", change.refusal)]
        started = actions.start_sync(store, rules.SyncScope.TAX_RATES)
        if started.retry_after:
            return [("info", f"Tax rates were read moments ago; again in {started.retry_after} s.")]
        return [("success", "Reading the store's tax rates and Xero's; this takes a few seconds.")]
    if action == "turn_on":
        change = actions.change_settings(store, {"modules": SYNC_ON})
        if change.refusal:
            return [("error", f"Not turned on: {change.refusal}.")]
        if change.errors:
            return [("error", "; ".join(change.errors.values()))]
        return [("success", "Syncing is on: new and changed orders go to Xero.")]
    if action == "repair_webhooks":
        actions.repair_webhooks(store)
        return [("success", "Putting wooxero's webhooks back in the store, and polling the gap.")]
    return [("error", "That action is not one this page offers.")]
