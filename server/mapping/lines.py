"""The lines of a Xero document made from a WooCommerce order or refund, exact to the cent:
what invoices, quotes and credit notes share. Pure: no I/O, no clock, no mutation of input.

Every line carries an explicit TaxAmount. The tax of each WooCommerce rate (its tax line:
items plus shipping) is split over the lines that carry the rate, to the cent, so Xero's tax
report per rate equals WooCommerce's. Lines are priced so Xero's own arithmetic
(`server.mapping.arithmetic`) gives each line's amount; whatever cent is left between Xero's
predicted total and WooCommerce's goes to one line on the ROUNDING account. A record that
cannot be represented exactly raises `CannotMapError` with the reasons, and is not sent.
"""

from __future__ import annotations

import hashlib
import html
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from server.mapping.arithmetic import (
    CENT,
    ZERO,
    PricedLine,
    allocate,
    document_total,
    price_line,
    round2,
    round_to,
    with_discount,
)
from server.mapping.dates import local_date
from server.mapping.reference import Reference
from server.stores.settings.schema import StoreSettings, rates_key

MAX_ITEM_CODE = 30
MAX_ITEM_NAME = 50
MAX_DESCRIPTION = 4000
MAX_NUMBER = Decimal(10) ** 12  # beyond any amount or quantity an order can hold
LINE_KINDS = ("line_items", "shipping_lines", "fee_lines")  # the lines that are charged


class CannotMapError(Exception):
    """The record cannot be represented exactly in Xero; held until a person acts."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)


def item_code(sku: str) -> str:
    """A Xero item Code (≤ 30 chars) for a SKU: the SKU itself, or for longer SKUs its first
    21 characters, "~" and 8 hex digits of its hash (deterministic and, in practice, unique)."""
    sku = sku.strip()
    if len(sku) <= MAX_ITEM_CODE:
        return sku
    digest = hashlib.sha256(sku.encode()).hexdigest()[:8]
    return f"{sku[: MAX_ITEM_CODE - 9]}~{digest}"


def within_rounding(residual: Decimal, lines: int) -> bool:
    """Whether what is left between Xero's predicted total and WooCommerce's can be rounding:
    at most a cent per line, and one more."""
    return abs(residual) <= CENT * (lines + 1)


def order_lines(order: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    """The order's charged lines (products, shipping, fees) by item id."""
    return {
        to_int(item.get("id")): item
        for kind in LINE_KINDS
        for item in listed(order.get(kind))
        if isinstance(item, Mapping)
    }


def line_rates(item: Mapping[str, Any], originals: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The WooCommerce rates a line is keyed by in the tax mapping: those it carries and,
    for a refund line, those of the order line it refunds (`originals`, by item id).
    WooCommerce leaves a rate out of a refund line when none of its tax is refunded, yet
    the credit must be booked with the tax type of the sale."""
    refunded = next(
        (
            to_int(meta.get("value"))
            for meta in listed(item.get("meta_data"))
            if isinstance(meta, Mapping) and meta.get("key") == "_refunded_item_id"
        ),
        0,
    )
    return _rate_ids(item) | _rate_ids(originals.get(refunded, {}))


def _rate_ids(item: Mapping[str, Any]) -> set[int]:
    return {
        to_int(entry.get("id")) for entry in listed(item.get("taxes")) if isinstance(entry, Mapping)
    }


def tax_mapping_keys(
    order: Mapping[str, Any], refunds: Iterable[Mapping[str, Any]] = ()
) -> list[str]:
    """Every tax mapping key the order's lines and its refunds' lines carry ("5", "5+6",
    "none"), as the mappers key them: what the tax mapping must hold for them to map."""
    originals = order_lines(order)
    return sorted(
        {
            rates_key(line_rates(item, originals))
            for record in (order, *refunds)
            for kind in LINE_KINDS
            for item in listed(record.get(kind))
            if isinstance(item, Mapping)
        }
    )


@dataclass
class Line:
    """One line on its way to Xero, in the document's sign (a refund's lines are positive)."""

    description: str
    quantity: Decimal
    amount: Decimal  # before discount (net for Exclusive, gross for Inclusive), 2 dp
    target: Decimal  # after discount, 2 dp: what the line must come to
    taxes: dict[int, Decimal]  # WooCommerce rate id → unrounded tax after discount
    account: str
    item_code: str | None = None
    tracking: list[dict[str, str]] = field(default_factory=list)
    is_product: bool = False
    subtotal_tax: Decimal = ZERO  # before discount, 2 dp
    tax: Decimal = ZERO  # allocated, 2 dp
    tax_type: str | None = None  # a Xero tax type chosen outright, not through the mapping


class LineMapper:
    """The lines of `source` (the order, or one of its refunds), mapped for the order's
    document: the order gives the accounts, tracking, and whether prices include tax.

    Subclasses build the document around the lines. `NEGATE` turns the source's amounts
    into the document's (a refund's lines are negative, a credit note's positive);
    `DISCOUNTS` is False for documents Xero takes no discount on (credit notes)."""

    NEGATE: ClassVar[bool] = False
    DISCOUNTS: ClassVar[bool] = True

    def __init__(
        self,
        order: Mapping[str, Any],
        settings: StoreSettings,
        reference: Reference,
        products: Mapping[int, Mapping[str, Any]],
        source: Mapping[str, Any] | None = None,
    ) -> None:
        self.order = order
        self.source = order if source is None else source
        self.settings = settings
        self.reference = reference
        self.products = products
        self.inclusive = bool(order.get("prices_include_tax"))
        self.problems: list[str] = []
        self.explanation: list[str] = []

    # -- lines ---------------------------------------------------------------------------

    def lines(self) -> list[Line]:
        """The source's lines with each rate's tax allocated (see `_allocate_taxes`)."""
        lines = self._lines()
        self._allocate_taxes(lines)
        return lines

    def _lines(self) -> list[Line]:
        lines = [self._product_line(item) for item in self._list("line_items")]
        accounts = self.settings.accounts
        for shipping in self._list("shipping_lines"):
            lines.append(
                self._simple_line(
                    shipping, str(shipping.get("method_title") or "Shipping"),
                    accounts.shipping or accounts.sales,
                )
            )  # fmt: skip
        for fee in self._list("fee_lines"):
            lines.append(
                self._simple_line(
                    fee, str(fee.get("name") or "Fee"), accounts.fees or accounts.sales
                )
            )
        return lines

    def _product_line(self, item: Mapping[str, Any]) -> Line:
        name = html.unescape(str(item.get("name") or "")).strip() or "Product"
        quantity = self._signed(self._decimal(item.get("quantity"), "line quantity"))
        subtotal = self._signed(self._money(item.get("subtotal"), f"subtotal of '{name}'"))
        total = self._signed(self._money(item.get("total"), f"total of '{name}'"))
        taxes = self._line_taxes(item)
        subtotal_tax = round2(sum(self._taxes(item.get("taxes"), "subtotal").values(), ZERO))
        if self.inclusive:
            subtotal += subtotal_tax
        product_id = to_int(item.get("variation_id")) or to_int(item.get("product_id"))
        parent_id = to_int(item.get("product_id"))
        sku = str(item.get("sku") or "").strip()
        code = None
        if sku and self.settings.modules.items:
            code = item_code(sku)
        elif not sku and self.settings.documents.products_without_sku == "hold":
            self.problems.append(f"'{name}' has no SKU (settings: hold such orders)")
        line = Line(
            description=name[:MAX_DESCRIPTION],
            quantity=quantity,
            amount=subtotal,
            target=total,  # the tax is added once it is allocated
            taxes=taxes,
            account=self._product_account(product_id, parent_id),
            item_code=code,
            is_product=True,
            subtotal_tax=subtotal_tax,
        )
        line.tracking = self._tracking(self._categories(product_id, parent_id))
        return line

    def _simple_line(self, raw: Mapping[str, Any], description: str, account: str) -> Line:
        description = html.unescape(description).strip()[:MAX_DESCRIPTION] or "Charge"
        total = self._signed(self._money(raw.get("total"), f"total of '{description}'"))
        return Line(
            description=description,
            quantity=Decimal(1),
            amount=total,
            target=total,
            taxes=self._line_taxes(raw),
            account=account,
            tracking=self._tracking(()),
        )

    def _line_taxes(self, item: Mapping[str, Any]) -> dict[int, Decimal]:
        """A line's unrounded tax per rate, after discount."""
        return self._taxes(item.get("taxes"), "total")

    def _allocate_taxes(self, lines: list[Line]) -> None:
        """Each rate's tax (its tax line: items plus shipping) split over the lines that
        carry the rate, to the cent, in proportion to their unrounded tax."""
        targets = self._rate_totals()
        for rate_id in sorted(set(targets) | {r for line in lines for r in line.taxes}):
            carriers = [line for line in lines if rate_id in line.taxes]
            raw = [line.taxes[rate_id] for line in carriers]
            target = targets[rate_id] if rate_id in targets else self._untotalled(raw)
            if not carriers:
                if target:
                    self.problems.append(f"tax rate {rate_id} has tax {target} but no line")
                continue
            rounded = [round2(value) for value in raw]
            # WooCommerce's own tax per line where it adds up to the tax line (rounding per
            # line): a proportional split could pile cents from several rates on a tiny line.
            parts = rounded if target == sum(rounded, ZERO) else allocate(target, raw)
            split = parts is not rounded
            parts = self._within_lines(carriers, parts)
            for line, part in zip(carriers, parts, strict=True):
                line.tax += part
            if split:
                self.explanation.append(
                    f"tax rate {rate_id}: {target} (WooCommerce's tax line) split over "
                    f"{len(carriers)} line(s) to the cent"
                )
        for line in lines:
            if self.inclusive:
                line.target += line.tax
                if line.amount < line.target:
                    line.amount = line.target

    def _untotalled(self, raw: list[Decimal]) -> Decimal:
        """A rate's tax when the source has no tax line for it."""
        return round2(sum(raw, ZERO))

    def _within_lines(self, carriers: list[Line], parts: list[Decimal]) -> list[Decimal]:
        """`parts` with the cents that would make a line's tax exceed its amount (Xero
        refuses such a line) moved to other lines of the rate that have room for them."""
        parts = list(parts)
        for index, line in enumerate(carriers):
            while parts[index] and not self._fits(line, line.tax + parts[index]):
                step = CENT if parts[index] > 0 else -CENT
                room = next(
                    (
                        other
                        for other, (candidate, part) in enumerate(zip(carriers, parts, strict=True))
                        if other != index and self._fits(candidate, candidate.tax + part + step)
                    ),
                    None,
                )
                if room is None:
                    break
                parts[index] -= step
                parts[room] += step
        return parts

    def _fits(self, line: Line, tax: Decimal) -> bool:
        """Whether a line can carry `tax` (at most its amount, which includes the tax when
        prices include it)."""
        return abs(tax) <= abs(line.target + tax if self.inclusive else line.target)

    def _rate_totals(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for tax_line in self._list("tax_lines"):
            rate_id = to_int(tax_line.get("rate_id"))
            totals[rate_id] += self._signed(
                self._money(tax_line.get("tax_total") or "0", "tax line")
            )
            totals[rate_id] += self._signed(
                self._money(tax_line.get("shipping_tax_total") or "0", "shipping tax line")
            )
        return dict(totals)

    # -- pricing -------------------------------------------------------------------------

    def _payload_lines(
        self, lines: list[Line], unitdp: int
    ) -> tuple[list[dict[str, Any]], list[PricedLine]]:
        separate = self.DISCOUNTS and self.settings.documents.discounts == "separate_line"
        payload: list[dict[str, Any]] = []
        priced: list[PricedLine] = []
        discounts: dict[tuple[str, str], list[Decimal]] = {}
        discounted: dict[tuple[str, str], list[int]] = {}  # the product lines behind each
        for line in lines:
            tax_type = self._tax_type(line)
            amount = max(line.amount, line.target) if self.DISCOUNTS else line.target
            tax = line.tax
            if separate and line.is_product and amount != line.target:
                before_tax = line.subtotal_tax
                key = (tax_type, self.settings.accounts.discounts or line.account)
                entry = discounts.setdefault(key, [ZERO, ZERO])
                entry[0] += line.target - amount
                entry[1] += tax - before_tax
                discounted.setdefault(key, []).append(len(payload))
                tax = before_tax
                target = amount
            else:
                target = line.target
            numbers = price_line(line.quantity, amount, unitdp, tax, discounts=self.DISCOUNTS)
            if numbers.line_amount != target:
                numbers = with_discount(numbers, target)
            if line.quantity and numbers.quantity != round_to(line.quantity, 4):
                self.explanation.append(
                    f"'{line.description}': {line.quantity} units cannot come to {amount} "
                    f"without a discount, which Xero does not take here; sent as 1 x {amount}"
                )
            payload.append(self._payload_line(line.description, numbers, line, tax_type))
            priced.append(numbers)
        for (tax_type, account), (amount, tax) in discounts.items():
            tax = self._discount_tax_within(
                amount, tax, discounted[(tax_type, account)], payload, priced
            )
            payload.append(
                {
                    "Description": "Discount",
                    "Quantity": "1",
                    "UnitAmount": str(amount),
                    "AccountCode": account,
                    "TaxType": tax_type,
                    "TaxAmount": str(tax),
                    "Tracking": self._tracking(()),
                }
            )
            priced.append(PricedLine(Decimal(1), amount, ZERO, tax))
        return payload, priced

    @staticmethod
    def _discount_tax_within(
        amount: Decimal,
        tax: Decimal,
        product_lines: list[int],
        payload: list[dict[str, Any]],
        priced: list[PricedLine],
    ) -> Decimal:
        """A discount line's tax kept within its amount (Xero refuses more): the cents over
        go back to the largest product line it discounts, so the tax per rate is unchanged."""
        if abs(tax) <= abs(amount):
            return tax
        kept = abs(amount) if tax >= 0 else -abs(amount)
        index = max(product_lines, key=lambda i: priced[i].line_amount)
        line = priced[index]
        priced[index] = PricedLine(
            line.quantity, line.unit_amount, line.discount_amount, line.tax_amount + tax - kept
        )
        payload[index]["TaxAmount"] = str(priced[index].tax_amount)
        return kept

    def _payload_line(
        self, description: str, numbers: PricedLine, line: Line, tax_type: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "Description": description,
            "Quantity": str(numbers.quantity),
            "UnitAmount": str(numbers.unit_amount),
            "AccountCode": line.account,
            "TaxType": tax_type,
            "TaxAmount": str(numbers.tax_amount),
        }
        if line.item_code:
            payload["ItemCode"] = line.item_code
        if numbers.discount_amount:
            payload["DiscountAmount"] = str(numbers.discount_amount)
        if line.tracking:
            payload["Tracking"] = line.tracking
        return payload

    def _round_to(
        self, total: Decimal, priced: list[PricedLine], payload: list[dict[str, Any]]
    ) -> None:
        """One ROUNDING line for the cents Xero's arithmetic would leave."""
        predicted = document_total(priced, self.inclusive)
        residual = total - predicted
        if not residual:
            return
        if not within_rounding(residual, len(priced)):
            self.problems.append(
                f"the order's lines come to {predicted} but its total is {total}: "
                f"{residual} cannot be explained by rounding"
            )
            return
        account = self.settings.accounts.rounding or self.reference.rounding_account
        if not account:
            self.problems.append("Xero has no ROUNDING account and none is set")
            return
        tax_type = self.reference.accounts.get(account) or self.settings.tax_types().get("none")
        if not tax_type:
            self.problems.append(f"the rounding account {account} has no tax type")
            return
        payload.append(
            {
                "Description": "Rounding",
                "Quantity": "1",
                "UnitAmount": str(residual),
                "AccountCode": account,
                "TaxType": tax_type,
                "TaxAmount": "0.00",
            }
        )
        self.explanation.append(
            f"rounding line {residual} on account {account}: Xero's per-line arithmetic "
            f"gives {predicted}, WooCommerce's total is {total}"
        )

    # -- mappings ------------------------------------------------------------------------

    def _tax_type(self, line: Line) -> str:
        key = rates_key(line.taxes) if line.taxes else "none"
        tax_type = line.tax_type or self.settings.tax_types().get(key)
        if tax_type is None:
            what = "no tax" if key == "none" else f"WooCommerce tax rate(s) {key}"
            self.problems.append(f"{what} is not mapped to a Xero tax type ('{line.description}')")
            return ""
        if self.reference.tax_rates and tax_type not in self.reference.tax_rates:
            self.problems.append(f"tax type {tax_type} is not active in Xero")
        elif line.tax and self.reference.tax_rates.get(tax_type) == 0:
            self.problems.append(
                f"'{line.description}' carries tax {line.tax} but {tax_type} is a zero rate"
            )
        return tax_type

    def _product_account(self, product_id: int, parent_id: int) -> str:
        accounts = self.settings.accounts
        for candidate in (product_id, parent_id):
            if str(candidate) in accounts.products:
                return self._account(accounts.products[str(candidate)])
        for category in self._categories(product_id, parent_id):
            code = accounts.categories.get(str(category.get("id")))
            if code:
                return self._account(code)
        return self._account(accounts.sales)

    def _account(self, code: str) -> str:
        if self.reference.accounts and code not in self.reference.accounts:
            self.problems.append(f"account {code} is not an active account in Xero")
        return code

    def _categories(self, product_id: int, parent_id: int) -> list[Mapping[str, Any]]:
        for candidate in (product_id, parent_id):
            product = self.products.get(candidate)
            if product and product.get("categories"):
                return [c for c in product["categories"] if isinstance(c, Mapping)]
        return []

    def _tracking(self, categories: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
        chosen: dict[int, dict[str, str]] = {}
        for rule in self.settings.tracking:
            if rule.position in chosen or not self._matches(rule, categories):
                continue
            category = self.reference.tracking.get(rule.tracking_category.lower())
            option = category.options.get(rule.tracking_option.lower()) if category else None
            if self.reference.tracking and (category is None or option is None):
                self.problems.append(
                    f"tracking option '{rule.tracking_option}' of '{rule.tracking_category}' "
                    "is not active in Xero"
                )
                continue
            chosen[rule.position] = {
                "Name": category.name if category else rule.tracking_category,
                "Option": option or rule.tracking_option,
            }
        return [chosen[position] for position in sorted(chosen)]

    def _matches(self, rule: Any, categories: Sequence[Mapping[str, Any]]) -> bool:
        wanted = rule.match_value.lower()
        order = self.order
        if rule.source == "product_category":
            return any(
                wanted in {str(c.get(k, "")).lower() for k in ("id", "slug", "name")}
                for c in categories
            )
        values = {
            "billing_country": section(order, "billing").get("country"),
            "shipping_country": section(order, "shipping").get("country"),
            "payment_method": order.get("payment_method"),
            "created_via": order.get("created_via"),
            "order_meta": next(
                (
                    m.get("value")
                    for m in listed(order.get("meta_data"))
                    if isinstance(m, Mapping) and m.get("key") == rule.source_key
                ),
                None,
            ),
        }
        return str(values[rule.source] or "").lower() == wanted

    def items(self, lines: Iterable[Line]) -> list[dict[str, Any]]:
        """The Xero items the lines refer to, as they are created when missing."""
        items: dict[str, dict[str, Any]] = {}
        for line in lines:
            if not line.item_code or line.item_code in items:
                continue
            unit = line.amount / line.quantity if line.quantity else line.amount
            items[line.item_code] = {
                "Code": line.item_code,
                "Name": line.description[:MAX_ITEM_NAME],
                "Description": line.description,
                "IsSold": True,
                "SalesDetails": {
                    "UnitPrice": str(round2(unit)),
                    "AccountCode": line.account,
                    "TaxType": self.settings.tax_types().get(
                        rates_key(line.taxes) if line.taxes else "none", ""
                    ),
                },
            }
        return list(items.values())

    # -- the document's head ---------------------------------------------------------------

    def _head(self, reference: str, dated: date) -> dict[str, Any]:
        """The fields every document of the order starts with."""
        return {
            "Reference": reference,
            "Date": dated.isoformat(),
            "CurrencyCode": str(self.order.get("currency") or ""),
            "LineAmountTypes": "Inclusive" if self.inclusive else "Exclusive",
        }

    def _local_date(self, value: Any, what: str) -> date:
        try:
            return local_date(value, self.reference.timezone)
        except ValueError:
            self.problems.append(f"the {what} '{value}' is not a date")
            return date(1970, 1, 1)

    # -- reading the record --------------------------------------------------------------

    def _list(self, key: str) -> list[Mapping[str, Any]]:
        value = self.source.get(key) or []
        if not isinstance(value, list):
            self.problems.append(f"'{key}' is not a list")
            return []
        return [entry for entry in value if isinstance(entry, Mapping)]

    def _decimal(self, value: Any, what: str) -> Decimal:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            self.problems.append(f"the {what} '{value}' is not a number Xero can take")
            return ZERO
        return number

    def _money(self, value: Any, what: str) -> Decimal:
        return round2(self._decimal(value if value not in (None, "") else "0", what))

    def _signed(self, value: Decimal) -> Decimal:
        """An amount of the source as the document's (negation keeps 0.00 unsigned)."""
        return -value if self.NEGATE else value

    def _taxes(self, value: Any, which: str) -> dict[int, Decimal]:
        taxes: dict[int, Decimal] = {}
        if value is not None and not isinstance(value, list):
            self.problems.append(f"a line's taxes are not a list: {value!r}")
            return taxes
        for entry in value or []:
            if not isinstance(entry, Mapping):
                continue
            raw = entry.get(which)
            amount = self._decimal(raw if raw not in (None, "") else "0", "tax")
            rate_id = to_int(entry.get("id"))
            taxes[rate_id] = taxes.get(rate_id, ZERO) + self._signed(amount)
        return taxes


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def section(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An object inside a record, such as the order's address blocks ({} when missing or
    not an object)."""
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def to_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
