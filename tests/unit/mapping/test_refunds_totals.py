"""Property tests: orders priced by the sandbox WooCommerce (as in `test_orders_totals`) are
refunded through its own `create_refund`, several times each: part of some lines (the admin's
2 dp amounts or the REST API's unrounded ones), a line's amount without its quantity,
shipping and fees, amount-only refunds, and refunds whose amount is not what their lines
come to. Each refund's credit note, summed by the sandbox Xero's own arithmetic (without
discounts, which credit notes do not take), comes to the refund's amount to the cent, with
WooCommerce's refund tax per rate where the lines explain the amount; so the invoice's total
less its credit notes is the order's total less what was refunded.

What the sandbox does not model of a refund is filled in as WooCommerce 7.4 does it: refund
lines leave out the rates with no tax refunded (`wc_create_refund`'s `array_filter`), and
shipping and fee refund lines and the refund's tax lines (`update_taxes`: per rate, its
lines' tax rounded per line), in the REST response since WooCommerce 4.8 (PR #28241), are
added to the rendered refund. Some refunds are read without tax lines, as older stores send
them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sandbox.woocommerce.php.money import fmt, plain, raw, round_dp
from sandbox.woocommerce.render import orders as render_orders
from sandbox.woocommerce.render.view import View
from sandbox.woocommerce.store.models import FeeLine, Order, ShippingLine
from sandbox.woocommerce.store.refunds import RefundError, RefundLine, create_refund
from server.mapping.lines import tax_mapping_keys
from server.mapping.orders import MappedDocument, for_xero, map_order
from server.mapping.refunds import Booking, map_refund
from tests.unit.mapping.helpers import (
    reference_of,
    set_items,
    spec_errors_once,
    undeclared,
    xero_lines,
    xero_totals,
)
from tests.unit.mapping.woocommerce import (
    CONTACT_ID,
    PROPERTY,
    STORE_URL,
    TENANT,
    Case,
    Spec,
    build,
    charged_lines,
    key_of,
    keys_of,
    organisation_for,
    over_the_wire,
    settings_for,
    specs,
    tax_type_of,
)

D = Decimal
CENT = D("0.01")
ONE, ZERO = D(1), D(0)


# -- refunds made by the sandbox WooCommerce -----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What one refund takes back. `lines` are (product line index, share of its quantity;
    0: an amount without quantity) and `charges` indexes of shipping then fee lines (each
    refunded once at most, `charge_share` of it); indexes wrap around the order's lines.
    "amount" refunds `of` what is left; "mixed" refunds `of` its lines' amount `plus` more."""

    kind: str  # "lines", "amount" or "mixed"
    precise: bool  # the REST API's unrounded amounts, else the admin's 2 dp
    lines: tuple[tuple[int, Decimal], ...] = ()
    charges: tuple[int, ...] = ()
    charge_share: Decimal = ONE
    of: Decimal = ONE
    plus: Decimal = ZERO
    tax_lines: bool = True  # read from a store that sends them (WooCommerce 4.8 and later)


def _part(value: Decimal, share: Decimal, precise: bool) -> Decimal:
    """A share of an amount as the admin enters it (2 dp) or the REST API may (6 dp)."""
    return raw(value * share) if precise else round_dp(value * share, 2)


def _product_lines(plan: Plan, record: Order) -> list[RefundLine]:
    chosen = {index % len(record.line_items): share for index, share in plan.lines}
    lines = []
    for index, share in sorted(chosen.items()):
        item = record.line_items[index]
        quantity = int(item.quantity * share) or (1 if share else 0)
        portion = D(quantity) / item.quantity if quantity else D("0.37")  # an amount alone
        taxes = {rate: _part(tax, portion, plan.precise) for rate, tax in item.taxes.items()}
        lines.append(
            RefundLine(
                item.id,
                quantity,
                _part(item.total, portion, plan.precise),
                {rate: tax for rate, tax in taxes.items() if tax},  # WooCommerce's array_filter
            )
        )
    return lines


Charge = tuple[ShippingLine | FeeLine, Decimal, dict[int, Decimal]]  # line, amount, taxes


def _charges(plan: Plan, record: Order, done: set[int]) -> list[Charge]:
    """Shipping and fee lines refunded whole or in part."""
    candidates: list[ShippingLine | FeeLine] = [*record.shipping_lines, *record.fee_lines]
    chosen = []
    for index in plan.charges if candidates else ():
        line = candidates[index % len(candidates)]
        if line.id in done:
            continue
        share, precise = plan.charge_share, plan.precise
        taxes = {rate: _part(tax, share, precise) for rate, tax in line.taxes.items()}
        chosen.append((line, _part(line.total, share, precise), taxes))
        done.add(line.id)
    return chosen


def _charge_json(
    line: ShippingLine | FeeLine, amount: Decimal, taxes: dict[int, Decimal]
) -> dict[str, Any]:
    """A shipping or fee line of a refund as `/wc/v3` renders it (negative)."""
    kept = {rate: -tax for rate, tax in taxes.items() if tax}  # WooCommerce's array_filter
    rendered: dict[str, Any] = {
        "id": line.id + 10_000,
        "total": fmt(-amount, 2),
        "total_tax": fmt(sum((round_dp(t, 2) for t in kept.values()), D(0)), 2),
        "taxes": [{"id": rate, "total": plain(tax), "subtotal": ""} for rate, tax in kept.items()],
        "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": str(line.id)}],
    }
    if isinstance(line, ShippingLine):
        return rendered | {"method_title": line.method_title, "method_id": line.method_id}
    return rendered | {"name": line.name, "tax_class": line.tax_class, "amount": line.amount}


def _tax_lines(refund: dict[str, Any]) -> list[dict[str, Any]]:
    """The refund's tax lines as `update_taxes` makes them: per rate, its lines' tax rounded
    per line (shipping apart)."""
    totals: dict[int, list[Decimal]] = {}
    for kind in ("line_items", "fee_lines", "shipping_lines"):
        for line in refund[kind]:
            for tax in line["taxes"]:
                cart_and_shipping = totals.setdefault(int(tax["id"]), [D(0), D(0)])
                cart_and_shipping[kind == "shipping_lines"] += round_dp(D(tax["total"]), 2)
    return [
        {"id": 900 + rate, "rate_id": rate, "tax_total": fmt(cart, 2),
         "shipping_tax_total": fmt(shipping, 2)}
        for rate, (cart, shipping) in totals.items()
    ]  # fmt: skip


def make_refund(plan: Plan, case: Case, number: int, done: set[int]) -> dict[str, Any] | None:
    """The refund the sandbox store makes of `plan` (None if WooCommerce refuses it), as
    `/wc/v3/orders/<id>/refunds/<id>` returns it."""
    store, record = case.store, case.record
    lines = _product_lines(plan, record) if plan.kind != "amount" and record.line_items else []
    charges = _charges(plan, record, done) if plan.kind != "amount" else []
    parts = [line.refund_total + sum(line.refund_tax.values(), D(0)) for line in lines]
    parts += [amount + sum(taxes.values(), D(0)) for _, amount, taxes in charges]
    amount = round_dp(sum(parts, D(0)), 2)  # what wc_create_refund makes of the lines alone
    left = record.total - sum((store.refunds[i].amount for i in record.refund_ids), D(0))
    if plan.kind == "amount":
        amount = min(round_dp(left * plan.of, 2), left)
    elif plan.kind == "mixed":
        amount = min(round_dp(amount * plan.of, 2) + plan.plus, left)
    try:
        made = create_refund(
            store, record, amount, f"Return {number}", lines, api_refund=False, refunded_by=1,
            when=record.date_created + timedelta(hours=30 * number),
        )  # fmt: skip
    except RefundError:
        return None
    refund = over_the_wire(render_orders.refund(View(store, f"{STORE_URL}/", 2), made))
    refund["shipping_lines"] = [_charge_json(*c) for c in charges if isinstance(c[0], ShippingLine)]
    refund["fee_lines"] = [_charge_json(*c) for c in charges if isinstance(c[0], FeeLine)]
    # The charges above were added to the rendered refund: its tax lines are made again
    # from all its lines, or left out, as a store before WooCommerce 4.8 does.
    refund["tax_lines"] = _tax_lines(refund) if plan.tax_lines else []
    return refund


shares = st.sampled_from([D(0), D("0.34"), D("0.5"), D(1), D(1)])
plans = st.builds(
    Plan,
    kind=st.sampled_from(["lines", "lines", "amount", "mixed"]),
    precise=st.booleans(),
    lines=st.lists(st.tuples(st.integers(0, 7), shares), max_size=4).map(tuple),
    charges=st.lists(st.integers(0, 3), max_size=3).map(tuple),
    charge_share=st.sampled_from([D(1), D(1), D("0.5"), D("0.3")]),
    of=st.sampled_from([D(1), D("0.5"), D("0.01"), D("0.77"), D("1.2"), D(0)]),
    plus=st.sampled_from([D(0), D("0.01"), D("0.05"), D(3)]),
    tax_lines=st.booleans(),
)


# -- reading a refund independently of the mapper ------------------------------------------------


def _lines_total(refund: dict[str, Any]) -> Decimal:
    """What the refund's lines come to with their tax (WooCommerce's rounding per line)."""
    lines = charged_lines(refund)
    taxes = [round_dp(D(tax["total"]), 2) for line in lines for tax in line["taxes"]]
    return -sum((D(line["total"]) for line in lines), D(0)) - sum(taxes, D(0))


def _sale_key(line: dict[str, Any], order: dict[str, Any]) -> str:
    """The tax mapping key of the order line a refund line refunds."""
    (refunded,) = (int(m["value"]) for m in line["meta_data"] if m["key"] == "_refunded_item_id")
    (sold,) = (sold for sold in charged_lines(order) if sold["id"] == refunded)
    return key_of(sold["taxes"])


def _refund_tax_by_rate(refund: dict[str, Any]) -> dict[int, Decimal]:
    taxes: dict[int, Decimal] = {}
    for line in charged_lines(refund):
        for tax in line["taxes"]:
            taxes[int(tax["id"])] = taxes.get(int(tax["id"]), D(0)) - round_dp(D(tax["total"]), 2)
    return taxes


def _xero_total(mapped: MappedDocument, collection: str, schema: str) -> tuple[Decimal, list]:
    """The document's total by the sandbox Xero's arithmetic, after checking it against
    Xero's spec (each form of document once); and its lines as Xero keeps them."""
    body = for_xero(mapped.document) | {"Contact": {"ContactID": CONTACT_ID}}
    query = {"unitdp": "4"} if collection != "Quotes" else {}
    assert spec_errors_once(f"/{collection}", {collection: [body]}, query) == []
    assert undeclared(schema, body) == []
    rows, errors = xero_lines(TENANT, mapped.document, mapped.kind)
    assert errors == []
    for row in rows:  # lines Xero accepts as they are
        assert abs(row["TaxAmount"]) <= abs(row["LineAmount"]), row
    return xero_totals(rows, mapped.document)["Total"], rows


# -- the properties ------------------------------------------------------------------------------


@settings(PROPERTY, max_examples=150)
@given(spec=specs, refund_plans=st.lists(plans, min_size=1, max_size=3))
@example(  # an inclusive order with compound rates, refunded in three ways
    spec=Spec(
        standard=((D(15), False, True), (D("9.975"), True, True)),
        reduced=D(5),
        inclusive=True,
        items=((D("19.95"), 3, "", "taxable", "SKU-1"), (D("0.99"), 7, "reduced-rate", "", "")),
        fees=((D("4.50"), "taxable", ""),),
        shipping=(D("7.00"),),
    ),
    refund_plans=[
        Plan("lines", False, lines=((0, D("0.34")), (1, D(0))), charges=(0,)),
        Plan("mixed", True, lines=((1, D(1)),), charges=(1,), of=D("0.5"), tax_lines=False),
        Plan("amount", False, of=D(1)),
    ],
)
def test_every_credit_note_comes_to_its_refunds_amount(
    spec: Spec, refund_plans: list[Plan]
) -> None:
    """Invoice total - credit notes = order total - refunds, to the cent, each credit note
    exactly its refund's amount, with WooCommerce's refund tax per rate where its lines
    explain the amount, and at most a rounding line of a few cents."""
    case = build(replace(spec, status="completed"))  # refunds are of paid orders
    keys = keys_of(case.order)
    organisation_for(case, keys)
    reference = reference_of(TENANT)
    settings_ = settings_for(spec, keys)
    invoice = map_order(case.order, settings_, reference, case.products, store_url=STORE_URL)
    assert invoice is not None
    done: set[int] = set()
    made = [make_refund(plan, case, n, done) for n, plan in enumerate(refund_plans, start=1)]
    refunds = [refund for refund in made if refund is not None]
    order = over_the_wire(render_orders.order(View(case.store, f"{STORE_URL}/", 2), case.record))
    assert set(tax_mapping_keys(order, refunds)) == keys  # a refund line carries its line's
    notes = [map_refund(r, order, settings_, reference, case.products) for r in refunds]
    set_items(TENANT, [item for doc in (invoice, *notes) if doc for item in doc.items])
    invoice_total, _ = _xero_total(invoice, "Invoices", "Invoice")
    assert invoice_total == D(order["total"])

    credited = D(0)
    for refund, note in zip(refunds, notes, strict=True):
        amount = D(refund["amount"])
        if not amount:
            assert note is None
            continue
        assert note is not None
        total, rows = _xero_total(note, "CreditNotes", "CreditNote")
        assert total == amount == note.total
        credited += total
        assert all(row["DiscountAmount"] is None for row in rows)
        rounding = [row for row in rows if row["AccountCode"] == reference.rounding_account]
        assert len(rounding) <= 1
        lines = charged_lines(refund)
        if abs(amount - _lines_total(refund)) <= CENT * (len(lines) + 1) and lines:
            # The lines explain the amount: WooCommerce's refund tax per rate, for every rate
            # whose lines (as sold) carry it alone, and a rounding line of cents at most.
            for rate_id, expected in _refund_tax_by_rate(refund).items():
                carriers = {_sale_key(line, order) for line in lines}
                carriers = {key for key in carriers if str(rate_id) in key.split("+")}
                if carriers == {str(rate_id)}:
                    own = [row for row in rows if row["TaxType"] == tax_type_of(str(rate_id))]
                    assert sum((row["TaxAmount"] for row in own), D(0)) == expected, rate_id
            assert abs(sum((r["LineAmount"] for r in rounding), D(0))) <= CENT * (len(lines) + 1)
        else:  # the rest spread over the order's lines, exactly: no rounding line
            assert rounding == []
            assert any("do not explain" in n or "amount-only" in n for n in note.explanation)
    refunded = sum((D(refund["amount"]) for refund in refunds), D(0))
    assert invoice_total - credited == D(order["total"]) - refunded


@settings(PROPERTY, max_examples=60)
@given(spec=specs, share=st.sampled_from([D(1), D("0.5"), D("0.01"), D("0.33")]))
def test_an_amount_only_refund_carries_the_orders_share_of_tax_or_goes_to_one_account(
    spec: Spec, share: Decimal
) -> None:
    """Spread over the order's lines, an amount-only refund's tax is its share of the
    order's tax (to a cent per group); booked to one account, it is one line of that tax
    type. Both come to the refund's amount."""
    case = build(replace(spec, status="completed"))
    left = case.record.total
    try:
        made = create_refund(
            case.store, case.record, round_dp(left * share, 2), "", [], api_refund=False,
            refunded_by=1, when=case.record.date_created,
        )  # fmt: skip
    except RefundError:  # a refund of nothing
        return
    view = View(case.store, f"{STORE_URL}/", 2)
    refund = over_the_wire(render_orders.refund(view, made))
    order = over_the_wire(render_orders.order(view, case.record))
    keys = keys_of(order)
    organisation_for(case, keys)
    reference = reference_of(TENANT)
    settings_ = settings_for(spec, keys)
    amount = D(refund["amount"])

    spread = map_refund(refund, order, settings_, reference, case.products)
    booked = map_refund(
        refund, order, settings_, reference, case.products,
        amount_only=Booking("260", "OUTPUT2"),
    )  # fmt: skip
    if not amount:
        assert spread is None and booked is None
        return
    assert spread is not None and booked is not None
    total, rows = _xero_total(spread, "CreditNotes", "CreditNote")
    assert total == amount
    order_tax = D(order["total_tax"])
    tax = sum((row["TaxAmount"] for row in rows), D(0))
    assert abs(tax - amount * order_tax / D(order["total"])) <= CENT * len(rows)

    total, rows = _xero_total(booked, "CreditNotes", "CreditNote")
    assert total == amount
    (row,) = rows
    assert (row["AccountCode"], row["TaxType"]) == ("260", "OUTPUT2")
    gross = row["LineAmount"] if order["prices_include_tax"] else row["LineAmount"] + tax
    assert row["TaxAmount"] == (amount * D(15) / D(115)).quantize(CENT)
    assert gross == amount or not order["prices_include_tax"]
