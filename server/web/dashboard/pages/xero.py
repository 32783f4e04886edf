"""Xero Connection: the organisation this store's orders go to, and the way to connect it."""

from __future__ import annotations

from server.connections.xero import access as xero_access
from server.models import ConnectionStatus, Store
from server.web.bridge import embeds
from server.web.dashboard.pages import render, store_page


@store_page("xero")
def xero_page(store: Store) -> str:
    connection = xero_access.connection_for_store(store.id)
    connected = connection is not None and connection.status == ConnectionStatus.CONNECTED
    return render(
        store,
        "xero",
        "dashboard/xero.html",
        connection=connection,
        connect_token="" if connected else embeds.issue(store, embeds.CONNECT_XERO),
    )
