"""The module dependency chain, enforced by the server: Tax Rates sync → tax mapping
complete → Items and Contacts → Invoices."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.models import ReferenceKind, XeroReference
from server.stores.settings import rules
from tests.integration.web.dashboard.api.conftest import cache_reference

WOO_RATES = [
    {"id": 7, "name": "Reduced", "rate": "5.0000", "compound": False},
    {"id": 3, "name": "VAT", "rate": "20.0000", "compound": False},
    {"id": 12, "name": "", "rate": "2.5000", "compound": True},
]
COMPLETE = [
    {"woo_rates": "none", "xero_tax_type": "NONE"},
    {"woo_rates": "3", "xero_tax_type": "OUTPUT2"},
    {"woo_rates": "7", "xero_tax_type": "RROUTPUT"},
    {"woo_rates": "12", "xero_tax_type": "OUTPUT3"},
]
ALL_ON = dict.fromkeys(("tax_rates", "contacts", "items", "invoices"), True)


def modules_of(api, store) -> dict:
    return api.get_settings(store).get_json()["modules"]


def test_enabling_invoices_enables_its_prerequisites(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, WOO_RATES)
    answer = api.patch_settings(store, {"tax_mapping": COMPLETE, "modules": {"invoices": True}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["modules"] == ALL_ON
    assert modules_of(api, store) == ALL_ON
    assert rules.why_not_syncing(store.id) == []


def test_enabling_contacts_enables_tax_rates_only(api, store):
    api.patch_settings(store, {"tax_mapping": [{"woo_rates": "none", "xero_tax_type": "NONE"}]})
    assert api.patch_settings(store, {"modules": {"contacts": True}}).status_code == 200
    assert modules_of(api, store) == {
        "tax_rates": True, "contacts": True, "items": False, "invoices": False,
    }  # fmt: skip


def test_disabling_tax_rates_while_contacts_is_on_is_refused(api, store):
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1], "modules": {"contacts": True}})
    answer = api.patch_settings(store, {"modules": {"tax_rates": False}})
    assert answer.status_code == 409
    assert answer.get_json() == {"error": "Contacts needs Tax Rates; turn Contacts off first"}
    assert modules_of(api, store)["tax_rates"] is True


def test_disabling_a_prerequisite_of_invoices_names_what_invoices_needs(api, store):
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1], "modules": {"invoices": True}})
    answer = api.patch_settings(store, {"modules": {"contacts": False}})
    assert answer.status_code == 409
    assert (
        answer.get_json()["error"] == "Invoices needs Contacts and Items; turn Invoices off first"
    )
    answer = api.patch_settings(store, {"modules": {"tax_rates": False}})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == (
        "Contacts, Items and Invoices need Tax Rates; turn them off first"
    )
    assert modules_of(api, store) == ALL_ON


def test_turning_a_module_and_its_dependents_off_together_is_allowed(api, store):
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1], "modules": {"invoices": True}})
    answer = api.patch_settings(store, {"modules": {"invoices": False, "items": False}})
    assert answer.status_code == 200
    assert modules_of(api, store) == {
        "tax_rates": True, "contacts": True, "items": False, "invoices": False,
    }  # fmt: skip


def test_enabling_contacts_with_the_mapping_incomplete_is_refused_naming_the_rates(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, WOO_RATES)
    api.patch_settings(store, {"tax_mapping": [{"woo_rates": "7", "xero_tax_type": "RROUTPUT"}]})
    answer = api.patch_settings(store, {"modules": {"contacts": True}})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == (
        "complete the tax mapping first: WooCommerce rates 3 (VAT 20%), 12 (2.5%) are not "
        "mapped, nor 'no tax'"
    )
    assert modules_of(api, store)["contacts"] is False
    status = api.get_settings(store).get_json()["tax_mapping_status"]
    assert [(need["key"], need["mapped"], need["sources"]) for need in status.pop("needed")] == [
        ("3", False, ["rates"]), ("7", True, ["rates"]), ("12", False, ["rates"]),
        ("none", False, ["always"]),
    ]  # fmt: skip
    assert status == {
        "complete": False,
        "rates_read": True,
        "unmapped": [
            {"key": "3", "label": "VAT 20%"},
            {"key": "12", "label": "2.5%"},
            {"key": "none", "label": "no tax"},
        ],
    }
    # Tax Rates alone needs no mapping.
    assert api.patch_settings(store, {"modules": {"tax_rates": True}}).status_code == 200


def test_rates_never_read_are_named_as_the_thing_to_do_first(api, store):
    answer = api.patch_settings(store, {"modules": {"items": True}})
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error.startswith("complete the tax mapping first: 'no tax' is not mapped")
    assert "refresh tax rates first" in error
    # Until the rates are read, "none" is all a complete mapping needs.
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1]})
    assert api.patch_settings(store, {"modules": {"items": True}}).status_code == 200


def test_a_mapping_and_the_modules_needing_it_can_arrive_together(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, WOO_RATES)
    answer = api.patch_settings(store, {"tax_mapping": COMPLETE, "modules": {"items": True}})
    assert answer.status_code == 200


def test_unmapping_a_rate_while_a_module_needs_the_mapping_is_refused(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, WOO_RATES)
    api.patch_settings(store, {"tax_mapping": COMPLETE, "modules": {"items": True}})
    answer = api.patch_settings(store, {"tax_mapping": COMPLETE[:2] + COMPLETE[3:]})
    assert answer.status_code == 409
    assert "WooCommerce rate 7 (Reduced 5%) is not mapped" in answer.get_json()["error"]
    assert len(api.get_settings(store).get_json()["tax_mapping"]) == len(COMPLETE)


def test_a_new_woo_rate_stops_invoices_and_says_why(api, store):
    cache_reference(store, ReferenceKind.WOO_TAX_RATES, WOO_RATES[:2])
    api.patch_settings(store, {"tax_mapping": COMPLETE, "modules": {"invoices": True}})
    assert rules.why_not_syncing(store.id) == []
    cached = db.session.scalar(sa.select(XeroReference).where(XeroReference.store_id == store.id))
    cached.rows = [*WOO_RATES, {"id": 30, "name": "Luxury", "rate": "25.0000"}]
    db.session.commit()
    assert rules.why_not_syncing(store.id) == [
        "the tax mapping is incomplete: WooCommerce rate 30 (Luxury 25%) is not mapped"
    ]
    # other changes are still accepted while the new rate waits for its mapping
    assert api.patch_settings(store, {"contacts": {"phone": "none"}}).status_code == 200


def test_why_not_syncing_names_the_modules_that_are_off(api, store):
    api.patch_settings(store, {"tax_mapping": COMPLETE[:1], "modules": {"contacts": True}})
    assert rules.why_not_syncing(store.id) == [
        "the Items module is off",
        "the Invoices module is off",
    ]
    assert rules.why_not_syncing(store.id, "contacts") == []
