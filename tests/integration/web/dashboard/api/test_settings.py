"""Reading and changing a store's settings document: defaults, per-field errors, a full
round trip through the tables, and the cross-checks against cached Xero reference data."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import AccountMapping, ReferenceKind, TaxMapping, TrackingRule
from tests.integration.web.dashboard.api.conftest import cache_reference, make_store

EVERY_SECTION = {
    "modules": {"tax_rates": True, "contacts": False, "items": False, "invoices": False},
    "documents": {
        "by_status": {"processing": "invoice", "on-hold": "quote", "completed": "none"},
        "invoice_status": "AUTHORISED",
        "quote_status": "SENT",
        "cancelled": "keep",
        "invoice_number": "SHOP-{number}",
        "quote_number": "Q-{id}",
        "due_type": "OFFOLLOWINGMONTH",
        "due_days": 20,
        "discounts": "separate_line",
        "products_without_sku": "hold",
        "link_to_order": False,
    },
    "contacts": {
        "phone": "mobile",
        "address": "delivery",
        "guests": "shared",
        "shared_guest_name": "Walk-in customers",
    },
    "accounts": {
        "sales": "201",
        "shipping": "210",
        "fees": "220",
        "discounts": "230",
        "rounding": "860",
        "products": {"15": "240", "99": "241"},
        "categories": {"7": "250"},
    },
    "payments": {
        "enabled": True,
        "default_account": "090",
        "by_gateway": {"stripe": "091", "bacs": "090"},
        "approve_drafts": False,
    },
    "refunds": {
        "enabled": True,
        "credit_note_number": "CN-{id}-{n}",
        "amount_only": "account",
        "amount_only_account": "260",
        "amount_only_tax_type": "OUTPUT2",
        "first_seen_refunded": "skip",
    },
    "from_xero": {"order_notes": False, "paid_status": "processing"},
    "notifications": {
        "trial_ending": True,
        "trial_ended": False,
        "payment_failed": True,
        "xero_reauthorisation": False,
        "woocommerce_refused": True,
        "orders_need_attention": False,
    },
    "polling": {"interval_minutes": None},  # kept on the WooCommerce connection, if any
    "tax_mapping": [
        {"woo_rates": "none", "xero_tax_type": "NONE", "label": "No tax"},
        {"woo_rates": "3", "xero_tax_type": "OUTPUT2", "label": "VAT 20%"},
        {"woo_rates": "3+7", "xero_tax_type": "OUTPUT3", "label": ""},
    ],
    "tracking": [
        {
            "position": 2,
            "source": "order_meta",
            "source_key": "_channel",
            "match_value": "wholesale",
            "tracking_category": "Channel",
            "tracking_option": "Trade",
        },
        {
            "position": 1,
            "source": "billing_country",
            "source_key": "",
            "match_value": "NZ",
            "tracking_category": "Region",
            "tracking_option": "Oceania",
        },
        {
            "position": 1,
            "source": "billing_country",
            "source_key": "",
            "match_value": "DE",
            "tracking_category": "Region",
            "tracking_option": "Europe",
        },
    ],
}


def without_status(document: dict) -> dict:
    """The document as stored: without the read-only status and a PATCH's warnings."""
    return {
        key: value
        for key, value in document.items()
        if key not in ("tax_mapping_status", "payment_options", "warnings")
    }


def test_a_store_never_configured_answers_the_defaults(api, store):
    answer = api.get_settings(store)
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["modules"] == dict.fromkeys(
        ("tax_rates", "contacts", "items", "invoices"), False
    )
    assert document["documents"]["invoice_number"] == "WC-{number}"
    assert document["accounts"]["sales"] == "200"
    assert document["tax_mapping"] == [] and document["tracking"] == []
    assert document["tax_mapping_status"] == {
        "complete": False,
        "rates_read": False,
        "needed": [
            {
                "key": "none", "label": "no tax", "sources": ["always"], "mapped": False,
                "xero_tax_type": None, "woo_rate": "0", "seen_on_order": None, "warning": "",
            }
        ],
        "unmapped": [{"key": "none", "label": "no tax"}],
    }  # fmt: skip


def test_every_section_survives_a_round_trip_through_the_tables(api, store):
    answer = api.patch_settings(store, EVERY_SECTION)
    assert answer.status_code == 200, answer.get_json()
    assert without_status(answer.get_json()) == EVERY_SECTION
    assert without_status(api.get_settings(store).get_json()) == EVERY_SECTION

    accounts = {
        (row.scope, row.woo_ref): row.account_code
        for row in db.session.scalars(
            sa.select(AccountMapping).where(AccountMapping.store_id == store.id)
        )
    }
    assert accounts == {
        ("sales", ""): "201", ("shipping", ""): "210", ("fees", ""): "220",
        ("discounts", ""): "230", ("rounding", ""): "860",
        ("product", "15"): "240", ("product", "99"): "241", ("category", "7"): "250",
    }  # fmt: skip
    labels = db.session.scalars(
        sa.select(TaxMapping.woo_label)
        .where(TaxMapping.store_id == store.id)
        .where(TaxMapping.woo_rates == "3")
    ).all()
    assert labels == ["VAT 20%"]


def test_tracking_rules_keep_the_order_they_were_given(api, store):
    assert api.patch_settings(store, {"tracking": EVERY_SECTION["tracking"]}).status_code == 200
    reordered = list(reversed(EVERY_SECTION["tracking"]))
    assert api.patch_settings(store, {"tracking": reordered}).status_code == 200
    assert api.get_settings(store).get_json()["tracking"] == reordered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrackingRule)) == 3


def test_sections_left_out_are_kept_and_modules_merge_key_by_key(api, store):
    api.patch_settings(store, EVERY_SECTION)
    answer = api.patch_settings(
        store, {"modules": {"tax_rates": False}, "contacts": {"phone": "fax"}}
    )
    assert answer.status_code == 200, answer.get_json()
    expected = copy.deepcopy(EVERY_SECTION)
    expected["modules"]["tax_rates"] = False
    # a replaced section takes its defaults for the fields not given
    expected["contacts"] = {
        "phone": "fax", "address": "billing", "guests": "individual",
        "shared_guest_name": "WooCommerce guest customers",
    }  # fmt: skip
    assert without_status(api.get_settings(store).get_json()) == expected


def test_tax_mapping_keys_are_normalised(api, store):
    answer = api.patch_settings(
        store, {"tax_mapping": [{"woo_rates": " 7+3 ", "xero_tax_type": "X"}]}
    )
    assert answer.status_code == 200
    assert api.get_settings(store).get_json()["tax_mapping"][0]["woo_rates"] == "3+7"


def test_invalid_fields_answer_422_with_an_error_per_dotted_path(api, store):
    answer = api.patch_settings(
        store,
        {
            "documents": {"invoice_status": "PAID", "invoice_number": "INV-1"},
            "accounts": {"sales": "", "products": {"abc": "200"}},
            "tax_mapping": [
                {"woo_rates": "5", "xero_tax_type": "A"},
                {"woo_rates": "x", "xero_tax_type": "B"},
            ],
            "modules": {"payments": True},
            "colour": "blue",
        },
    )
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert set(errors) == {
        "documents.invoice_status",
        "documents.invoice_number",
        "accounts.sales",
        "accounts.products.abc",
        "tax_mapping.1.woo_rates",
        "modules.payments",
        "colour",
    }
    assert "AUTHORISED" in errors["documents.invoice_status"]
    assert "{number}" in errors["documents.invoice_number"]
    assert not errors["documents.invoice_number"].startswith("Value error")
    # nothing was saved
    assert (
        without_status(api.get_settings(store).get_json())["documents"]["invoice_status"] == "DRAFT"
    )


def test_a_rule_over_the_whole_section_is_reported_on_the_section(api, store):
    twice = [{"woo_rates": "5", "xero_tax_type": "A"}, {"woo_rates": "5", "xero_tax_type": "B"}]
    answer = api.patch_settings(store, {"tax_mapping": twice})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"tax_mapping": "rates 5 are mapped twice"}


def test_malformed_json_answers_400_in_json(api, store):
    answer = api.client.patch(
        f"/api/v1/stores/{store.public_id}/settings",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRFToken": api.token()},
    )
    assert answer.status_code == 400 and "error" in answer.get_json()
    assert api.patch_settings(store, ["modules"]).status_code == 400


def test_an_unknown_store_answers_404(api, store):
    answer = api.client.get("/api/v1/stores/no-such-store/settings")
    assert answer.status_code == 404 and "error" in answer.get_json()


def test_codes_are_checked_against_cached_xero_reference_data(api, store):
    cache_reference(store, ReferenceKind.ACCOUNTS, [
        {"Code": "200", "Status": "ACTIVE"},
        {"Code": "260", "Status": "ARCHIVED"},
    ])  # fmt: skip
    cache_reference(store, ReferenceKind.TAX_RATES, [
        {"TaxType": "OUTPUT2", "Status": "ACTIVE", "EffectiveRate": "20"},
        {"TaxType": "OLDVAT", "Status": "DELETED", "EffectiveRate": "17.5"},
    ])  # fmt: skip
    cache_reference(store, ReferenceKind.TRACKING_CATEGORIES, [
        {"Name": "Region", "Status": "ACTIVE", "Options": [
            {"Name": "North", "Status": "ACTIVE"}, {"Name": "South", "Status": "ARCHIVED"},
        ]},
        {"Name": "Channel", "Status": "ARCHIVED", "Options": [{"Name": "Web", "Status": "ACTIVE"}]},
    ])  # fmt: skip
    rule = {"position": 1, "source": "billing_country", "match_value": "NZ"}
    answer = api.patch_settings(
        store,
        {
            "accounts": {
                "sales": "999",
                "shipping": "260",
                "fees": "200",
                "products": {"4": "404"},
            },
            "tax_mapping": [
                {"woo_rates": "none", "xero_tax_type": "OUTPUT2"},
                {"woo_rates": "1", "xero_tax_type": "OLDVAT"},
            ],
            "tracking": [
                {**rule, "tracking_category": "region", "tracking_option": "South"},
                {**rule, "position": 2, "tracking_category": "Channel", "tracking_option": "Web"},
            ],
        },
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "accounts.sales": "no active Xero account with code 999",
        "accounts.shipping": "no active Xero account with code 260",
        "accounts.products.4": "no active Xero account with code 404",
        "tax_mapping.1.xero_tax_type": "the Xero tax rate OLDVAT is deleted, not active",
        "tracking.0.tracking_option": "no active option 'South' in 'Region'",
        "tracking.1.tracking_category": "no active Xero tracking category named 'Channel'",
    }

    valid = api.patch_settings(
        store,
        {
            "accounts": {"sales": "200"},
            "tax_mapping": [{"woo_rates": "none", "xero_tax_type": "OUTPUT2"}],
            "tracking": [{**rule, "tracking_category": "REGION", "tracking_option": "north"}],
        },
    )
    assert valid.status_code == 200, valid.get_json()


def test_without_cached_reference_data_any_code_is_accepted(api, store):
    other = make_store("https://other.example.com")
    cache_reference(other, ReferenceKind.ACCOUNTS, [{"Code": "200", "Status": "ACTIVE"}])
    answer = api.patch_settings(store, {"accounts": {"sales": "999"}})
    assert answer.status_code == 200
    assert answer.get_json()["accounts"]["sales"] == "999"


def test_sections_not_changed_are_not_rechecked(api, store):
    """An account archived in Xero since it was chosen does not block other changes."""
    assert api.patch_settings(store, {"accounts": {"sales": "777"}}).status_code == 200
    cache_reference(store, ReferenceKind.ACCOUNTS, [{"Code": "200", "Status": "ACTIVE"}])
    assert api.patch_settings(store, {"contacts": {"phone": "none"}}).status_code == 200
    assert api.patch_settings(store, {"accounts": {"sales": "777"}}).status_code == 422


def test_a_document_read_can_be_sent_back_whole(api, store):
    """`tax_mapping_status` is read-only: sent back, it is ignored."""
    document = api.get_settings(store).get_json()
    document["contacts"]["phone"] = "ddi"
    answer = api.patch_settings(store, document)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["contacts"]["phone"] == "ddi"


def test_json_nested_too_deep_answers_400_with_words_and_stores_nothing(api, store):
    before = api.get_settings(store).get_json()
    for body in ("[" * 100_000, '{"modules": ' + "[" * 5_000 + "]" * 5_000 + "}"):
        answer = api.client.patch(
            f"/api/v1/stores/{store.public_id}/settings",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": api.token()},
        )
        assert answer.status_code == 400
        assert "nested deeper than 64 levels" in answer.get_json()["error"]
    assert api.get_settings(store).get_json() == before


RULE = {
    "position": 1, "source": "billing_country", "match_value": "NZ",
    "tracking_category": "Region", "tracking_option": "Oceania",
}  # fmt: skip


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        ({"documents": {"due_days": "30"}}, "documents.due_days", "whole number"),
        ({"documents": {"due_days": 30.0}}, "documents.due_days", "whole number"),
        ({"documents": {"due_days": True}}, "documents.due_days", "whole number"),
        ({"documents": {"link_to_order": "yes"}}, "documents.link_to_order", "On or off"),
        ({"documents": {"link_to_order": 1}}, "documents.link_to_order", "On or off"),
        ({"modules": {"tax_rates": "true"}}, "modules.tax_rates", "On or off"),
        ({"modules": {"tax_rates": 1}}, "modules.tax_rates", "On or off"),
        ({"tracking": [{**RULE, "position": "1"}]}, "tracking.0.position", "whole number"),
        ({"tracking": [{**RULE, "position": True}]}, "tracking.0.position", "whole number"),
        ({"tracking": [{**RULE, "position": 3}]}, "tracking.0.position", "At most 2."),
        (
            {"accounts": {"products": {str(n): "200" for n in range(20_000)}}},
            "accounts.products", "At most 5000 rows",
        ),
        (
            {"accounts": {"categories": {str(n): "200" for n in range(1_001)}}},
            "accounts.categories", "At most 1000 rows",
        ),
        (
            {"tax_mapping": [{"woo_rates": str(n), "xero_tax_type": "X"} for n in range(501)]},
            "tax_mapping", "At most 500 rows",
        ),
        (
            {"tracking": [{**RULE, "match_value": f"C{n}"} for n in range(201)]},
            "tracking", "At most 200 rows",
        ),
        (
            {"documents": {"by_status": {f"s{n}": "none" for n in range(51)}}},
            "documents.by_status", "At most 50 rows",
        ),
        (
            {"tax_mapping": [{"woo_rates": "1" * 65, "xero_tax_type": "X"}]},
            "tax_mapping.0.woo_rates", "At most 64 characters",
        ),
        (
            {"accounts": {"products": {"\u0661\u0662": "200"}}},
            "accounts.products.\u0661\u0662", "Not in the form expected",
        ),
    ],
)  # fmt: skip
def test_numbers_and_switches_are_strict_and_sizes_bounded(api, store, patch, path, message):
    before = api.get_settings(store).get_json()
    answer = api.patch_settings(store, patch)
    assert answer.status_code == 422
    assert message in answer.get_json()["errors"][path]
    assert api.get_settings(store).get_json() == before


def test_documents_at_the_limits_are_accepted(api, store):
    answer = api.patch_settings(
        store,
        {
            "modules": {"tax_rates": True},
            "documents": {"due_days": 30, "link_to_order": False},
            "accounts": {"products": {str(n): "200" for n in range(5_000)}},
            "tracking": [{**RULE, "match_value": f"C{n}"} for n in range(200)],
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["accounts"]["products"]) == 5_000


def test_text_holding_u0000_is_refused_before_the_database(api, store):
    """PostgreSQL stores U+0000 neither in text nor in JSON: it would fail at the database."""
    before = api.get_settings(store).get_json()
    answer = api.patch_settings(store, {"contacts": {"shared_guest_name": "Walk-in\x00"}})
    assert answer.status_code == 400 and "U+0000" in answer.get_json()["error"]
    assert api.get_settings(store).get_json() == before
    answer = api.client.get("/api/v1/stores/%00/settings")
    assert answer.status_code == 400 and "U+0000" in answer.get_json()["error"]


def test_duplicate_tracking_rules_are_a_422_not_a_database_error(api, store):
    answer = api.patch_settings(store, {"tracking": [RULE, {**RULE, "tracking_option": "Other"}]})
    assert answer.status_code == 422
    assert "tracking" in answer.get_json()["errors"]
    assert api.get_settings(store).get_json()["tracking"] == []


def test_payments_go_only_into_accounts_that_take_payments(api, store):
    cache_reference(store, ReferenceKind.ACCOUNTS, [
        {"Code": "090", "Type": "BANK", "Status": "ACTIVE"},
        {"Code": "610", "Type": "CURRENT", "Status": "ACTIVE", "EnablePaymentsToAccount": True},
        {"Code": "200", "Type": "REVENUE", "Status": "ACTIVE"},
    ])  # fmt: skip
    refused = api.patch_settings(
        store, {"payments": {"default_account": "200", "by_gateway": {"stripe": "999"}}}
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert set(errors) == {"payments.default_account", "payments.by_gateway.stripe"}
    assert "cannot take payments" in errors["payments.default_account"]
    accepted = api.patch_settings(
        store, {"payments": {"default_account": "090", "by_gateway": {"cod": "610"}}}
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert api.get_settings(store).get_json()["payments"]["by_gateway"] == {"cod": "610"}


@pytest.mark.parametrize(
    ("refunds", "path"),
    [
        ({"credit_note_number": "WC-{number}"}, "refunds.credit_note_number"),
        ({"credit_note_number": "R-{n}"}, "refunds.credit_note_number"),
        ({"credit_note_number": "WC-{number}-{x}-{n}"}, "refunds.credit_note_number"),
        ({"amount_only": "account"}, "refunds"),
        ({"first_seen_refunded": "maybe"}, "refunds.first_seen_refunded"),
    ],
)
def test_refund_settings_are_checked(api, store, refunds, path):
    answer = api.patch_settings(store, {"refunds": refunds})
    assert answer.status_code == 422
    assert path in answer.get_json()["errors"]


def test_the_payment_options_list_the_gateways_and_the_accounts_that_take_payments(api, store):
    assert api.get_settings(store).get_json()["payment_options"] == {
        "gateways": [], "accounts": [],
    }, "nothing read yet"  # fmt: skip
    cache_reference(store, ReferenceKind.ACCOUNTS, [
        {"Code": "090", "Name": "Business Bank", "Type": "BANK", "Status": "ACTIVE"},
        {"Code": "095", "Name": "Old Bank", "Type": "BANK", "Status": "ARCHIVED"},
        {"Code": "610", "Name": "Clearing", "Type": "CURRENT", "Status": "ACTIVE",
         "EnablePaymentsToAccount": True},
        {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
    ])  # fmt: skip
    cache_reference(store, ReferenceKind.WOO_PAYMENT_GATEWAYS, [
        {"id": "bacs", "title": "Direct bank transfer", "enabled": True},
        {"id": "cod", "title": "Cash on delivery", "enabled": False},
    ])  # fmt: skip
    document = api.get_settings(store).get_json()
    assert document["payment_options"] == {
        "gateways": [
            {"id": "bacs", "title": "Direct bank transfer", "enabled": True},
            {"id": "cod", "title": "Cash on delivery", "enabled": False},
        ],
        "accounts": [
            {"code": "090", "name": "Business Bank", "type": "BANK"},
            {"code": "610", "name": "Clearing", "type": "CURRENT"},
        ],
    }
    sent_back = api.patch_settings(store, document)
    assert sent_back.status_code == 200, "read-only parts of a document sent back are ignored"
