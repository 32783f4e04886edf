"""The Settings page: a form chosen from the organisation's own accounts, tax rates and
tracking categories, saved through the same change as the API, every error under its field."""

from __future__ import annotations

import html
import random
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.extensions import db
from server.models import ReferenceKind, Store, WooConnection
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings
from server.web.dashboard import actions
from server.web.dashboard.sessions import open_dashboard_session
from tests.integration.web.dashboard.api.conftest import cache_reference, make_store
from tests.integration.web.dashboard.api.test_tax_mapping import BC_RATES, XERO_RATES

ACCOUNTS = [
    {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
    {"Code": "210", "Name": "Shipping income", "Type": "OTHERINCOME", "Status": "ACTIVE"},
    {"Code": "260", "Name": "Other revenue", "Type": "SALES", "Status": "ACTIVE"},
    {"Code": "429", "Name": "General expenses", "Type": "EXPENSE", "Status": "ACTIVE"},
    {"Code": "090", "Name": "Business bank", "Type": "BANK", "Status": "ACTIVE"},
    {"Code": "610", "Name": "Accounts receivable", "Type": "CURRENT", "Status": "ACTIVE"},
    {"Code": "205", "Name": "Old sales", "Type": "REVENUE", "Status": "ARCHIVED"},
]
TRACKING = [
    {"Name": "Region", "Status": "ACTIVE",
     "Options": [{"Name": "North", "Status": "ACTIVE"}, {"Name": "South", "Status": "ACTIVE"}]},
]  # fmt: skip
GATEWAYS = [{"id": "stripe", "title": "Card", "enabled": True}]
COMPLETE = {f"tax_mapping.{key}": tax_type
            for key, tax_type in (("5", "GST"), ("6", "PST"), ("5+6", "TAX001"), ("none", "NONE"))}  # fmt: skip


@pytest.fixture
def store(app_context: Any) -> Store:
    store = make_store()
    for kind, rows in (
        (ReferenceKind.ACCOUNTS, ACCOUNTS),
        (ReferenceKind.TAX_RATES, XERO_RATES),  # GST 5%, PST 7%, both 12%; one for expenses
        (ReferenceKind.WOO_TAX_RATES, BC_RATES),  # GST 5% and PST 7%, taxing a line together
        (ReferenceKind.TRACKING_CATEGORIES, TRACKING),
        (ReferenceKind.WOO_PAYMENT_GATEWAYS, GATEWAYS),
    ):
        cache_reference(store, kind, rows)
    return store


@pytest.fixture
def page(app_context: Any, store: Store, redis: Any) -> SettingsPage:
    return SettingsPage(app_context.test_client(use_cookies=False), open_dashboard_session(store))


class SettingsPage:
    """The page as a browser in WordPress's iframe uses it: no cookies, the token in the
    links and in the form."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def get(self) -> Any:
        return self.client.get(f"/dashboard/settings?s={self.token}")

    def fields(self) -> dict[str, str]:
        """The form's fields as a browser would post them unchanged."""
        return form_values(self.get().get_data(as_text=True))

    def post(self, values: dict[str, str]) -> Any:
        return self.client.post("/dashboard/settings", data={**values, "s": self.token})


class FormFields(HTMLParser):
    """The settings form's fields as a browser reads them: inputs, and each select's options
    (value, selected); every field must have an id its label or aria-label names."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.selects: dict[str, list[tuple[str, bool]]] = {}
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self._select = ""
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and found.get("class") == "settings-form":
            self._inside = True
        if not self._inside:
            return
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if tag in ("input", "select") and found.get("type") != "hidden":
            assert found.get("id") and found.get("name"), f"a field without id or name: {found}"
            if found.get("aria-label"):
                self.labelled.add(str(found["id"]))
        if tag == "input":
            self.inputs.append(found)
        elif tag == "select":
            self._select = str(found["name"])
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append((str(found["value"]), "selected" in found))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = ""
        if tag == "form":
            self._inside = False


def parsed(page: str) -> FormFields:
    fields = FormFields()
    fields.feed(page)
    assert len(fields.ids) == len(set(fields.ids)), "ids are unique"
    return fields


def form_values(page: str) -> dict[str, str]:
    """What a browser sends for the page's settings form: text inputs, checked boxes, the
    selected option of each select."""
    fields = parsed(page)
    values = {
        str(field["name"]): str(field.get("value") or "")
        for field in fields.inputs
        if field.get("name") and (field.get("type") != "checkbox" or "checked" in field)
    }
    for name, options in fields.selects.items():
        chosen = [value for value, selected in options if selected] or [options[0][0]]
        values[name] = chosen[0]
    return values


def options_of(page: str, name: str) -> list[str]:
    return [value for value, _ in parsed(page).selects[name]]


def test_every_field_has_a_label(page):
    fields = parsed(page.get().get_data(as_text=True))
    named = [str(field["id"]) for field in fields.inputs if field.get("type") != "hidden"]
    named += ["f-" + re.sub(r"[.+:]", "-", name) for name in fields.selects]
    assert named and set(named) <= fields.labelled


def error_of(page: str, name: str) -> str:
    """The error shown under a field, which the field names in aria-describedby."""
    ident = "f-" + re.sub(r"[.+:]", "-", name)
    field = re.search(rf'<[^>]*id="{re.escape(ident)}"[^>]*>', page)
    assert field and 'aria-invalid="true"' in field.group(0), f"{name} is not marked invalid"
    assert f"{ident}-error" in field.group(0)
    match = re.search(rf'id="{re.escape(ident)}-error">([^<]*)<', page)
    assert match
    return html.unescape(match.group(1))


def test_the_account_lists_are_the_organisations_accounts_filtered_by_type(page):
    text = page.get().get_data(as_text=True)
    assert options_of(text, "accounts.sales") == ["200", "210", "260"]  # income, active only
    assert options_of(text, "accounts.discounts") == ["", "200", "210", "260", "429"]
    assert options_of(text, "payments.default_account") == ["", "090"]
    assert options_of(text, "payments.by_gateway.stripe") == ["", "090"]
    assert "200 — Sales" in text and "090 — Business bank" in text
    assert options_of(text, "tax_mapping.5+6") == ["", "NONE", "GST", "PST", "TAX001"]  # sales
    assert "GST + PST (12%)" in text
    assert options_of(text, "tracking.0.tracking_category") == ["", "Region"]
    assert options_of(text, "tracking.0.tracking_option") == ["", "North", "South"]


def test_a_valid_form_changes_the_stored_settings(page, store):
    values = page.fields()
    values |= {
        "accounts.shipping": "210",
        "documents.invoice_number": "INV-{number}",
        "documents.by_status.on-hold": "none",
        **COMPLETE,
        "accounts.categories.0.id": "17",
        "accounts.categories.0.account": "260",
        "payments.by_gateway.stripe": "090",
        "tracking.0.source": "billing_country",
        "tracking.0.match_value": "NZ",
        "tracking.0.tracking_category": "Region",
        "tracking.0.tracking_option": "North",
    }
    values.pop("documents.link_to_order")  # unticked
    answer = page.post(values)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Settings saved." in answer.get_data(as_text=True)
    stored = settings_store.load(store.id)
    assert stored.accounts.shipping == "210" and stored.accounts.categories == {"17": "260"}
    assert stored.documents.invoice_number == "INV-{number}"
    assert stored.documents.by_status["on-hold"] == "none"
    assert stored.documents.link_to_order is False
    assert stored.tax_types() == {"5": "GST", "6": "PST", "5+6": "TAX001", "none": "NONE"}
    assert stored.payments.by_gateway == {"stripe": "090"}
    assert [(r.source, r.match_value, r.tracking_option) for r in stored.tracking] == [
        ("billing_country", "NZ", "North")
    ]
    shown = page.fields()  # and the page shows what was stored
    assert shown["accounts.categories.0.id"] == "17" and shown["tax_mapping.5+6"] == "TAX001"


def test_an_invalid_value_is_shown_under_its_field_and_nothing_is_stored(page, store):
    before = settings_store.load(store.id)
    values = page.fields() | {
        "documents.invoice_number": "INV",
        "documents.due_days": "soon",
        "contacts.shared_guest_name": "Typed by hand",
    }
    answer = page.post(values)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "{number} or {id}" in error_of(text, "documents.invoice_number")
    assert "whole number" in error_of(text, "documents.due_days")
    assert form_values(text)["contacts.shared_guest_name"] == "Typed by hand"  # kept
    assert settings_store.load(store.id) == before


def test_an_account_not_in_the_organisation_is_refused_under_its_field(page, store):
    values = page.fields() | {"accounts.products.0.id": "5", "accounts.products.0.account": "999"}
    text = page.post(values).get_data(as_text=True)
    assert "no active Xero account with code 999" in error_of(text, "accounts.products.0.account")
    assert settings_store.load(store.id).accounts.products == {}


def test_a_code_no_longer_in_the_organisation_stays_selected_with_a_warning(page, store):
    settings_store.save(store.id, StoreSettings.model_validate({"accounts": {"sales": "205"}}))
    db.session.commit()
    text = page.get().get_data(as_text=True)
    assert form_values(text)["accounts.sales"] == "205"
    assert "account 205 is not among the organisation's active accounts" in html.unescape(text)


def test_a_tracking_rule_no_longer_in_the_organisation_is_kept_not_dropped(page, store):
    """An option archived in Xero, a category spelled in another case: shown as kept, and
    saving the form unchanged keeps them (an untouched section never blocks a save)."""
    rule = {"position": 1, "source": "billing_country", "match_value": "NZ",
            "tracking_category": "region", "tracking_option": "Old Town"}  # fmt: skip
    settings_store.save(store.id, StoreSettings.model_validate({"tracking": [rule]}))
    db.session.commit()
    body = html.unescape(page.get().get_data(as_text=True))
    assert re.search(r'<option value="region" selected>Region</option>', body)
    assert '<option value="Old Town" selected>Old Town — not in the organisation</option>' in body
    answer = page.post(page.fields())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    kept = settings_store.load(store.id).tracking[0]
    assert (kept.tracking_category, kept.tracking_option) == ("region", "Old Town")


def test_a_form_opened_before_a_change_elsewhere_does_not_undo_it(page, store):
    opened = page.fields()  # Tax Rates off, as shown
    changed = actions.change_settings(store, {"modules": {"tax_rates": True}})  # the Overview
    assert changed.settings is not None
    answer = page.post(opened | {"documents.invoice_number": "INV-{number}"})
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422 and "changed after this page was opened" in body
    stored = settings_store.load(store.id)
    assert stored.modules.tax_rates and stored.documents.invoice_number == "WC-{number}"
    again = page.post(page.fields() | {"documents.invoice_number": "INV-{number}"})  # reloaded
    assert again.status_code == 200
    stored = settings_store.load(store.id)
    assert stored.modules.tax_rates and stored.documents.invoice_number == "INV-{number}"


def test_invoices_with_the_mapping_incomplete_is_refused_in_words(page, store):
    values = page.fields() | {"modules.invoices": "on"}
    text = page.post(values).get_data(as_text=True)
    assert 'class="notice notice-error"' in text
    assert "complete the tax mapping first" in html.unescape(text)
    assert "5+6 (GST 5% + PST 7%)" in html.unescape(text)
    assert settings_store.load(store.id).modules.invoices is False

    values |= COMPLETE
    assert page.post(values).status_code == 200  # mapping and switches in one save
    modules = settings_store.load(store.id).modules
    assert modules.invoices and modules.contacts and modules.items and modules.tax_rates


def test_the_switches_say_what_each_module_needs(page):
    text = html.unescape(page.get().get_data(as_text=True))
    assert "needs Contacts and Items and a complete tax mapping" in text
    assert "needs Tax Rates and a complete tax mapping" in text


def test_a_tax_type_of_another_percentage_warns(page, store):
    values = page.fields() | COMPLETE | {"tax_mapping.5": "PST"}
    answer = page.post(values)
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert 'class="notice notice-warning"' in text
    assert "PST (PST) is 7% in Xero, but WooCommerce charges 5%" in text
    assert settings_store.load(store.id).tax_types()["5"] == "PST"  # saved all the same


def test_each_email_is_on_until_its_box_is_unticked(page, store):
    values = page.fields()
    kinds = ("trial_ending", "trial_ended", "payment_failed", "xero_reauthorisation",
             "woocommerce_refused", "orders_need_attention")  # fmt: skip
    assert all(values[f"notifications.{kind}"] == "on" for kind in kinds)
    values.pop("notifications.trial_ended")
    answer = page.post(values)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    stored = settings_store.load(store.id).notifications
    assert stored.trial_ended is False and stored.trial_ending is True
    assert "notifications.trial_ended" not in page.fields()  # shown unticked


def test_the_poll_interval_is_bounded_and_kept_on_the_connection(page, store):
    connection = WooConnection(store_id=store.id)
    db.session.add(connection)
    db.session.commit()
    text = page.post(page.fields() | {"polling.interval_minutes": "0"}).get_data(as_text=True)
    assert "At least 1." in error_of(text, "polling.interval_minutes")
    assert page.post(page.fields() | {"polling.interval_minutes": "15"}).status_code == 200
    db.session.refresh(connection)
    assert connection.poll_interval_minutes == 15
    assert page.fields()["polling.interval_minutes"] == "15"


def test_the_form_carries_the_session_token_for_a_cookieless_browser(page, store):
    """In WordPress's iframe there are no cookies: the form posts the token itself."""
    text = page.get().get_data(as_text=True)
    assert f'<input type="hidden" name="s" value="{page.token}">' in text
    values = form_values(text) | {"contacts.phone": "none"}
    assert values["s"] == page.token
    assert page.client.post("/dashboard/settings", data=values).status_code == 200
    assert settings_store.load(store.id).contacts.phone == "none"
    without = {name: value for name, value in values.items() if name != "s"}
    assert page.client.post("/dashboard/settings", data=without).status_code == 401
    in_address_only = page.client.post(f"/dashboard/settings?s={page.token}", data=without)
    assert in_address_only.status_code == 403  # a form from elsewhere carries no token


FIELDS = [
    "modules.invoices", "documents.due_days", "documents.by_status.pending",
    "documents.invoice_number", "accounts.sales", "accounts.products.0.id",
    "accounts.products.0.account", "tax_mapping.5", "tax_mapping.5+6", "tracking.0.position",
    "tracking.0.source", "tracking.0.match_value", "payments.by_gateway.stripe",
    "polling.interval_minutes", "refunds.amount_only", "contacts.guests", "unknown.field",
]  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    garbage=st.dictionaries(
        st.one_of(st.sampled_from(FIELDS), st.text(max_size=40)), st.text(max_size=30), max_size=6
    )
)
def test_any_garbage_gets_a_field_error_or_a_4xx_never_a_500(page, garbage):
    random.seed()
    answer = page.post(page.fields() | garbage)
    assert answer.status_code in (200, 400, 422), answer.get_data(as_text=True)[:2000]


def test_names_the_form_does_not_have_are_not_read(page, store):
    answer = page.post(page.fields() | {"documents.bogus": "1", "contacts.phone": "mobile"})
    assert answer.status_code == 200
    assert settings_store.load(store.id).contacts.phone == "mobile"
