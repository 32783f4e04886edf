"""WooCommerce order → Xero Invoice or Quote payload. Pure: no I/O, no clock, no mutation.

The lines, exact to the cent, come from `server.mapping.lines`; this module adds what makes
them an invoice or a quote (kind, number, dates, status, link) and the order's contact. An
order that cannot be represented exactly raises `CannotMapError` with the reasons, and is
not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from server.mapping.lines import CannotMapError, Line, LineMapper, section, to_int
from server.mapping.reference import Reference
from server.stores.settings.schema import StoreSettings

INVOICE_UNITDP = 4  # sent with ?unitdp=4
QUOTE_UNITDP = 2  # Quotes take no unitdp
CONTACT_NUMBER_MAX = 50
PHONE_TYPES = {"default": "DEFAULT", "ddi": "DDI", "fax": "FAX", "mobile": "MOBILE"}


@dataclass(frozen=True)
class MappedDocument:
    kind: str  # "invoice", "quote" or "credit_note"
    number: str
    document: dict[str, Any]  # the Xero payload, without its Contact
    customer_key: str  # which Xero contact it goes to (see `customer_key`)
    contact: dict[str, Any]  # the Xero contact to create if none is found
    items: list[dict[str, Any]]  # Xero items the lines refer to (created if missing)
    currency: str
    total: Decimal  # WooCommerce's total, which the Xero total equals
    explanation: list[str] = field(default_factory=list)


REFUNDED = "refunded"


def document_kind(order: Mapping[str, Any], settings: StoreSettings) -> str:
    """ "invoice", "quote" or "none" for the order's status; a paid quote is an invoice. A
    refunded order keeps its invoice: its refunds are credited against it."""
    status = str(order.get("status") or "")
    if status == REFUNDED:
        return "invoice"
    kind = settings.documents.by_status.get(status, "none")
    if kind == "quote" and order.get("date_paid_gmt"):
        return "invoice"
    return kind


def invoice_status(order: Mapping[str, Any], settings: StoreSettings) -> str:
    """The configured status; approved when the order is paid and its payment is to be
    booked, as Xero takes payments on approved invoices only (if the settings allow it)."""
    payments = settings.payments
    if order.get("date_paid_gmt") and payments.enabled and payments.approve_drafts:
        return "AUTHORISED"
    return settings.documents.invoice_status


def document_number(order: Mapping[str, Any], template: str) -> str:
    number = str(order.get("number") or order.get("id") or "")
    return template.replace("{number}", number).replace("{id}", str(order.get("id") or ""))


def customer_key(order: Mapping[str, Any], settings: StoreSettings) -> str:
    """Registered customers by id; guests by email, all in one contact, or per order."""
    customer_id = to_int(order.get("customer_id"))
    if customer_id > 0:
        return f"customer:{customer_id}"
    if settings.contacts.guests == "shared":
        return "guest:shared"
    email = _email(order)
    return f"guest:{email}" if email else f"guest:order:{order.get('id')}"


# -- the mapping itself -------------------------------------------------------------------


def map_order(
    order: Mapping[str, Any],
    settings: StoreSettings,
    reference: Reference,
    products: Mapping[int, Mapping[str, Any]],
    *,
    store_url: str,
) -> MappedDocument | None:
    """The Xero document for `order`, or None when its status makes none."""
    kind = document_kind(order, settings)
    if kind == "none":
        return None
    return _OrderMapping(order, settings, reference, products).build(kind, store_url)


class _OrderMapping(LineMapper):
    def build(self, kind: str, store_url: str) -> MappedDocument:
        lines = self.lines()
        if self.problems:
            raise CannotMapError(self.problems)
        unitdp = INVOICE_UNITDP if kind == "invoice" else QUOTE_UNITDP
        payload_lines, priced = self._payload_lines(lines, unitdp)
        total = self._money(self.order.get("total"), "total")
        self._round_to(total, priced, payload_lines)
        number = document_number(
            self.order,
            self.settings.documents.invoice_number
            if kind == "invoice"
            else self.settings.documents.quote_number,
        )
        document = self._header(kind, number, store_url) | {"LineItems": payload_lines}
        return mapped_document(self, kind, number, document, lines, total)

    def _header(self, kind: str, number: str, store_url: str) -> dict[str, Any]:
        issued = self._local_date(self.order.get("date_created_gmt"), "order date")
        documents = self.settings.documents
        header = self._head(str(self.order.get("number") or self.order.get("id")), issued)
        if kind == "quote":  # the Quotes schema spells its enum in capitals
            header["LineAmountTypes"] = header["LineAmountTypes"].upper()
        due = due_date(issued, documents.due_type, documents.due_days).isoformat()
        if kind == "invoice":
            header |= {"Type": "ACCREC", "InvoiceNumber": number, "DueDate": due}
            header["Status"] = invoice_status(self.order, self.settings)
            if documents.link_to_order and store_url.startswith(("https://", "http://")):
                header["Url"] = order_url(store_url, self.order.get("id"))
        else:
            header |= {"QuoteNumber": number, "ExpiryDate": due, "Status": documents.quote_status}
            header["Title"] = f"Order {header['Reference']}"
        return header


def mapped_document(
    mapper: LineMapper,
    kind: str,
    number: str,
    document: dict[str, Any],
    lines: list[Line],
    total: Decimal,
) -> MappedDocument:
    """`document`, for the contact of `mapper`'s order; CannotMapError with the mapper's
    problems if it has any."""
    if mapper.problems:
        raise CannotMapError(mapper.problems)
    return MappedDocument(
        kind=kind,
        number=number,
        document=document,
        customer_key=customer_key(mapper.order, mapper.settings),
        contact=contact_payload(mapper.order, mapper.settings),
        items=mapper.items(lines),
        currency=str(mapper.order.get("currency") or ""),
        total=total,
        explanation=mapper.explanation,
    )


# -- contacts, dates, links ---------------------------------------------------------------


def contact_payload(order: Mapping[str, Any], settings: StoreSettings) -> dict[str, Any]:
    """The Xero contact for the order's customer, with the chosen phone and address."""
    billing = section(order, "billing")
    shipping = section(order, "shipping")
    choices = settings.contacts
    if customer_key(order, settings) == "guest:shared":
        return {"Name": choices.shared_guest_name}
    first = str(billing.get("first_name") or "").strip()
    last = str(billing.get("last_name") or "").strip()
    email = _email(order)
    name = (
        str(billing.get("company") or "").strip()
        or f"{first} {last}".strip()
        or email
        or f"Guest {order.get('number') or order.get('id')}"
    )
    contact: dict[str, Any] = {"Name": name[:255]}
    if first:
        contact["FirstName"] = first[:255]
    if last:
        contact["LastName"] = last[:255]
    if email:
        contact["EmailAddress"] = email[:255]
    customer_id = to_int(order.get("customer_id"))
    if customer_id > 0:
        contact["ContactNumber"] = str(customer_id)[:CONTACT_NUMBER_MAX]
    phone = str(billing.get("phone") or "").strip()
    if phone and choices.phone != "none":
        contact["Phones"] = [{"PhoneType": PHONE_TYPES[choices.phone], "PhoneNumber": phone[:50]}]
    if choices.address != "none":
        source, kind = (billing, "POBOX") if choices.address == "billing" else (shipping, "STREET")
        address = _address(source, kind)
        if address:
            contact["Addresses"] = [address]
    return contact


def _address(source: Mapping[str, Any], kind: str) -> dict[str, str] | None:
    fields = {
        "AddressLine1": source.get("address_1"),
        "AddressLine2": source.get("address_2"),
        "City": source.get("city"),
        "Region": source.get("state"),
        "PostalCode": source.get("postcode"),
        "Country": source.get("country"),
    }
    present = {key: str(value).strip()[:255] for key, value in fields.items() if value}
    return {"AddressType": kind, **present} if present else None


def due_date(issued: date, due_type: str, days: int) -> date:
    """The due date for Xero's payment-terms types."""
    if due_type == "DAYSAFTERBILLDATE":
        return issued + timedelta(days=days)
    next_month = (issued.replace(day=1) + timedelta(days=32)).replace(day=1)
    if due_type == "DAYSAFTERBILLMONTH":
        return next_month - timedelta(days=1) + timedelta(days=days)
    month_start = issued.replace(day=1) if due_type == "OFCURRENTMONTH" else next_month
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return month_start.replace(day=min(days, month_end.day))


NUMERIC_FIELDS = frozenset(
    {
        "Quantity", "UnitAmount", "TaxAmount", "DiscountAmount", "UnitPrice", "LineAmount",
        "Amount", "CurrencyRate",
    }
)  # fmt: skip


def for_xero(payload: Any) -> Any:
    """A stored payload (amounts as strings, so it can be kept as JSON and hashed) with its
    amounts as Decimal, which the Xero client sends as JSON numbers."""
    if isinstance(payload, list):
        return [for_xero(item) for item in payload]
    if isinstance(payload, Mapping):
        return {
            key: Decimal(value)
            if key in NUMERIC_FIELDS and isinstance(value, str)
            else for_xero(value)
            for key, value in payload.items()
        }
    return payload


def order_url(store_url: str, order_id: Any) -> str:
    return f"{store_url.rstrip('/')}/wp-admin/post.php?post={to_int(order_id)}&action=edit"


def _email(order: Mapping[str, Any]) -> str:
    return str(section(order, "billing").get("email") or "").strip().lower()
