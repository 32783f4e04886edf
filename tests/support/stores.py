"""A store set up as a person would after connecting both sides: reference data read, every
module on, every sandbox tax rate mapped, payments into the bank account."""

from __future__ import annotations

from server.extensions import db
from server.models import Store
from server.push import flush as engine
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings

# The NZ organisation has one GST rate: every taxed WooCommerce rate maps to it, the zero
# rate to ZERORATED, untaxed lines to NONE. Amounts are explicit, so totals stay exact.
TAX_MAPPING = {
    "none": "NONE", "1": "OUTPUT2", "2": "OUTPUT2", "3": "ZERORATED", "4": "OUTPUT2",
    "5": "OUTPUT2", "6": "OUTPUT2", "5+6": "OUTPUT2",
}  # fmt: skip


BANK_ACCOUNT = "090"  # the NZ organisation's Business Bank Account


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
                "payments": {"default_account": BANK_ACCOUNT},
                "tax_mapping": [
                    {"woo_rates": key, "xero_tax_type": value} for key, value in TAX_MAPPING.items()
                ],
            }
        ),
    )
    db.session.commit()
