"""A store connected to both sandboxes: WooCommerce (keys) and Xero (the real OAuth dance),
with its reference data read and every module on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.woocommerce import StoreConfig, serve_in_thread
from server.connectors.woocommerce import client as woo_client
from server.extensions import db
from server.models import Store
from server.sync import engine, settings_store
from server.sync.settings import StoreSettings
from tests.integration.woocommerce.conftest import connect_store
from tests.integration.xero.helpers import connect, signed_in_operator, tenants

# The NZ organisation has one GST rate: every taxed WooCommerce rate maps to it, the zero
# rate to ZERORATED, untaxed lines to NONE. Amounts are explicit, so totals stay exact.
TAX_MAPPING = {
    "none": "NONE", "1": "OUTPUT2", "2": "OUTPUT2", "3": "ZERORATED", "4": "OUTPUT2",
    "5": "OUTPUT2", "6": "OUTPUT2", "5+6": "OUTPUT2",
}  # fmt: skip


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(woo_client, "RETRY_DELAYS", (0.01, 0.02, 0.04))


@pytest.fixture(scope="session")
def shop_sandbox() -> Iterator[Any]:
    """A WooCommerce store of 60 orders from 15 customers, NZD mostly."""
    with serve_in_thread(StoreConfig(orders=60, customers=15, products=12)) as running:
        yield running


@pytest.fixture
def shop(shop_sandbox: Any) -> Iterator[Any]:
    yield shop_sandbox
    requests.post(f"{shop_sandbox.base_url}/_sandbox/reset", timeout=30).raise_for_status()


@pytest.fixture
def synced_store(client: Any, sandbox: Any, shop: Any) -> Store:
    """Connected to both sandboxes, reference data read, the whole chain switched on."""
    signed_in_operator(client)
    store = connect_store(shop.base_url)
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    switch_on_everything(store)
    return store


def switch_on_everything(store: Store) -> None:
    """Reference data read, every module on, every sandbox rate mapped (as a person would
    after connecting both sides)."""
    engine.refresh_reference(store.id)
    settings_store.save(
        store.id,
        StoreSettings.model_validate(
            {
                "modules": {"tax_rates": True, "contacts": True, "items": True, "invoices": True},
                "documents": {"invoice_status": "AUTHORISED"},
                "tax_mapping": [
                    {"woo_rates": key, "xero_tax_type": value} for key, value in TAX_MAPPING.items()
                ],
            }
        ),
    )
    db.session.commit()
