"""Billing in the admin: plans, subscriptions (every change of state or plan recorded with
the operator and the reason), the record of those changes, and the events payment
providers sent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash
from flask_login import current_user
from redis.exceptions import RedisError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from server.admin.access import ReadOnlyModelView, SecureModelView
from server.billing import subscriptions
from server.jobs.tasks import billing as billing_jobs
from server.models import Subscription


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
    column_descriptions = {
        "monthly_price": "The price of one interval.",
        "monthly_order_limit": "Orders synced a month; empty: no limit.",
        "provider_price_id": "The payment provider's price (Stripe: price_…).",
    }


class SubscriptionView(SecureModelView):
    """A change of state or plan needs a reason and is recorded; a store that may sync
    again has what waited sent at once."""

    can_create = False  # a store's first activation starts its subscription
    can_delete = False
    column_list = [
        "store", "plan", "status", "trial_ends_at", "current_period_end", "provider",
        "updated_at",
    ]  # fmt: skip
    column_filters = ["status", "provider", "plan.name"]
    column_searchable_list = ["store.name", "store.url", "store.admin_email"]
    form_columns = [
        "plan", "status", "trial_ends_at", "current_period_end", "provider", "provider_ref",
        "provider_customer_ref",
    ]  # fmt: skip
    column_labels = {
        "provider_ref": "Provider's subscription",
        "provider_customer_ref": "Provider's customer",
    }
    form_extra_fields = {
        "reason": StringField(
            "Reason for the change",
            validators=[DataRequired(), Length(max=500)],
            description="Recorded with your name in the subscription's history.",
        )
    }

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


class ProviderEventView(ReadOnlyModelView):
    """Each event a payment provider sent, once: what it did to which store, or why not."""

    column_list = ["received_at", "provider", "type", "event_id", "store", "outcome", "note"]
    column_filters = ["provider", "type", "outcome"]
    column_searchable_list = ["event_id", "type", "note"]
    column_default_sort = ("id", True)
