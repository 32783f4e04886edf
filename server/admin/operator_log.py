"""System > Operator log: who did what, and when (kept by `server.web.auth.operator_log`),
read-only for every operator, filtered by operator, action, outcome and time."""

from __future__ import annotations

from datetime import datetime

from flask_admin.contrib.sqla import filters

from server.admin.access import ReadOnlyModelView, operator_zone
from server.models import OperatorAction


class _InOperatorZone:
    """A time typed in a filter is the operator's local time, as the list shows it."""

    def clean(self, value: str) -> datetime:
        return super().clean(value).replace(tzinfo=operator_zone())  # type: ignore[misc]


class _After(_InOperatorZone, filters.DateTimeGreaterFilter):
    pass


class _Before(_InOperatorZone, filters.DateTimeSmallerFilter):
    pass


class OperatorActionView(ReadOnlyModelView):
    column_list = [
        "at", "operator_email", "action", "view", "targets", "outcome", "status", "address",
    ]  # fmt: skip
    column_labels = {"at": "When", "operator_email": "Operator", "view": "Where", "targets": "Rows"}
    column_filters = [
        "operator_email", "action", "view", "outcome",
        _After(OperatorAction.at, "When"), _Before(OperatorAction.at, "When"),
    ]  # fmt: skip
    named_filter_urls = True  # `?flt0_when_greater_than=…`: a link says what it filters
    column_searchable_list = ["operator_email", "action", "targets"]
    column_default_sort = ("id", True)
