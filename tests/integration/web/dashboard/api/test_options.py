"""What the settings' fields choose from (`GET /api/v1/stores/<id>/options`), and the poll
interval kept on the store's WooCommerce connection through the settings document."""

from __future__ import annotations

from server.extensions import db
from server.models import ReferenceKind, WooConnection
from tests.integration.web.dashboard.api.conftest import cache_reference
from tests.integration.web.dashboard.api.test_tax_mapping import BC_RATES, XERO_RATES


def options(api, store) -> dict:
    answer = api.client.get(f"/api/v1/stores/{store.public_id}/options")
    assert answer.status_code == 200
    return answer.get_json()


def test_nothing_read_yet_lists_nothing_but_no_tax(api, store):
    listed = options(api, store)
    assert listed["accounts"] == [] and listed["tax_rates"] == [] and listed["read"] == []
    assert listed["rate_combinations"] == [{"key": "none", "label": "no tax", "woo_rate": "0"}]


def test_the_options_list_the_organisations_choices_with_their_types_and_rates(api, store):
    cache_reference(store, ReferenceKind.ACCOUNTS, [
        {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
        {"Code": "429", "Name": "General", "Type": "EXPENSE", "Status": "ACTIVE"},
        {"Code": "090", "Name": "Bank", "Type": "BANK", "Status": "ACTIVE"},
        {"Code": "610", "Name": "Receivable", "Type": "CURRENT", "Status": "ACTIVE"},
        {"Code": "205", "Name": "Old", "Type": "REVENUE", "Status": "ARCHIVED"},
    ])  # fmt: skip
    cache_reference(store, ReferenceKind.TAX_RATES, XERO_RATES)
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, BC_RATES)
    cache_reference(store, ReferenceKind.TRACKING_CATEGORIES, [
        {"Name": "Region", "Status": "ACTIVE", "Options": [
            {"Name": "North", "Status": "ACTIVE"}, {"Name": "Gone", "Status": "ARCHIVED"}]},
        {"Name": "Old", "Status": "ARCHIVED", "Options": []},
    ])  # fmt: skip
    cache_reference(store, ReferenceKind.WOO_PAYMENT_GATEWAYS, [
        {"id": "bacs", "title": "Direct bank transfer", "enabled": True},
    ])  # fmt: skip
    listed = options(api, store)
    assert listed["accounts"] == [
        {"code": "200", "name": "Sales", "type": "REVENUE", "uses": ["sales", "adjustment"]},
        {"code": "429", "name": "General", "type": "EXPENSE", "uses": ["adjustment"]},
        {"code": "090", "name": "Bank", "type": "BANK", "uses": ["payment"]},
    ]
    assert listed["account_fields"]["accounts.shipping"] == "sales"
    assert listed["account_fields"]["payments.by_gateway"] == "payment"
    assert listed["tax_rates"] == [
        {"tax_type": "NONE", "name": "No GST", "rate": "0"},
        {"tax_type": "GST", "name": "GST", "rate": "5"},
        {"tax_type": "PST", "name": "PST", "rate": "7"},
        {"tax_type": "TAX001", "name": "GST + PST", "rate": "12"},
    ]  # not the expenses-only rate, nor the archived one
    assert listed["tracking_categories"] == [{"name": "Region", "options": ["North"]}]
    assert listed["gateways"] == [{"id": "bacs", "title": "Direct bank transfer", "enabled": True}]
    assert {row["key"]: row["woo_rate"] for row in listed["rate_combinations"]} == {
        "5": "5", "6": "7", "5+6": "12", "none": "0",
    }  # fmt: skip
    assert listed["truncated"] == []


def test_the_poll_interval_is_bounded_and_needs_a_woocommerce_connection(api, store):
    assert api.get_settings(store).get_json()["polling"] == {"interval_minutes": None}
    refused = api.patch_settings(store, {"polling": {"interval_minutes": 15}})
    assert refused.status_code == 422
    assert (
        "grant WooCommerce access first" in refused.get_json()["errors"]["polling.interval_minutes"]
    )
    connection = WooConnection(store_id=store.id)
    db.session.add(connection)
    db.session.commit()
    for value in (0, 1441, "15", 1.5):
        answer = api.patch_settings(store, {"polling": {"interval_minutes": value}})
        assert (
            answer.status_code == 422 and "polling.interval_minutes" in answer.get_json()["errors"]
        )
    assert api.patch_settings(store, {"polling": 7}).get_json()["errors"] == {
        "polling": "Input should be a valid dictionary or instance of Polling"
    }
    saved = api.patch_settings(store, {"polling": {"interval_minutes": 15}})
    assert saved.status_code == 200 and saved.get_json()["polling"] == {"interval_minutes": 15}
    db.session.refresh(connection)
    assert connection.poll_interval_minutes == 15
