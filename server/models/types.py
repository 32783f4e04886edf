"""Column types shared by the models: UTC timestamps, exact money, JSON, string enums."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

MONEY_PLACES = Decimal("0.0001")
MONEY_LIMIT = Decimal("100000000000")  # 10^11: 15 significant digits, exact even in SQLite


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite keeps no zone, so it is stored naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(sa.TypeDecorator[Decimal]):
    """A Decimal with 4 places; floats are refused so no binary rounding reaches the books."""

    impl = sa.Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            # SQLite has no decimal type; values within MONEY_LIMIT round-trip exactly at 4 dp.
            return dialect.type_descriptor(sa.Numeric(18, 4, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(18, 4))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_money(value)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(MONEY_PLACES)


def to_money(value: Decimal | int | str) -> Decimal:
    """Validate and quantize an amount to 4 places; raise ValueError for floats and nonsense."""
    if isinstance(value, float | bool):
        raise ValueError(f"money must be Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
        raise ValueError(f"amount out of range: {value!r}")
    quantized = amount.quantize(MONEY_PLACES)
    if quantized != amount:
        raise ValueError(f"amount has more than 4 decimal places: {value!r}")
    return quantized


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def string_enum(enum_class: type[enum.Enum], length: int = 24) -> sa.Enum:
    """An enum stored as its values in a VARCHAR, so new members need no type migration."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
