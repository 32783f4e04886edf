"""A store's sync settings as one validated document: modules, document rules, accounts, the
tax mapping, tracking rules, contact field choices and numbering.

The document is what the settings API reads and writes, and what the mapper is given.
Validation here is about shape and values (per-field messages); whether the codes exist in
the organisation and whether the module chain holds is checked by `server.stores.settings.rules`.
Numbers and switches are strict (`"30"` is not a number, `"yes"` not a switch: a client that
sends them has a bug worth hearing about), and every list, mapping and string is bounded.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

DocumentKind = Literal["invoice", "quote", "none"]
AccountCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]
WooId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")]
RATES_KEY = re.compile(r"^(none|[0-9]{1,9}(\+[0-9]{1,9}){0,4})$")
# Far above what a store needs (categories map most products), far below a request's worth.
MAX_STATUSES = 50
MAX_PRODUCT_ACCOUNTS = 5000
MAX_CATEGORY_ACCOUNTS = 1000
MAX_TAX_MAPPING_ROWS = 500
MAX_TRACKING_RULES = 200
NUMBER_FIELDS = ("{number}", "{id}")
WOO_STATUSES = (
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
    "checkout-draft",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Modules(_Strict):
    """What is synced. Chain: tax_rates → (tax mapping complete) → contacts, items → invoices."""

    tax_rates: StrictBool = False
    contacts: StrictBool = False
    items: StrictBool = False
    invoices: StrictBool = False


MODULE_PREREQUISITES: dict[str, tuple[str, ...]] = {
    "tax_rates": (),
    "contacts": ("tax_rates",),
    "items": ("tax_rates",),
    "invoices": ("contacts", "items"),
}


def _default_rules() -> dict[str, DocumentKind]:
    return {
        "pending": "quote",
        "on-hold": "quote",
        "processing": "invoice",
        "completed": "invoice",
    }


def _check_template(value: str) -> str:
    if not any(field in value for field in NUMBER_FIELDS):
        raise ValueError("must contain {number} or {id}, so every order gets its own number")
    leftover = re.sub(r"\{(number|id)\}", "", value)
    if "{" in leftover or "}" in leftover:
        raise ValueError("only {number} and {id} can be filled in")
    return value


class Documents(_Strict):
    """Which document each order status makes, and how it is numbered and dated."""

    by_status: dict[str, DocumentKind] = Field(
        default_factory=_default_rules, max_length=MAX_STATUSES
    )
    invoice_status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] = "DRAFT"
    quote_status: Literal["DRAFT", "SENT"] = "DRAFT"
    cancelled: Literal["delete_or_void", "keep"] = "delete_or_void"
    invoice_number: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "WC-{number}"
    quote_number: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "WCQ-{number}"
    due_type: Literal[
        "DAYSAFTERBILLDATE", "DAYSAFTERBILLMONTH", "OFCURRENTMONTH", "OFFOLLOWINGMONTH"
    ] = "DAYSAFTERBILLDATE"
    due_days: StrictInt = Field(default=0, ge=0, le=365)
    discounts: Literal["line", "separate_line"] = "line"
    products_without_sku: Literal["description_only", "hold"] = "description_only"
    link_to_order: StrictBool = True

    @field_validator("by_status")
    @classmethod
    def _known_statuses(cls, value: dict[str, DocumentKind]) -> dict[str, DocumentKind]:
        for status in value:
            if not re.fullmatch(r"[a-z0-9_-]{1,40}", status):
                raise ValueError(f"'{status}' is not an order status")
        if value.get("cancelled", "none") != "none":
            raise ValueError("cancelled orders make no document (see 'cancelled')")
        return value

    @field_validator("invoice_number", "quote_number")
    @classmethod
    def _template(cls, value: str) -> str:
        return _check_template(value)

    @field_validator("due_days")
    @classmethod
    def _day_of_month(cls, value: int, info) -> int:  # type: ignore[no-untyped-def]
        if info.data.get("due_type", "").startswith("OF") and not 1 <= value <= 31:
            raise ValueError("a day of the month is between 1 and 31")
        return value


class Contacts(_Strict):
    phone: Literal["default", "ddi", "fax", "mobile", "none"] = "default"
    address: Literal["billing", "delivery", "none"] = "billing"
    guests: Literal["individual", "shared"] = "individual"
    shared_guest_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
    ] = "WooCommerce guest customers"


class Accounts(_Strict):
    """Xero account codes: per product, then per category, then the store default."""

    sales: AccountCode = "200"
    shipping: AccountCode | None = None  # None: the sales account
    fees: AccountCode | None = None
    discounts: AccountCode | None = None  # for a separate discount line
    rounding: AccountCode | None = None  # None: the organisation's ROUNDING system account
    products: dict[WooId, AccountCode] = Field(default={}, max_length=MAX_PRODUCT_ACCOUNTS)
    categories: dict[WooId, AccountCode] = Field(default={}, max_length=MAX_CATEGORY_ACCOUNTS)


class TaxMappingRow(_Strict):
    # "none", "5", or "5+7" for a line taxed at both
    woo_rates: Annotated[str, StringConstraints(max_length=64)]
    xero_tax_type: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
    ]
    label: Annotated[str, StringConstraints(max_length=200)] = ""

    @field_validator("woo_rates")
    @classmethod
    def _rates_key(cls, value: str) -> str:
        value = value.strip()
        if not RATES_KEY.fullmatch(value):
            raise ValueError('"none", a rate id, or rate ids joined by "+" (at most 5)')
        return rates_key(value.split("+")) if value != "none" else value


TrackingSource = Literal[
    "product_category", "billing_country", "shipping_country", "payment_method", "order_meta",
    "created_via",
]  # fmt: skip


class TrackingRuleRow(_Strict):
    position: StrictInt = Field(ge=1, le=2)
    source: TrackingSource
    source_key: Annotated[str, StringConstraints(max_length=100)] = ""  # the meta key
    match_value: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    tracking_category: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    tracking_option: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]

    @field_validator("source_key")
    @classmethod
    def _meta_key(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        if info.data.get("source") == "order_meta" and not value.strip():
            raise ValueError("name the order meta key this rule reads")
        return value.strip()


GatewayId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]
MAX_GATEWAYS = 100
TaxType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class Payments(_Strict):
    """A paid order's payment in Xero: into the account mapped for its gateway (WooCommerce's
    `payment_method` id), else the default; without either the payment waits, saying so."""

    enabled: StrictBool = True
    default_account: AccountCode | None = None
    by_gateway: dict[GatewayId, AccountCode] = Field(default={}, max_length=MAX_GATEWAYS)
    # Xero takes payments on approved invoices only: a paid order's invoice is AUTHORISED.
    approve_drafts: StrictBool = True


class Refunds(_Strict):
    """Each WooCommerce refund as one credit note, numbered from `credit_note_number`."""

    enabled: StrictBool = True
    credit_note_number: Annotated[str, StringConstraints(min_length=1, max_length=200)] = (
        "WC-{number}-R{n}"
    )
    # What a refund's lines do not explain (all of an amount-only refund): spread over the
    # order's lines in proportion, or booked to one account with one tax type.
    amount_only: Literal["spread", "account"] = "spread"
    amount_only_account: AccountCode | None = None
    amount_only_tax_type: TaxType | None = None
    # An order first seen already refunded: its invoice, payment and credit notes, or nothing.
    first_seen_refunded: Literal["book", "skip"] = "book"

    @field_validator("credit_note_number")
    @classmethod
    def _numbered(cls, value: str) -> str:
        if "{n}" not in value or not any(field in value for field in NUMBER_FIELDS):
            raise ValueError("must contain {n} and {number} or {id}: one number per refund")
        leftover = re.sub(r"\{(number|id|n)\}", "", value)
        if "{" in leftover or "}" in leftover:
            raise ValueError("only {number}, {id} and {n} can be filled in")
        return value

    @model_validator(mode="after")
    def _booked_whole(self) -> Refunds:
        if self.amount_only == "account" and not (
            self.amount_only_account and self.amount_only_tax_type
        ):
            raise ValueError("booking to one account names the account and the tax type")
        return self


class FromXero(_Strict):
    """What Xero's changes do in the store: an order note for a payment received, an invoice
    paid, voided or deleted in Xero; and, for an invoice paid there, the order's new status
    ("" leaves the status as it is)."""

    order_notes: StrictBool = True
    paid_status: Literal["", "processing", "completed"] = ""


class Notifications(_Strict):
    """Which emails the store's admin gets (each field is a store kind of notification,
    `server.models.NotificationKind`); all on unless turned off."""

    trial_ending: StrictBool = True
    trial_ended: StrictBool = True
    payment_failed: StrictBool = True
    xero_reauthorisation: StrictBool = True
    woocommerce_refused: StrictBool = True
    orders_need_attention: StrictBool = True


MIN_POLL_MINUTES, MAX_POLL_MINUTES = 1, 1440  # as `woocommerce.poll_interval_minutes`


class Polling(_Strict):
    """How often the store is polled for orders its webhooks missed: minutes, None for the
    configured default. Kept on the store's WooCommerce connection, not in the document."""

    interval_minutes: StrictInt | None = Field(
        default=None, ge=MIN_POLL_MINUTES, le=MAX_POLL_MINUTES
    )


class StoreSettings(_Strict):
    modules: Modules = Modules()
    documents: Documents = Documents()
    contacts: Contacts = Contacts()
    accounts: Accounts = Accounts()
    payments: Payments = Payments()
    refunds: Refunds = Refunds()
    from_xero: FromXero = FromXero()
    notifications: Notifications = Notifications()
    tax_mapping: list[TaxMappingRow] = Field(default=[], max_length=MAX_TAX_MAPPING_ROWS)
    tracking: list[TrackingRuleRow] = Field(default=[], max_length=MAX_TRACKING_RULES)

    @field_validator("tax_mapping")
    @classmethod
    def _one_row_per_key(cls, rows: list[TaxMappingRow]) -> list[TaxMappingRow]:
        seen: set[str] = set()
        for row in rows:
            if row.woo_rates in seen:
                raise ValueError(f"rates {row.woo_rates} are mapped twice")
            seen.add(row.woo_rates)
        return rows

    @field_validator("tracking")
    @classmethod
    def _two_categories(cls, rows: list[TrackingRuleRow]) -> list[TrackingRuleRow]:
        categories: dict[int, str] = {}
        rules: set[tuple[int, str, str]] = set()
        for row in rows:
            rule = (row.position, row.source, row.match_value)
            if rule in rules:  # one row per rule in the table, too
                raise ValueError(
                    f"position {row.position} has two rules for {row.source} "
                    f"{row.match_value!r}; keep one"
                )
            rules.add(rule)
            known = categories.setdefault(row.position, row.tracking_category.lower())
            if known != row.tracking_category.lower():
                raise ValueError(f"position {row.position} is one tracking category")
        if len(set(categories.values())) < len(categories):
            raise ValueError("positions 1 and 2 must be different tracking categories")
        return rows

    def tax_types(self) -> dict[str, str]:
        return {row.woo_rates: row.xero_tax_type for row in self.tax_mapping}


def rates_key(rate_ids: object) -> str:
    """The tax mapping key of a line taxed at these WooCommerce rates."""
    ids = sorted({int(rate_id) for rate_id in rate_ids})  # type: ignore[attr-defined]
    return "+".join(str(rate_id) for rate_id in ids) if ids else "none"
