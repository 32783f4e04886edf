"""Settings: the store's sync settings."""

from __future__ import annotations

from server.models import Store
from server.stores.settings import storage as settings_store
from server.stores.settings import tax_mapping
from server.web.dashboard.pages import render, store_page


@store_page("settings")
def settings_page(store: Store) -> str:
    settings = settings_store.load(store.id)
    return render(
        store,
        "settings",
        "dashboard/settings.html",
        modules=settings.modules.model_dump(),
        tax_status=tax_mapping.needs_of(store.id).status(settings),
    )
