"""Form fields and converters for wooxero's column types (UTC datetimes, money)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DateTimeField
from flask_admin.model.form import converts
from wtforms import DecimalField


class UTCDateTimeField(DateTimeField):
    """Entered and shown in UTC; gives the model an aware datetime."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=UTC)


class ModelConverter(AdminModelConverter):
    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args: dict[str, Any], **_extra: Any) -> UTCDateTimeField:
        field_args.setdefault("description", "UTC, as YYYY-MM-DD HH:MM:SS")
        return UTCDateTimeField(**field_args)

    @converts("Money")
    def convert_money(self, field_args: dict[str, Any], **_extra: Any) -> DecimalField:
        field_args.setdefault("places", 2)
        return DecimalField(**field_args)
