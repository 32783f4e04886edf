"""Model views of stores' connections, plans and subscriptions, and operators. Encrypted
columns are never listed, shown or put in a form."""

from __future__ import annotations

from typing import Any

from flask_admin.babel import gettext
from flask_login import current_user
from wtforms import PasswordField, ValidationError
from wtforms.validators import NumberRange, Optional

from server.admin.access import ReadOnlyModelView, SecureModelView
from server.admin.rows import HidesSecrets, StoreReferences, store_column
from server.models import Operator
from server.models.user import MIN_PASSWORD_LENGTH


class StoreTransitionView(StoreReferences, ReadOnlyModelView):
    column_list = ["at", "store", "from_state", "to_state", "reason", "actor"]
    column_formatters = {"store": store_column}
    column_filters = ["to_state"]
    column_default_sort = ("id", True)


class XeroConnectionView(StoreReferences, HidesSecrets, ReadOnlyModelView):
    column_list = ["store", "tenant_name", "tenant_id", "status", "status_reason", "updated_at"]
    column_formatters = {"store": store_column}
    column_filters = ["status"]


class WooConnectionView(StoreReferences, HidesSecrets, SecureModelView):
    """Read-only but for the store's poll interval."""

    can_create = False
    can_delete = False
    column_list = [
        "store", "status", "status_reason", "last_checked_at", "poll_interval_minutes",
        "last_polled_at", "poll_failures", "poll_error", "refund_checked_at",
        "refund_check_failures", "refund_check_error",
    ]  # fmt: skip
    column_filters = ["status"]
    column_formatters = {"store": store_column}
    form_columns = ["poll_interval_minutes"]
    form_args = {
        "poll_interval_minutes": {
            "label": "Poll interval (minutes)",
            "description": "Empty: the configured default (woocommerce.poll_interval_minutes).",
            "validators": [Optional(), NumberRange(min=1, max=1440)],
        }
    }


class OperatorAccountView(SecureModelView):
    admins_only = True  # managing operators is an admin's
    column_list = ["email", "role", "active", "timezone", "created_at", "last_login_at"]
    column_details_exclude_list = ["password_hash"]
    form_columns = ["email", "role", "active", "new_password"]
    form_args = {"email": {"filters": [lambda value: Operator.normalise_email(value or "")]}}
    form_extra_fields = {
        "new_password": PasswordField(
            "New password",
            validators=[Optional()],
            description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave empty to keep.",
        )
    }

    def on_model_change(self, form: Any, model: Operator, is_created: bool) -> None:
        if form.new_password.data:
            try:
                model.set_password(form.new_password.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None
        elif is_created:
            raise ValidationError(gettext("A new operator needs a password."))
        if model.id == current_user.id and not model.active:
            raise ValidationError("You cannot deactivate your own account.")
        if model.id == current_user.id and not model.may_change:
            raise ValidationError("You cannot make your own account support: ask another admin.")

    def on_model_delete(self, model: Operator) -> None:
        if model.id == current_user.id:
            raise ValidationError("You cannot delete your own account.")
