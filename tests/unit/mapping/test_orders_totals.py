"""Property tests: over thousands of orders priced by the sandbox WooCommerce, the mapped
document, summed by the sandbox Xero's own arithmetic, comes to WooCommerce's total to the
cent, with WooCommerce's tax per rate, lawful lines and no unexplained rounding.

The orders, and how they are read independently of the mapper, are in `woocommerce`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.mapping.orders import CannotMapError, for_xero, map_order
from tests.unit.mapping.helpers import (
    reference_of,
    set_items,
    spec_errors,
    undeclared,
    xero_lines,
    xero_totals,
)
from tests.unit.mapping.woocommerce import (
    CONTACT_ID,
    PROPERTY,
    STORE_URL,
    TENANT,
    Spec,
    build,
    charged_lines,
    key_of,
    keys_of,
    organisation_for,
    settings_for,
    specs,
    tax_by_rate,
    tax_type_of,
)

D = Decimal
CENT = D("0.01")


def _unexplained(order: dict[str, Any]) -> Decimal:
    """What WooCommerce's total holds beyond its own lines and tax lines (its rounding)."""
    lines = sum((D(line["total"]) for line in charged_lines(order)), D(0))
    return D(order["total"]) - lines - sum(tax_by_rate(order).values(), D(0))


@settings(PROPERTY, max_examples=2000)
@given(spec=specs)
@example(  # 3 x 0.32 + 10 % (0.096 -> 0.10) all discounted: gross 1.0599 < a 1.06 discount
    spec=Spec(
        standard=((D(15), False, True),),
        reduced=D(10),
        inclusive=True,
        items=((D("0.32"), 3, "reduced-rate", "taxable", ""),),
        coupons=(("percent", D(100)),),
        checkout=False,
    )
)
@example(  # rates 20 %, 15 % compound, 20 % split in proportion: 0.03 of tax on a 0.02 line
    spec=Spec(
        standard=((D(20), False, False), (D(15), True, False), (D(20), False, False)),
        reduced=D(15),
        inclusive=False,
        items=((D("0.01"), 2, "", "taxable", ""),) * 2 + ((D("0.99"), 1, "", "taxable", ""),),
        checkout=False,
    )
)
@example(  # rounding at subtotal: each rate's cent went to the 0.02 line, 0.03 of tax on it
    spec=Spec(
        standard=((D(20), False, False), (D(15), True, False), (D(20), False, False)),
        reduced=D(15),
        inclusive=False,
        items=((D("0.01"), 2, "", "taxable", ""),),
        fees=((D("0.01"), "taxable", ""),),
        checkout=False,
        subtotal_rounding=True,
    )
)
@example(  # three 15 % rates, a 0.01 coupon as a separate line: 0.03 of tax on -0.01
    spec=Spec(
        standard=((D(15), False, False), (D(15), False, False), (D(15), False, False)),
        reduced=D(15),
        inclusive=False,
        items=((D("1.50"), 1, "", "taxable", ""),),
        coupons=(("fixed_cart", D("0.01")),),
        checkout=False,
        discounts="separate_line",
    )
)
def test_xero_total_equals_woocommerce_total_with_its_tax_per_rate(spec: Spec) -> None:
    """A spec-valid document whose lines, by Xero's arithmetic, give WooCommerce's total
    and tax lines."""
    case = build(spec)
    order = case.order
    keys = keys_of(order)
    organisation_for(case, keys)
    reference = reference_of(TENANT)
    mapped = map_order(
        order, settings_for(spec, keys), reference, case.products, store_url=STORE_URL
    )
    assert mapped is not None
    document = mapped.document
    collection, schema = (
        ("Invoices", "Invoice") if mapped.kind == "invoice" else ("Quotes", "Quote")
    )
    body = for_xero(document) | {"Contact": {"ContactID": CONTACT_ID}}
    query = {"unitdp": "4"} if mapped.kind == "invoice" else {}
    assert spec_errors(f"/{collection}", {collection: [body]}, query) == []
    assert undeclared(schema, body) == []
    set_items(TENANT, mapped.items)  # as the engine creates them before the document
    rows, errors = xero_lines(TENANT, document, mapped.kind)
    assert errors == []
    assert xero_totals(rows, document)["Total"] == D(order["total"]) == mapped.total

    # WooCommerce's tax per rate, for every rate whose lines all carry it alone.
    taxed = tax_by_rate(order)
    for rate_id, expected in taxed.items():
        carriers = {
            key_of(line["taxes"])
            for line in charged_lines(order)
            if rate_id in {int(t["id"]) for t in line["taxes"]}
        }
        if carriers == {str(rate_id)}:
            own = [row for row in rows if row["TaxType"] == tax_type_of(str(rate_id))]
            assert sum((row["TaxAmount"] for row in own), D(0)) == expected, rate_id

    # Lines Xero accepts as they are.
    for row in rows:
        assert abs(row["TaxAmount"]) <= abs(row["LineAmount"]), row
        if row["DiscountAmount"] is not None:
            assert D(0) <= row["DiscountAmount"] <= row["Quantity"] * row["UnitAmount"], row

    # A rounding line only for what WooCommerce's own rounding leaves, of a few cents at most.
    rounding = [row for row in rows if row["AccountCode"] == reference.rounding_account]
    unexplained = _unexplained(order)
    assert len(rounding) <= 1
    assert sum((row["LineAmount"] for row in rounding), D(0)) == unexplained
    assert abs(unexplained) <= (CENT * len(taxed) if spec.subtotal_rounding else 0)


@settings(PROPERTY, max_examples=300)
@given(spec=specs, data=st.data())
def test_an_order_with_an_unmapped_rate_is_held_naming_the_rate(
    spec: Spec, data: st.DataObject
) -> None:
    """Leaving one rate (or combination of rates) out of the tax mapping holds the order."""
    case = build(spec)
    keys = keys_of(case.order)
    organisation_for(case, keys)
    missing = data.draw(st.sampled_from(sorted(keys)), label="missing")
    settings_ = settings_for(spec, keys - {missing})
    with pytest.raises(CannotMapError) as raised:
        map_order(case.order, settings_, reference_of(TENANT), case.products, store_url=STORE_URL)
    wanted = "no tax is not mapped" if missing == "none" else f"rate(s) {missing} is not mapped"
    assert any(wanted in reason for reason in raised.value.reasons), raised.value.reasons
