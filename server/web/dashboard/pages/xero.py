"""Xero Connection: the organisation this store's orders go to (its name and short code),
choosing it when several were authorised, signing in again when access lapsed, and
disconnecting. Connecting leaves the iframe (Xero cannot be framed): a single-use token
carries the store to the top-level window."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from server.connections import ConnectError
from server.connections.xero import access as xero_access
from server.connections.xero import connect as xero_connect
from server.models import ConnectionStatus, Store, XeroConnection
from server.push import reference as xero_reference
from server.web.bridge import embeds
from server.web.dashboard.connect.common import actor
from server.web.dashboard.pages import render, store_page

Notices = list[tuple[str, str]]


@dataclass(frozen=True)
class Organisation:
    """What the page says of the connected organisation: Xero's own record when it has been
    read for this very tenant, the name given at connection otherwise."""

    name: str
    short_code: str = ""
    country: str = ""
    currency: str = ""


@store_page("xero", methods=("GET", "POST"))
def xero_page(store: Store) -> tuple[str, int]:
    notices: Notices = []
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        notices, errors, status = _act(store, request.form.get("do", ""))
    connection = xero_access.connection_for_store(store.id)
    state = connection.status if connection is not None else ConnectionStatus.DISCONNECTED
    choices = xero_connect.choices(store) if state == ConnectionStatus.CHOOSING_ORGANISATION else []
    needs_token = state != ConnectionStatus.CONNECTED and not choices
    page = render(
        store,
        "xero",
        "dashboard/xero.html",
        notices=notices,
        errors=errors,
        connection=connection,
        state=state.value,
        organisation=_organisation(store.id, connection) if connection is not None else None,
        choices=choices,
        connect_token=embeds.issue(store, embeds.CONNECT_XERO) if needs_token else "",
    )
    return page, status


def _act(store: Store, action: str) -> tuple[Notices, dict[str, str], int]:
    if action == "choose":
        tenant_id = request.form.get("tenant_id", "")
        if not tenant_id:
            return [], {"tenant_id": "Choose one of the organisations."}, 422
        try:
            xero_connect.choose(store, tenant_id)
        except ConnectError as error:
            return [], {"tenant_id": str(error)}, 409
        connection = xero_access.connection_for_store(store.id)
        name = connection.tenant_name if connection is not None else ""
        return [("success", f"Connected to the Xero organisation {name}.")], {}, 200
    if action == "disconnect":
        try:
            xero_connect.disconnect(store, actor())
        except ConnectError as error:
            return [("error", str(error))], {}, 502
        return [("success", "Xero is disconnected. Your settings and mappings are kept, and "
                 "orders wait here until you connect again.")], {}, 200  # fmt: skip
    return [("error", "That action is not one this page offers.")], {}, 400


def _organisation(store_id: int, connection: XeroConnection) -> Organisation:
    record = xero_reference.organisation(store_id)
    return Organisation(
        name=str(record.get("Name") or connection.tenant_name or ""),
        short_code=str(record.get("ShortCode") or ""),
        country=str(record.get("CountryCode") or ""),
        currency=str(record.get("BaseCurrency") or ""),
    )
