"""The organisation's currencies and their rates: ``GET /Currencies``, the rate a foreign
currency document or payment gets, and adding a currency the way a person does in Xero.

From Xero: ``CurrencyRate`` "If no rate is specified, the XE.com day rate is used" (spec,
Invoice and CreditNote); ``GET /Currencies`` answers ``{Code, Description}`` (spec); the API
cannot add a currency (spec, ``PUT /Currencies``: "Unsupported … API is not able to create
new Currency"), a person adds one in Xero's settings and cannot delete it (help.xero.com
"Currency settings"). ``CurrencyRate`` counts units of the foreign currency for one unit of
the base currency: the spec's payment rate "e.g. 0.7500" is a USD rate of an NZD
organisation, and NZD 1 buys about USD 0.75 where NZD 1.33 would be the other way round; so
a base amount is the foreign amount divided by the rate (the spec states no formula: inferred).

Assumed: with no XE.com here, the rate set on the organisation (``Rate``, through the control
API) stands in for the day rate, and 1 when nobody set one; rates are kept as given.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from ...formats import round2, to_decimal
from ...seed import currency
from ...store import Row, Tenant
from ..context import ElementErrors, text

ONE = Decimal("1.000000")
_CODE = re.compile(r"^[A-Z]{3}$")


def check_subscribed(tenant: Tenant, code: str, errors: list[str]) -> None:
    """A document or bank account may only be in a currency the organisation has."""
    if code not in tenant.currencies:
        errors.append(f"Organisation is not subscribed to currency {code}")


def configured(tenant: Tenant, code: str) -> Decimal | None:
    """The rate set on the organisation for a foreign currency, if any."""
    row = tenant.rows("Currencies").get(code)
    return None if code == tenant.spec.base_currency or row is None else row["Rate"]


def day_rate(tenant: Tenant, code: str) -> Decimal:
    """The rate a document in ``code`` gets when its request names none."""
    return configured(tenant, code) or ONE


def parse_rate(value: Any, errors: list[str]) -> Decimal | None:
    """A requested ``CurrencyRate``; None (and a message in ``errors``) unless positive."""
    rate = to_decimal(value)
    if rate is None or rate <= 0:
        errors.append("The CurrencyRate must be a positive number.")
        return None
    return rate


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    """A foreign amount in the base currency, to the cent."""
    return round2(amount / rate)


def from_base(amount: Decimal, rate: Decimal) -> Decimal:
    """A base amount in the foreign currency of ``rate``, to the cent."""
    return round2(amount * rate)


def add(tenant: Tenant, raw: dict[str, Any], known: Collection[str] | None) -> Row:
    """Add a currency to the organisation, or change its ``Rate`` or ``Description``.

    ``known`` lists the codes Xero knows (the spec's ``CurrencyCode`` enum); None when the
    spec is not at hand, and then any three capital letters will do.
    """
    code = text(raw.get("Code")).upper()
    errors: list[str] = []
    if not _CODE.match(code) or (known is not None and code not in known):
        errors.append(f"'{code}' is not a currency code Xero knows.")
    rate = parse_rate(raw["Rate"], errors) if raw.get("Rate") is not None else None
    if rate is not None and code == tenant.spec.base_currency:
        errors.append("The base currency has no exchange rate.")
    if errors:
        raise ElementErrors(errors)
    rows = tenant.rows("Currencies")
    row = rows.get(code) or currency(code)
    if text(raw.get("Description")):
        row["Description"] = text(raw["Description"])
    if rate is not None:
        row["Rate"] = rate
    rows[code] = row
    return row


def render(row: Row) -> Row:
    """A currency as ``GET /Currencies`` returns it."""
    return {"Code": row["Code"], "Description": row["Description"]}
