"""Activity: every order's trail, filtered by outcome, kind and local dates and paged by a
keyset; one order's whole trail with its links into wp-admin and Xero and Xero's refusals
in plain words; replaying one or all failed and held orders; and the preview of what an
order would become in Xero, which writes and sends nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import abort, request

from server.connectors.woocommerce.urls import order_edit_url
from server.connectors.xero.links import document_url
from server.models import Store
from server.push import refusals
from server.stores import activity, roster
from server.web.dashboard import actions
from server.web.dashboard.pages import display, render, store_page

Notices = list[tuple[str, str]]
MAX_ORDER_ID = 10**18
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)  # any sync record's day


def parse_filters(args: Mapping[str, str]) -> tuple[activity.Filters, dict[str, str]]:
    """The list's filters from the query string; what cannot be read is ignored, and said
    next to its field."""
    errors: dict[str, str] = {}
    show = None
    if args.get("show"):
        try:
            show = activity.Show(args["show"])
        except ValueError:
            errors["show"] = "Not an outcome this list knows; showing every outcome."
    kind = args.get("kind") or None
    if kind is not None and kind not in activity.KINDS:
        errors["kind"] = "Not a kind of record; showing every kind."
        kind = None
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        days[name] = None
        if args.get(name):
            try:
                day = date.fromisoformat(args[name])
            except ValueError:
                errors[name] = "Not a date (YYYY-MM-DD); ignored."
                continue
            if FIRST_DAY <= day <= LAST_DAY:
                days[name] = day
            else:
                errors[name] = f"Only days from {FIRST_DAY.year} to {LAST_DAY.year}; ignored."
    if days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = "Ends before it starts; ignored."
        days["until"] = None
    return activity.Filters(show, kind, days["since"], days["until"]), errors


def order_id(text: str | None) -> str | None:
    """A WooCommerce order id from outside (digits), or None."""
    if text and text.isascii() and text.isdigit() and 0 < int(text) < MAX_ORDER_ID:
        return str(int(text))
    return None


@store_page("activity", methods=("GET", "POST"))
def activity_page(store: Store) -> str | tuple[str, int]:
    notices = _replay(store) if request.method == "POST" else []
    if "order" in request.args:
        woo_order_id = order_id(request.args["order"])
        if woo_order_id is None:
            abort(400, "an order is named by its WooCommerce id, a whole number")
        if request.args.get("preview"):
            return _preview(store, woo_order_id, notices)
        return _trail(store, woo_order_id, notices)
    filters, errors = parse_filters(request.args)
    cursor = None
    if request.args.get("after"):
        cursor = activity.Cursor.decode(request.args["after"])
        if cursor is None:
            errors["after"] = "That page marker is not one of this list's; showing the newest."
    page = activity.records(store.id, filters, display.store_timezone(store.id), cursor)
    return render(
        store,
        "activity",
        "dashboard/activity.html",
        notices=notices,
        filters=filters,
        errors=errors,
        shows=activity.Show,
        kinds=activity.KINDS,
        order_kinds=activity.ORDER_KINDS,
        page=page,
        stuck=activity.stuck_count(store.id),
        explain=refusals.explain,
    )


def _trail(store: Store, woo_order_id: str, notices: Notices) -> str | tuple[str, int]:
    found = activity.trail(store.id, woo_order_id)
    if found is None:
        abort(404, "this store has no such order")
    short_code = activity.short_code(store.id)
    return render(
        store,
        "activity",
        "dashboard/activity_order.html",
        notices=notices,
        trail=found,
        explanations=refusals.explain(found.entry.error) if found.entry else [],
        order_link=_order_link(store, woo_order_id),
        documents=[
            (binding, document_url(short_code, binding.kind.value, binding.xero_id or ""))
            for binding in found.documents
        ],
        xero_link=lambda kind, xero_id: document_url(short_code, kind, xero_id or ""),
    )


def _preview(store: Store, woo_order_id: str, notices: Notices) -> str:
    found = activity.preview(store, woo_order_id)
    if found is None:
        abort(404, "this store keeps no such order to preview")
    return render(
        store,
        "activity",
        "dashboard/activity_preview.html",
        notices=notices,
        preview=found,
        order_link=_order_link(store, woo_order_id),
    )


def _order_link(store: Store, woo_order_id: str) -> str | None:
    """The order in wp-admin (HPOS or not: see `order_edit_url`)."""
    return order_edit_url(roster.admin_address(store), int(woo_order_id))


def _replay(store: Store) -> Notices:
    """ "Replay" on one order, or on all the store's failed and held orders."""
    if request.form.get("do") != "replay":
        return [("error", "That action is not one this page offers.")]
    target = request.form.get("order", "all")
    if target == "all":
        count = actions.replay(store)
        if not count:
            return [("info", "No order is failed or held: nothing to replay.")]
        return [("success", f"{count} order{'s' if count != 1 else ''} sent to Xero again.")]
    woo_order_id = order_id(target)
    if woo_order_id is None:
        return [("error", "An order is named by its WooCommerce id, a whole number.")]
    if actions.replay(store, woo_order_id):
        return [("success", f"Order {woo_order_id} is on its way to Xero again.")]
    return [("info", f"Order {woo_order_id} is neither failed nor held: nothing to replay.")]
