"""WooCommerce refund → Xero credit note (ACCRECCREDIT) payload. Pure: no I/O, no clock.

The credit note's total, as Xero's arithmetic predicts it, is the refund's `amount`:

* The refund's own lines (products, shipping, fees; negative in WooCommerce, positive on the
  credit note) map as the order's invoice lines do: the same accounts, items, tracking and
  tax mapping, keyed also by the rates of the order line each one refunds. Each rate's tax
  is WooCommerce's refund tax (its tax lines; without them, its lines' tax rounded per line,
  as WooCommerce totals it) split over the lines to the cent. Credit notes take no discount.
* The few cents rounding leaves between those lines and the amount go to the ROUNDING
  account, as for invoices.
* The rest, all of an amount-only refund, is spread over the order's lines grouped by
  account, tax type and tracking, in proportion to their totals with tax (largest
  remainder, so the parts add up to the cent); each part carries its share of its group's
  tax. Or, when the caller says so (`Booking`), it goes to one account with one tax type.

A refund that cannot be represented exactly raises `CannotMapError` with the reasons.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.mapping.arithmetic import CENT, ZERO, allocate, document_total, round2
from server.mapping.lines import (
    MAX_DESCRIPTION,
    CannotMapError,
    Line,
    LineMapper,
    line_rates,
    listed,
    order_lines,
    to_int,
    within_rounding,
)
from server.mapping.orders import MappedDocument, document_number, mapped_document
from server.mapping.reference import Reference
from server.stores.settings.schema import StoreSettings, rates_key

CREDIT_NOTE_NUMBER = "WC-{number}-R{n}"
CREDIT_NOTE_UNITDP = 4  # sent with ?unitdp=4, as invoices are
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Booking:
    """One account and one Xero tax type for what a refund's lines do not explain (all of an
    amount-only refund), instead of spreading it over the order's lines."""

    account: str
    tax_type: str


def credit_note_status(settings: StoreSettings) -> str:
    """Approved, so it can be allocated or paid back, as a paid order's invoice is approved
    (`payments.approve_drafts`); otherwise the invoices' status, for a person to approve."""
    return "AUTHORISED" if settings.payments.approve_drafts else settings.documents.invoice_status


def refund_position(order: Mapping[str, Any], refund_id: int) -> int | None:
    """The refund's place (1-based) among the order's refunds by id; None if not listed."""
    ids = sorted(
        {to_int(r.get("id")) for r in listed(order.get("refunds")) if isinstance(r, Mapping)}
    )
    return ids.index(refund_id) + 1 if refund_id in ids else None


def map_refund(
    refund: Mapping[str, Any],
    order: Mapping[str, Any],
    settings: StoreSettings,
    reference: Reference,
    products: Mapping[int, Mapping[str, Any]],
    *,
    number_template: str = CREDIT_NOTE_NUMBER,
    amount_only: Booking | None = None,
) -> MappedDocument | None:
    """The credit note for `refund` of `order` (as last read: it lists the refund), or None
    for a refund of nothing. `number_template` fills `{number}` and `{id}` as the invoice
    template does, and `{n}` with the refund's position among the order's refunds."""
    return _RefundMapping(refund, order, settings, reference, products, amount_only).build(
        number_template
    )


CANCELLED_SUFFIX = "C"  # `{n}` of the credit note that reverses a paid, cancelled order


def map_cancellation(
    order: Mapping[str, Any],
    amount: Decimal,
    settings: StoreSettings,
    reference: Reference,
    products: Mapping[int, Mapping[str, Any]],
    *,
    number_template: str = CREDIT_NOTE_NUMBER,
    amount_only: Booking | None = None,
) -> MappedDocument | None:
    """The credit note that reverses what is left of a paid order that was cancelled:
    `amount` (its total less its refunds) spread over its lines as an amount-only refund is,
    dated when the order last changed, numbered with `{n}` as "C"."""
    cancellation = {
        "id": 0, "amount": str(amount), "reason": "Order cancelled",
        "date_created_gmt": order.get("date_modified_gmt") or order.get("date_created_gmt"),
        "line_items": [], "shipping_lines": [], "fee_lines": [], "tax_lines": [],
    }  # fmt: skip
    mapping = _RefundMapping(cancellation, order, settings, reference, products, amount_only)
    return mapping.build(number_template.replace("{n}", CANCELLED_SUFFIX))


class _RefundMapping(LineMapper):
    NEGATE = True
    DISCOUNTS = False

    def __init__(
        self,
        refund: Mapping[str, Any],
        order: Mapping[str, Any],
        settings: StoreSettings,
        reference: Reference,
        products: Mapping[int, Mapping[str, Any]],
        amount_only: Booking | None,
    ) -> None:
        super().__init__(order, settings, reference, products, source=refund)
        self.refund = refund
        self.originals = order_lines(order)
        self.amount_only = amount_only

    def build(self, number_template: str) -> MappedDocument | None:
        amount = self._money(self.refund.get("amount"), "refund amount")
        if amount < 0:
            self.problems.append(f"the refund amount {amount} is negative")
        lines = self.lines()
        for line in lines:
            if abs(line.tax) > abs(line.target):
                self.problems.append(
                    f"'{line.description}' refunds tax {line.tax} on {line.target}: Xero "
                    "takes no line with more tax than its amount"
                )
        if self.problems:
            raise CannotMapError(self.problems)
        if not amount:
            return None
        payload_lines, priced = self._payload_lines(lines, CREDIT_NOTE_UNITDP)
        explained = document_total(priced, self.inclusive)
        rest = amount - explained
        if rest and (not lines or not within_rounding(rest, len(priced))):
            what = (
                f"{rest} of the refund's {amount} that its lines ({explained}) do not explain"
                if lines
                else f"amount-only refund {amount}"
            )
            extra, extra_priced = self._payload_lines(
                self._unexplained(rest, what), CREDIT_NOTE_UNITDP
            )
            payload_lines += extra
            priced += extra_priced
        if self.problems:
            raise CannotMapError(self.problems)
        self._round_to(amount, priced, payload_lines)
        number = self._number(number_template)
        document = self._header(number) | {"LineItems": payload_lines}
        return mapped_document(self, "credit_note", number, document, lines, amount)

    # -- the refund's own lines ------------------------------------------------------------

    def _line_taxes(self, item: Mapping[str, Any]) -> dict[int, Decimal]:
        """The refund line's tax per rate, with the rates of the order line it refunds that
        WooCommerce left out (no tax refunded at them) as zero: the sale's tax type."""
        taxes = super()._line_taxes(item)
        for rate_id in line_rates(item, self.originals):
            taxes.setdefault(rate_id, ZERO)
        return taxes

    def _untotalled(self, raw: list[Decimal]) -> Decimal:
        """Without tax lines, a rate's refund tax is its lines' tax rounded per line, as
        WooCommerce totals a refund's taxes (`update_taxes`)."""
        return sum((round2(value) for value in raw), ZERO)

    # -- what the lines do not explain -----------------------------------------------------

    def _unexplained(self, amount: Decimal, what: str) -> list[Line]:
        if self.amount_only is not None:
            return [self._booked(amount, what, self.amount_only)]
        return self._spread(amount, what)

    def _booked(self, amount: Decimal, what: str, booking: Booking) -> Line:
        """`amount` on the chosen account, with the chosen tax type's tax in it."""
        percent = self.reference.tax_rates.get(booking.tax_type, ZERO)
        tax = round2(amount * percent / (HUNDRED + percent)) if percent else ZERO
        self.explanation.append(
            f"{what}: booked to account {booking.account} with {booking.tax_type} "
            f"({format(percent.normalize(), 'f')} %, tax {tax})"
        )
        line = self._refund_line(amount, tax, self._account(booking.account), {}, [])
        line.tax_type = booking.tax_type
        return line

    def _spread(self, amount: Decimal, what: str) -> list[Line]:
        """`amount` over the order's lines grouped by account, tax mapping key and
        tracking, in proportion to their totals with tax, each part with its share of tax."""
        order = LineMapper(self.order, self.settings, self.reference, self.products)
        groups: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Line]] = defaultdict(list)
        for line in order.lines():
            tracking = tuple((t["Name"], t["Option"]) for t in line.tracking)
            groups[(line.account, rates_key(line.taxes), tracking)].append(line)
        self.problems += order.problems
        if not groups:
            self.problems.append(f"{what}: the order has no lines to spread it over")
            return []
        weights = [sum((self._gross(line) for line in group), ZERO) for group in groups.values()]
        parts = allocate(amount, weights)
        spread, notes = [], []
        total = sum(weights, ZERO)
        for ((account, key, _), group), weight, part in zip(
            groups.items(), weights, parts, strict=True
        ):
            tax = self._share_of_tax(part, sum((line.tax for line in group), ZERO), weight)
            taxes = dict.fromkeys(group[0].taxes, ZERO)
            spread.append(self._refund_line(part, tax, account, taxes, group[0].tracking))
            notes.append(
                f"{part} with tax {tax} to account {account}, rates {key} "
                f"(the order's {weight} of {total})"
            )
        self.explanation.append(
            f"{what}: spread over the order's lines by account, tax rates and tracking in "
            f"proportion to their totals with tax, to the cent: {'; '.join(notes)}"
        )
        return spread

    def _gross(self, line: Line) -> Decimal:
        return line.target if self.inclusive else line.target + line.tax

    def _share_of_tax(self, part: Decimal, tax: Decimal, gross: Decimal) -> Decimal:
        """The tax in `part` of a group whose lines come to `gross` with `tax` in it, kept
        within the line's amount (Xero refuses more)."""
        share = round2(part * tax / gross) if gross and tax else ZERO
        while share and abs(share) > abs(part if self.inclusive else part - share):
            share -= CENT if share > 0 else -CENT
        return share

    def _refund_line(
        self,
        gross: Decimal,
        tax: Decimal,
        account: str,
        taxes: dict[int, Decimal],
        tracking: list[dict[str, str]],
    ) -> Line:
        """A line of one unit that comes to `gross` with `tax` in it (a part of nothing is
        0.00, not -0.00)."""
        amount = (gross if self.inclusive else gross - tax) + ZERO
        reason = html.unescape(str(self.refund.get("reason") or "")).strip()
        return Line(
            description=(f"Refund: {reason}" if reason else "Refund")[:MAX_DESCRIPTION],
            quantity=Decimal(1),
            amount=amount,
            target=amount,
            taxes=taxes,
            account=account,
            tracking=tracking,
            tax=tax,
        )

    # -- the credit note -------------------------------------------------------------------

    def _number(self, template: str) -> str:
        if "{n}" not in template:  # a number of its own (a cancellation's)
            return document_number(self.order, template)
        position = refund_position(self.order, to_int(self.refund.get("id")))
        if position is None:
            self.problems.append(
                f"refund {self.refund.get('id')} is not among the order's refunds: read the "
                "order again"
            )
        return document_number(self.order, template).replace("{n}", str(position))

    def _header(self, number: str) -> dict[str, Any]:
        dated = self._local_date(self.refund.get("date_created_gmt"), "refund date")
        header = self._head(str(self.order.get("number") or self.order.get("id")), dated)
        return header | {
            "Type": "ACCRECCREDIT",
            "CreditNoteNumber": number,
            "Status": credit_note_status(self.settings),
        }
