"""Decimal arithmetic as WooCommerce rounds and renders money.

PHP's ``round()`` rounds half away from zero; ``wc_format_decimal($x, $dp)`` renders with exactly
``dp`` decimals. Unrounded tax amounts are kept to 6 decimals (``WC_Tax::round`` uses
``wc_get_rounding_precision()`` = 6) and stored the way PHP prints a float: no trailing zeros.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
RAW_PLACES = 6


def round_dp(value: Decimal, dp: int) -> Decimal:
    """PHP ``round($value, $dp)``."""
    return value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def raw(value: Decimal) -> Decimal:
    """An unrounded amount as WooCommerce keeps it (6 decimals)."""
    return round_dp(value, RAW_PLACES)


def fmt(value: Decimal, dp: int) -> str:
    """``wc_format_decimal($value, $dp)``: exactly ``dp`` decimals, never ``-0.00``."""
    text = f"{round_dp(value, dp):.{dp}f}"
    return text[1:] if text.startswith("-") and not any(c in text for c in "123456789") else text


def plain(value: Decimal) -> str:
    """A stored amount as PHP prints it: ``1.125``, ``0.9``, ``15``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def php_number(value: Decimal) -> int | float:
    """A PHP division result as ``json_encode`` writes it: int when exact, else float."""
    return int(value) if value == value.to_integral_value() else float(value)
