"""Which of a store's WooCommerce rates tax a line together, what they come to and how
they are named: checked against the WooCommerce sandbox's own rate lookup and tax
calculation (`WC_Tax::find_rates`, `WC_Tax::calc_tax`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.woocommerce import PRINCE_EDWARD_ISLAND_RATES, StoreConfig, TaxRateSpec
from sandbox.woocommerce.totals.taxes import calc_tax, find_rates
from server.mapping.tax_keys import (
    combinations,
    effective_rate,
    key_label,
    order_keys,
    woo_rates,
)
from server.stores.settings.schema import rates_key


def rows(specs: tuple[TaxRateSpec, ...]) -> list[dict[str, Any]]:
    """The rates as WooCommerce's REST API lists them."""
    return [
        {
            "id": spec.rate_id, "country": spec.country, "state": spec.state,
            "postcodes": [], "cities": [], "rate": f"{spec.rate:.4f}", "name": spec.name,
            "priority": spec.priority, "compound": spec.compound, "shipping": spec.shipping,
            "order": spec.order, "class": spec.tax_class or "standard",
        }
        for spec in specs
    ]  # fmt: skip


SANDBOX = woo_rates(rows((*StoreConfig().tax_rates, *PRINCE_EDWARD_ISLAND_RATES)))


def test_the_sandbox_stores_rates_combine_in_british_columbia_and_prince_edward_island():
    assert combinations(SANDBOX) == {"5+6", "7+8"}
    assert key_label("5+6", SANDBOX) == "GST 5% + PST 7%"
    assert key_label("7+8", SANDBOX) == "GST 5% + PST 10% compound"
    assert key_label("none", SANDBOX) == "no tax"
    assert effective_rate("5+6", SANDBOX) == Decimal("12")  # side by side: 5 + 7
    assert effective_rate("7+8", SANDBOX) == Decimal("15.5")  # compound: 1.05 x 1.10 - 1
    assert effective_rate("1", SANDBOX) == Decimal("15")
    assert effective_rate("none", SANDBOX) == 0
    assert effective_rate("5+99", SANDBOX) is None  # a rate the store no longer has


def test_a_country_wide_rate_joins_a_states_rate_of_another_priority():
    rates = woo_rates([
        {"id": 1, "country": "CA", "state": "", "rate": "5", "name": "GST", "priority": 1},
        {"id": 2, "country": "CA", "state": "QC", "rate": "9.975", "name": "QST", "priority": 2},
        {"id": 3, "country": "CA", "state": "ON", "rate": "13", "name": "HST", "priority": 1},
        {"id": 4, "country": "CA", "state": "ON", "rate": "1", "name": "X", "priority": 1},
        {"id": 5, "country": "CA", "state": "QC", "rate": "1", "class": "reduced-rate",
         "priority": 3},
    ])  # fmt: skip
    # QC: GST and QST; ON: HST alone (the most specific of priority 1); the reduced class
    # is a line of its own.
    assert combinations(rates) == {"1+2"}


def test_rates_of_different_postcodes_do_not_combine():
    rates = woo_rates([
        {"id": 1, "country": "US", "state": "CA", "postcodes": ["90001"], "rate": "1",
         "priority": 2},
        {"id": 2, "country": "US", "state": "CA", "postcodes": ["94016"], "rate": "2",
         "priority": 3},
        {"id": 3, "country": "US", "state": "CA", "rate": "7.25", "priority": 1},
    ])  # fmt: skip
    assert combinations(rates) == {"1+3", "2+3"}


def test_rows_that_are_not_rates_are_left_out():
    rates = woo_rates([{"id": "x"}, {"name": "no id"}, {"id": 4, "rate": "abc"}])
    assert list(rates) == [4]
    assert effective_rate("4", rates) is None
    assert key_label("4", rates) == "rate 4"
    assert key_label("4+9", rates) == "rate 4 + rate 9"
    assert key_label("4+9", rates, "VAT 4% + Eco 1%") == "VAT 4% + Eco 1%"  # as orders said


def test_an_orders_keys_are_named_by_its_own_tax_lines():
    order = {
        "line_items": [{"id": 1, "taxes": [{"id": 5, "total": "1"}, {"id": 6, "total": "1"}]}],
        "shipping_lines": [{"id": 2, "taxes": []}],
        "tax_lines": [
            {"rate_id": 5, "label": "GST", "rate_percent": 5},
            {"rate_id": 6, "label": "PST", "rate_percent": 7},
        ],
    }
    assert order_keys(order) == {"5+6": "GST 5% + PST 7%", "none": "no tax"}
    assert order_keys({"fee_lines": [{"id": 1, "taxes": [{"id": 9}]}]}) == {"9": "rate 9"}


PLACES = st.sampled_from([("CA", ""), ("CA", "BC"), ("CA", "ON"), ("", ""), ("US", "NY")])
SPEC = st.tuples(
    PLACES,
    st.integers(1, 3),  # priority
    st.booleans(),  # compound
    st.sampled_from(["", "reduced-rate"]),
    st.decimals(min_value=0, max_value=30, places=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SPEC, min_size=1, max_size=8))
def test_combinations_and_rates_are_what_woocommerce_applies(drawn):
    # Ordered most specific first, as WooCommerce's lookup orders them.
    drawn = sorted(drawn, key=lambda spec: (not spec[0][0], not spec[0][1]))
    specs = tuple(
        TaxRateSpec(n + 1, place[0], rate, f"R{n + 1}", tax_class=tax_class, state=place[1],
                    priority=priority, compound=compound, order=n)
        for n, (place, priority, compound, tax_class, rate) in enumerate(drawn)
    )  # fmt: skip
    rates = woo_rates(rows(specs))
    applied = {
        tuple(find_rates(specs, tax_class, country, state))
        for country, state in [("CA", "BC"), ("CA", "ON"), ("CA", "QC"), ("US", "NY"), ("FR", "")]
        for tax_class in ("", "reduced-rate")
    }
    found = combinations(rates)
    for chosen in applied:
        if not chosen:
            continue
        key = rates_key(rate.rate_id for rate in chosen)
        assert (key in found) == (len(chosen) > 1), (key, found)
        tax = sum(calc_tax(Decimal(100), list(chosen), inclusive=False).values(), Decimal(0))
        # The calculator keeps six places; the effective rate four.
        assert abs(effective_rate(key, rates) - tax) <= Decimal("0.0001")
