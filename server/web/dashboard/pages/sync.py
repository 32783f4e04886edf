"""Sync & backfill: a manual sync of each scope behind its cooldown (the button counts down
while it runs), a backfill from a date with its progress, and the drift check's latest
report with its own start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import request, url_for

from server.inbound import backfill
from server.models import Store
from server.models.types import utcnow
from server.pull import drift_check
from server.stores.settings import rules
from server.stores.settings import storage as settings_store
from server.web.dashboard import actions
from server.web.dashboard.pages import display, render, store_page

Notices = list[tuple[str, str]]
MAX_DATE_LENGTH = 10  # YYYY-MM-DD
SHOWN_FINDINGS = 20

# What each manual sync does, in the order the page lists them (drift has its own section).
SCOPES = {
    rules.SyncScope.TAX_RATES: (
        "Tax rates and accounts",
        "Reads Xero's tax rates, accounts and tracking categories, and the store's tax rates, "
        "again.",
    ),
    rules.SyncScope.CONTACTS: (
        "Contacts",
        "Sends the customers of waiting orders to Xero as contacts, then those orders.",
    ),
    rules.SyncScope.ITEMS: (
        "Items",
        "Sends the products of waiting orders to Xero as items, then those orders.",
    ),
    rules.SyncScope.PUSH: ("Orders to Xero", "Sends every order waiting in the queue now."),
    rules.SyncScope.PULL: (
        "Changes from Xero",
        "Reads what changed in Xero (payments, voided invoices) and notes it on the orders.",
    ),
    rules.SyncScope.DRIFT: (
        "Drift check",
        "Compares every invoice in Xero with its order in the store.",
    ),
}


@dataclass(frozen=True)
class ScopeRow:
    scope: rules.SyncScope
    label: str
    description: str
    module: str  # the module's label
    module_on: bool
    cooldown: int  # seconds until it may run again


@dataclass(frozen=True)
class Outcome:
    notices: Notices
    errors: dict[str, str]
    status: int = 200


@store_page("sync", methods=("GET", "POST"))
def sync_page(store: Store) -> tuple[str, int]:
    timezone = display.store_timezone(store.id)
    outcome = Outcome([], {})
    if request.method == "POST":
        outcome = _act(store, request.form.get("do", ""), timezone)
    modules = settings_store.load(store.id).modules
    rows = {
        scope: ScopeRow(
            scope, label, description,
            module=rules.MODULE_LABELS[rules.SCOPE_MODULES[scope]],
            module_on=getattr(modules, rules.SCOPE_MODULES[scope]),
            cooldown=rules.cooldown_left(store.id, scope),
        )
        for scope, (label, description) in SCOPES.items()
    }  # fmt: skip
    run = backfill.latest(store.id)
    finished, running = drift_check.latest(store.id)
    page = render(
        store,
        "sync",
        "dashboard/sync.html",
        notices=outcome.notices,
        errors=outcome.errors,
        scopes=[row for scope, row in rows.items() if scope != rules.SyncScope.DRIFT],
        drift_scope=rows[rules.SyncScope.DRIFT],
        run=run,
        progress=backfill.progress(run) if run is not None else None,
        progress_url=url_for("api.backfill_progress", public_id=store.public_id),
        time_left=time_left,
        since=request.form.get("since", "")[:MAX_DATE_LENGTH] if outcome.errors else "",
        today=utcnow().astimezone(ZoneInfo(timezone)).date().isoformat(),
        timezone=timezone,
        drift=finished,
        drift_running=running,
        shown_findings=SHOWN_FINDINGS,
    )
    return page, outcome.status


def _act(store: Store, action: str, timezone: str) -> Outcome:
    if action == "sync":
        return _sync(store, request.form.get("scope", ""))
    if action == "backfill":
        return _backfill(store, request.form.get("since", ""), timezone)
    return Outcome([("error", "That action is not one this page offers.")], {}, 400)


def _sync(store: Store, value: str) -> Outcome:
    try:
        scope = rules.SyncScope(value)
    except ValueError:
        return Outcome([("error", "There is no such sync; choose one of the buttons.")], {}, 400)
    label = SCOPES[scope][0]
    started = actions.start_sync(store, scope)
    if started.refusal:
        return Outcome([("error", f"{label} did not start: {started.refusal}.")], {}, 409)
    if started.retry_after:
        message = f"{label} ran moments ago; it can run again in {started.retry_after} s."
        return Outcome([("info", message)], {}, 429)
    return Outcome([("success", f"{label} started; it runs in the background.")], {})


def _backfill(store: Store, value: str, timezone: str) -> Outcome:
    day = _date(value)
    since = _start_of(day, timezone) if day is not None else None
    if day is None or since is None:
        return Outcome([], {"since": "Enter a date such as 2026-01-31."}, 422)
    if day < FIRST_DAY:  # WooCommerce reads a year before 1000 as no date at all
        return Outcome([], {"since": f"Enter a day from {FIRST_DAY:%-d %B %Y} on."}, 422)
    try:
        actions.start_backfill(store, since)
    except backfill.BackfillError as error:
        return Outcome([], {"since": f"The backfill did not start: {error}."}, 409)
    message = f"Sending the orders placed since {display.Display.date_of(day)} to Xero."
    return Outcome([("success", message)], {})


FIRST_DAY = date(2000, 1, 1)  # before WooCommerce existed: every order is after it


def _date(value: str) -> date | None:
    """A day given as YYYY-MM-DD (what a date input sends), or None."""
    if len(value) != MAX_DATE_LENGTH or not value.isascii():
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _start_of(day: date, timezone: str) -> datetime | None:
    """Midnight of `day` in the store's timezone, in UTC; None for a day at the calendar's
    very edge that UTC cannot hold."""
    try:
        return datetime.combine(day, time.min, ZoneInfo(timezone)).astimezone(UTC)
    except OverflowError:
        return None


def time_left(seconds: int | None) -> str:
    """ "under a minute", "about 12 minutes", "about 3 hours"."""
    if seconds is None:
        return "not known yet"
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'' if minutes == 1 else 's'}"
    return f"about {round(minutes / 60)} hours"
