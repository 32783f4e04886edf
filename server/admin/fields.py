"""Form fields and converters for wooxero's column types (UTC datetimes, money), numbers
bounded to what their columns hold, so a form refuses them rather than the database, and
list filters on enum columns that work."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa
from flask_admin.contrib.sqla import filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DateTimeField
from flask_admin.model.form import converts
from wtforms import DecimalField, Field, Form, IntegerField, ValidationError
from wtforms.validators import NumberRange

from server.models.types import to_money
from server.untrusted import INT32_MAX, INT64_MAX
from server.web.inputs import no_nul


class UTCDateTimeField(DateTimeField):
    """Entered and shown in UTC; gives the model an aware datetime."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=UTC)


def _money(_form: Form, field: Field) -> None:
    """The Money column's own rules (4 places, under 10^11), as a message on the field."""
    if field.data is not None:
        try:
            to_money(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ModelConverter(AdminModelConverter):
    @classmethod
    def _string_common(cls, column: Any, field_args: dict[str, Any], **extra: Any) -> None:
        """Text fields (String and Text columns) hold no U+0000, which PostgreSQL refuses;
        checked first, before a uniqueness check queries the database with it."""
        field_args["validators"].insert(0, no_nul)
        super()._string_common(column=column, field_args=field_args, **extra)

    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args: dict[str, Any], **_extra: Any) -> UTCDateTimeField:
        field_args.setdefault("description", "UTC, as YYYY-MM-DD HH:MM:SS")
        return UTCDateTimeField(**field_args)

    @converts("Money")
    def convert_money(self, field_args: dict[str, Any], **_extra: Any) -> DecimalField:
        field_args.setdefault("places", 2)
        field_args["validators"] = [*field_args.get("validators", ()), _money]
        return DecimalField(**field_args)

    @converts("Integer")  # the same name as the method it replaces, so it wins the lookup
    def handle_integer_types(
        self, column: Any, field_args: dict[str, Any], **extra: Any
    ) -> IntegerField:
        """Within the column's range (INTEGER is 32 bits on PostgreSQL)."""
        top = INT64_MAX if isinstance(column.type, sa.BigInteger) else INT32_MAX
        field_args["validators"].append(NumberRange(min=-top - 1, max=top))
        return super().handle_integer_types(column, field_args, **extra)


class _ByValue:
    """Flask-Admin's enum filters offer the values the columns keep ("paused") but look
    members up by name ("PAUSED"): every choice failed with a 500. By value here; a value
    that is no member's is a filter refused (ValueError), not an error."""

    enum_class: Any

    def member(self, value: Any) -> Any:
        return self.enum_class(value) if self.enum_class is not None else value


class EnumEqual(_ByValue, filters.EnumEqualFilter):
    def clean(self, value: Any) -> Any:
        return self.member(value)


class EnumNotEqual(_ByValue, filters.EnumFilterNotEqual):
    def clean(self, value: Any) -> Any:
        return self.member(value)


class EnumInList(_ByValue, filters.EnumFilterInList):
    def clean(self, value: Any) -> Any:
        return [self.member(item) for item in filters.FilterInList.clean(self, value)]


class EnumNotInList(_ByValue, filters.EnumFilterNotInList):
    def clean(self, value: Any) -> Any:
        return [self.member(item) for item in filters.FilterInList.clean(self, value)]


class FilterConverter(filters.FilterConverter):
    enum = (EnumEqual, EnumNotEqual, filters.EnumFilterEmpty, EnumInList, EnumNotInList)
