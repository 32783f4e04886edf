"""The tax mapping keys an order and its refunds carry: every one the mappers look up, so
the settings can list them all (a store whose lines carry "5+6" needs that key mapped even
when "5" and "6" each are)."""

from __future__ import annotations

from typing import Any

from server.mapping.lines import tax_mapping_keys


def taxed(item_id: int, *rates: int) -> dict[str, Any]:
    """A line carrying these rates."""
    return {"id": item_id, "total": "1.00", "taxes": [{"id": r, "total": "0.1"} for r in rates]}


def refunded(item_id: int, *rates: int) -> dict[str, Any]:
    """A refund line of order line `item_id`, carrying these rates."""
    meta = [{"id": 1, "key": "_refunded_item_id", "value": str(item_id)}]
    return taxed(0, *rates) | {"meta_data": meta}


ORDER = {
    "line_items": [taxed(1, 5), taxed(2, 6, 5), taxed(3)],
    "shipping_lines": [taxed(4, 5)],
    "fee_lines": [taxed(5, 9)],
}


def test_the_keys_of_an_order_are_its_lines_rate_combinations():
    assert tax_mapping_keys(ORDER) == ["5", "5+6", "9", "none"]
    assert tax_mapping_keys({"line_items": [taxed(1, 12, 3, 12)]}) == ["3+12"]
    assert tax_mapping_keys({}) == []


def test_a_refund_line_is_keyed_by_the_rates_of_the_line_it_refunds_too():
    """WooCommerce drops a rate from a refund line when none of its tax is refunded: the
    credit still books with the sale's tax type, and a line of its own adds its rates."""
    refund = {
        "line_items": [refunded(2, 5), refunded(3)],
        "shipping_lines": [refunded(4)],
        "fee_lines": [refunded(77, 7)],  # an order line no longer there
    }
    amount_only = {"amount": "5.00", "line_items": []}
    assert tax_mapping_keys(ORDER, [refund, amount_only]) == ["5", "5+6", "7", "9", "none"]
    assert tax_mapping_keys({"line_items": [taxed(2, 6)]}, [refund]) == ["5+6", "6", "7", "none"]
