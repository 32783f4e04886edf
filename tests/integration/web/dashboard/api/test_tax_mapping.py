"""The tax mapping through the settings API: every key the store's orders carry and its
WooCommerce rates make, each named and mappable; rows refused or warned against Xero's
cached tax rates; a status that never reads the orders."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.inbound import records
from server.models import ReferenceKind
from server.stores.settings import rules
from server.web.dashboard.sessions import DASHBOARD_STORE_KEY
from tests.integration.web.dashboard.api.conftest import cache_reference

BC_RATES = [
    {"id": 5, "country": "CA", "state": "BC", "rate": "5.0000", "name": "GST", "priority": 1,
     "compound": False, "class": "standard"},
    {"id": 6, "country": "CA", "state": "BC", "rate": "7.0000", "name": "PST", "priority": 2,
     "compound": False, "class": "standard"},
]  # fmt: skip
XERO_RATES = [
    {"TaxType": "NONE", "Name": "No GST", "Status": "ACTIVE", "EffectiveRate": "0",
     "CanApplyToRevenue": True},
    {"TaxType": "GST", "Name": "GST", "Status": "ACTIVE", "EffectiveRate": "5",
     "CanApplyToRevenue": True},
    {"TaxType": "PST", "Name": "PST", "Status": "ACTIVE", "EffectiveRate": "7",
     "CanApplyToRevenue": True},
    {"TaxType": "TAX001", "Name": "GST + PST", "Status": "ACTIVE", "EffectiveRate": "12",
     "CanApplyToRevenue": True},
    {"TaxType": "INPUT", "Name": "GST on Expenses", "Status": "ACTIVE", "EffectiveRate": "5",
     "CanApplyToRevenue": False},
    {"TaxType": "TAX002", "Name": "Old PST", "Status": "ARCHIVED", "EffectiveRate": "7",
     "CanApplyToRevenue": True},
]  # fmt: skip
COMPLETE = [
    {"woo_rates": "none", "xero_tax_type": "NONE"},
    {"woo_rates": "5", "xero_tax_type": "GST"},
    {"woo_rates": "6", "xero_tax_type": "PST"},
]
ORDER_5_6 = {
    "id": 41, "number": "41", "status": "processing", "total": "11.20",
    "line_items": [{"id": 1, "total": "10.00",
                    "taxes": [{"id": 5, "total": "0.5"}, {"id": 6, "total": "0.7"}]}],
    "tax_lines": [{"rate_id": 5, "label": "GST", "rate_percent": 5},
                  {"rate_id": 6, "label": "PST", "rate_percent": 7}],
}  # fmt: skip


def status_of(api, store) -> dict:
    return api.get_settings(store).get_json()["tax_mapping_status"]


def needed(api, store) -> dict[str, dict]:
    return {need["key"]: need for need in status_of(api, store)["needed"]}


def test_a_combination_on_an_order_is_listed_and_blocks_until_mapped(api, store):
    """The issue: an order's line taxed at 5 and 6 carries "5+6"; the status said
    'complete' while it was unmapped, and the engine held the order."""
    assert api.patch_settings(store, {"tax_mapping": COMPLETE}).status_code == 200
    assert status_of(api, store)["complete"] is True  # rates never read: none of them known
    records.keep(store.id, "order", "41", ORDER_5_6)
    db.session.commit()

    status = status_of(api, store)
    assert status["complete"] is False
    assert status["unmapped"] == [{"key": "5+6", "label": "GST 5% + PST 7%"}]
    combination = needed(api, store)["5+6"]
    assert combination["sources"] == ["orders"] and combination["seen_on_order"] == "41"
    assert combination["mapped"] is False
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1]})
    answer = api.patch_settings(store, {"modules": {"invoices": True}})
    assert answer.status_code == 409
    assert (
        "WooCommerce rate combination 5+6 (GST 5% + PST 7%) is not mapped"
        in (answer.get_json()["error"])
    )

    rows = [*COMPLETE, {"woo_rates": "6+5", "xero_tax_type": "TAX001"}]
    answer = api.patch_settings(store, {"tax_mapping": rows, "modules": {"invoices": True}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["tax_mapping_status"]["complete"] is True
    assert rules.why_not_syncing(store.id) == []
    # while Invoices is on, unmapping the combination is refused
    answer = api.patch_settings(store, {"tax_mapping": COMPLETE})
    assert answer.status_code == 409 and "5+6" in answer.get_json()["error"]


def test_the_stores_rates_imply_their_combinations_with_labels_and_rates(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, BC_RATES)
    keys = needed(api, store)
    assert list(keys) == ["5", "5+6", "6", "none"]
    assert keys["5+6"]["label"] == "GST 5% + PST 7%"
    assert keys["5+6"]["sources"] == ["rates"] and keys["5+6"]["woo_rate"] == "12"
    records.keep(store.id, "order", "41", ORDER_5_6)
    db.session.commit()
    assert needed(api, store)["5+6"]["sources"] == ["orders", "rates"]


def test_a_tax_type_that_cannot_be_used_on_sales_is_refused_in_words(api, store):
    cache_reference(store, ReferenceKind.TAX_RATES, XERO_RATES)
    answer = api.patch_settings(
        store,
        {
            "tax_mapping": [
                {"woo_rates": "none", "xero_tax_type": "NONE"},
                {"woo_rates": "5", "xero_tax_type": "INPUT"},
                {"woo_rates": "6", "xero_tax_type": "TAX002"},
                {"woo_rates": "7", "xero_tax_type": "NOSUCH"},
            ]
        },
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "tax_mapping.1.xero_tax_type": (
            "the Xero tax rate GST on Expenses (INPUT) cannot be used on sales"
        ),
        "tax_mapping.2.xero_tax_type": "the Xero tax rate Old PST (TAX002) is archived, not active",
        "tax_mapping.3.xero_tax_type": "no Xero tax rate of type NOSUCH",
    }
    assert api.get_settings(store).get_json()["tax_mapping"] == []


def test_a_rate_that_differs_from_woocommerces_is_saved_with_a_warning(api, store):
    cache_reference(store, ReferenceKind.TAX_RATES, XERO_RATES)
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, BC_RATES)
    rows = [*COMPLETE, {"woo_rates": "5+6", "xero_tax_type": "GST"}]
    answer = api.patch_settings(store, {"tax_mapping": rows})
    assert answer.status_code == 200, answer.get_json()
    warning = (
        "GST (GST) is 5% in Xero, but WooCommerce charges 12% for GST 5% + PST 7%: Xero's "
        "tax reports will not match the store's; check the mapping"
    )
    assert answer.get_json()["warnings"] == {"tax_mapping.3.xero_tax_type": warning}
    assert needed(api, store)["5+6"]["warning"] == warning
    assert needed(api, store)["5"]["warning"] == ""
    # the matching type: no warning
    rows[3] = {"woo_rates": "5+6", "xero_tax_type": "TAX001"}
    answer = api.patch_settings(store, {"tax_mapping": rows})
    assert answer.get_json()["warnings"] == {}
    assert answer.get_json()["tax_mapping_status"]["complete"] is True


def test_the_status_reads_no_order(api, store):
    """Stores with many orders: the keys seen are kept as each order is kept."""
    for number in range(30):
        records.keep(store.id, "order", str(number), {**ORDER_5_6, "id": number})
    db.session.commit()
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert "5+6" in needed(api, store)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert statements and not [s for s in statements if "woo_records" in s]


def test_the_dashboards_settings_page_shows_every_key_and_its_warning(api, store):
    cache_reference(store, ReferenceKind.TAX_RATES, XERO_RATES)
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, BC_RATES)
    api.patch_settings(
        store, {"tax_mapping": [*COMPLETE[:2], {"woo_rates": "6", "xero_tax_type": "GST"}]}
    )
    with api.client.session_transaction() as cookie_session:
        cookie_session[DASHBOARD_STORE_KEY] = store.id  # as a top-level dashboard flow does
    page = api.client.get("/dashboard/settings").get_data(as_text=True)
    assert "WooCommerce rate combination 5+6 (GST 5% + PST 7%) is not mapped" in page
    assert "GST (GST) is 5% in Xero, but WooCommerce charges 7% for PST 7%" in page
    assert "the store&#39;s rates" in page and "— not mapped —" in page
