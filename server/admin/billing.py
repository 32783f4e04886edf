"""Billing in the admin: plans, subscriptions (every change of state or plan recorded with
the operator and the reason), the record of those changes, and the events payment
providers sent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.orm import joinedload
from wtforms import Form, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from server.admin.access import ReadOnlyModelView, SecureModelView
from server.admin.rows import StoreReferences, store_column
from server.billing import subscriptions, usage
from server.jobs.tasks import billing as billing_jobs
from server.models import Subscription, SubscriptionChange
from server.models.types import utcnow

MAX_FEATURES = 20
MAX_FEATURE_LENGTH = 200


class FeaturesField(TextAreaField):
    """A plan's features, one a line."""

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in str(text).splitlines() if line.strip()]

    def pre_validate(self, form: Form) -> None:
        if len(self.data or []) > MAX_FEATURES:
            raise ValidationError(f"at most {MAX_FEATURES} features")
        if any(len(line) > MAX_FEATURE_LENGTH for line in self.data or []):
            raise ValidationError(f"a feature has at most {MAX_FEATURE_LENGTH} characters")


class PlanView(SecureModelView):
    """Plans come from the configuration once; here they are edited from then on."""

    column_list = [
        "code", "name", "monthly_price", "currency", "interval", "monthly_order_limit",
        "features", "active",
    ]  # fmt: skip
    column_labels = {"monthly_price": "Price", "monthly_order_limit": "Orders a month"}
    form_columns = [
        "code", "name", "monthly_price", "currency", "interval", "monthly_order_limit",
        "features", "provider_price_id", "trial_days", "active",
    ]  # fmt: skip
    form_overrides = {"features": FeaturesField}
    column_descriptions = {
        "features": "What the plan includes, one a line (shown to store admins).",
        "monthly_price": "The price of one interval.",
        "monthly_order_limit": "Orders synced a month; empty: no limit.",
        "provider_price_id": "The payment provider's price (Stripe: price_…).",
    }


class SubscriptionView(StoreReferences, SecureModelView):
    """A change of state or plan needs a reason and is recorded; a store that may sync
    again has what waited sent at once."""

    can_create = False  # a store's first activation starts its subscription
    can_delete = False
    column_list = [
        "store", "plan", "status", "usage", "trial_ends_at", "current_period_end", "provider",
        "updated_at",
    ]  # fmt: skip
    column_labels = {
        "usage": "Orders this period",
        "provider_ref": "Provider's subscription",
        "provider_customer_ref": "Provider's customer",
    }
    column_formatters = {"store": store_column, "usage": lambda _v, _c, model, _n: _usage(model)}
    column_details_list = [*column_list, "provider_ref", "provider_customer_ref", "created_at"]
    column_formatters_detail = column_formatters
    column_filters = ["status", "provider", "plan.name"]
    column_searchable_list = ["store.name", "store.url", "store.admin_email"]
    form_columns = [
        "plan", "status", "trial_ends_at", "current_period_end", "provider", "provider_ref",
        "provider_customer_ref", "reason",
    ]  # fmt: skip
    form_extra_fields = {
        "reason": StringField(
            "Reason for the change",
            validators=[DataRequired(), Length(max=500)],
            description="Recorded with your name in the subscription's history.",
        )
    }

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """The page's usage counted at once, for every subscription with a quota."""
        count, rows = super().get_list(*args, **kwargs)
        now = utcnow()
        periods = {
            row.store_id: usage.current_period(row, now)
            for row in rows
            if row.plan.monthly_order_limit is not None
        }
        g.subscription_usage = usage.orders_synced_in_periods(periods)
        return count, rows

    def on_model_change(self, form: Any, model: Subscription, is_created: bool) -> None:
        state = sa.inspect(model)
        before_status = _before(state.attrs.status.history, model.status)
        before_plan = _before(state.attrs.plan.history, model.plan)
        subscriptions.record(
            model, before_status, before_plan, current_user.email, form.reason.data
        )

    def after_model_change(self, form: Any, model: Subscription, is_created: bool) -> None:
        try:
            billing_jobs.resume_if_entitled(model.store_id)
        except RedisError as error:  # the sweeper flushes within a minute
            flash(f"Saved; the store's waiting orders go within a minute ({error}).")


def _usage(subscription: Subscription) -> str:
    """Orders synced this period against the plan's quota, as the store admin sees it."""
    counted = g.get("subscription_usage", {}).get(subscription.store_id)  # the list's
    used = usage.usage(subscription.store_id, subscription, utcnow(), counted)
    if used.quota is None:
        return f"{used.orders:,} (no limit)"
    return f"{used.orders:,} of {used.quota:,} ({used.percent} %)"


def _before(history: Any, current: Any) -> Any:
    """A column's value before this form changed it."""
    return history.deleted[0] if history.deleted else current


class SubscriptionChangeView(ReadOnlyModelView):
    column_list = [
        "at", "subscription", "from_status", "to_status", "from_plan", "to_plan", "actor",
        "reason",
    ]  # fmt: skip
    column_filters = ["to_status", "actor"]
    column_searchable_list = ["reason", "actor"]
    column_default_sort = ("id", True)

    def get_query(self) -> Any:
        """Each row names its store and plan: read with the page, not row by row."""
        return (
            super()
            .get_query()
            .options(
                joinedload(SubscriptionChange.subscription).options(
                    joinedload(Subscription.store), joinedload(Subscription.plan)
                )
            )
        )


class ProviderEventView(ReadOnlyModelView):
    """Each event a payment provider sent, once: what it did to which store, or why not."""

    column_list = ["received_at", "provider", "type", "event_id", "store", "outcome", "note"]
    column_filters = ["provider", "type", "outcome"]
    column_searchable_list = ["event_id", "type", "note"]
    column_default_sort = ("id", True)
