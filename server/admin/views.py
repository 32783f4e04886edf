"""Model views. Encrypted columns are never listed, shown or put in a form."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from redis.exceptions import RedisError
from werkzeug.wrappers import Response
from wtforms import PasswordField, ValidationError
from wtforms.validators import NumberRange, Optional

from server.admin.access import ReadOnlyModelView, SecureModelView
from server.crypto import EncryptedText
from server.extensions import db
from server.jobs.tasks import inbound, push
from server.models import ConnectionStatus, Operator, OutboxEntry, Store, StoreState
from server.models.user import MIN_PASSWORD_LENGTH
from server.push import outbox
from server.untrusted import ascii_int
from server.web.bridge import embeds
from server.web.dashboard.sessions import CLOSED_STATES

logger = logging.getLogger(__name__)


def _secret_columns(model: type) -> list[str]:
    return [
        column.key
        for column in model.__table__.columns  # type: ignore[attr-defined]
        if isinstance(column.type, EncryptedText)
    ]


class _HidesSecrets:
    """Keeps every encrypted column out of lists, details, filters and forms."""

    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        secrets = _secret_columns(model)
        for option in (
            "column_exclude_list",
            "column_details_exclude_list",
            "form_excluded_columns",
        ):
            setattr(self, option, [*(getattr(self, option, None) or ()), *secrets])
        super().__init__(model, *args, **kwargs)  # type: ignore[call-arg]


def _button(endpoint: str, store: Store, label: str, *, new_tab: bool = False) -> Markup:
    return Markup(
        '<form method="post" action="{}" class="d-inline"{}>'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button class="btn btn-sm btn-outline-primary" type="submit">{}</button></form>'
    ).format(
        url_for(endpoint, public_id=store.public_id),
        Markup(' target="_blank"') if new_tab else "",
        generate_csrf(),
        label,
    )


def _xero_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """The store's Xero organisation and status, with the button to connect or disconnect."""
    connection = store.xero_connection
    connected = connection is not None and connection.status == ConnectionStatus.CONNECTED
    label = (
        f"{connection.tenant_name} ({connection.status.value})"
        if connection is not None and connection.tenant_id
        else (connection.status.value if connection is not None else "not connected")
    )
    if connected:
        button = _button("connect.xero_disconnect", store, "Disconnect")
    else:
        button = _button("connect.xero_connect_start", store, "Connect Xero")
    return Markup("{} {}").format(label, button)


def _woocommerce_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """The store's WooCommerce access, with the buttons that fit it."""
    connection = store.woo_connection
    status = connection.status.value if connection is not None else "not connected"
    if connection is not None and connection.status == ConnectionStatus.CONNECTED:
        return Markup("{} {} {}").format(
            status,
            _button("connect.woocommerce_test", store, "Test connection"),
            _button("connect.woocommerce_disconnect", store, "Disconnect"),
        )
    keys = url_for("connect.woocommerce_keys", public_id=store.public_id)
    return Markup('{} {} <a class="btn btn-sm btn-link" href="{}">Enter keys</a>').format(
        status, _button("connect.woocommerce_connect_start", store, "Connect WooCommerce"), keys
    )


def _settings_link(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    url = url_for("sync_settings.index", store=store.public_id)
    return Markup('<a class="btn btn-sm btn-link" href="{}">Sync settings</a>').format(url)


def _dashboard_cell(_view: Any, _context: Any, store: Store, _name: str) -> Markup:
    """Opens the store's dashboard in a new tab (a store closed to it says why not)."""
    if store.state in CLOSED_STATES:
        return Markup("none: the store is {}").format(store.state.value)
    return _button("store.open_dashboard", store, "Open the store's dashboard", new_tab=True)


class StoreView(_HidesSecrets, SecureModelView):
    can_create = False  # stores are created by the bridge plugin's activation
    can_delete = False  # erasing a store's data is an explicit, separate operation
    column_list = ["id", "name", "url", "state", "woocommerce", "xero", "sync", "created_at"]
    column_details_list = [
        "id", "public_id", "name", "url", "state", "dashboard", "woocommerce", "xero", "sync",
        "admin_email", "admin_username", "wp_user_id", "plugin_version", "wp_version",
        "wc_version", "created_at", "updated_at",
    ]  # fmt: skip
    column_formatters = {
        "xero": _xero_cell, "woocommerce": _woocommerce_cell, "sync": _settings_link,
    }  # fmt: skip
    column_formatters_detail = {**column_formatters, "dashboard": _dashboard_cell}
    column_searchable_list = ["name", "url", "admin_email"]
    column_filters = ["state"]
    column_default_sort = ("id", True)
    form_columns = ["name"]

    def _transition(self, ids: list[str], state: StoreState, reason: str) -> list[int]:
        stores = db.session.scalars(db.select(Store).where(Store.id.in_(_ids(ids)))).all()
        changed = [s for s in stores if s.transition_to(state, reason, current_user.email)]
        changed_ids = [store.id for store in changed]
        db.session.commit()
        flash(f"{len(changed)} store(s) {state.value}; {len(stores) - len(changed)} unchanged.")
        return changed_ids

    @expose("/dashboard/<public_id>", methods=("POST",))
    def open_dashboard(self, public_id: str) -> Response:
        """The store's dashboard through a fresh one-time link, as the plugin opens it: the
        link printed by `make demo` or given to the plugin is spent once used."""
        store = db.session.scalar(sa.select(Store).where(Store.public_id == public_id))
        if store is None:
            abort(404, "no such store")
        if store.state in CLOSED_STATES:
            flash(f"A {store.state.value} store has no dashboard.", "error")
            return redirect(url_for(".details_view", id=store.id))
        try:
            token = embeds.issue(store, "main")
        except RedisError as error:
            logger.warning("could not issue a dashboard link: %s", error)
            flash("No dashboard link could be issued (Redis is unavailable). Try again.", "error")
            return redirect(url_for(".details_view", id=store.id))
        return redirect(embeds.url(token))

    @action("pause", "Pause", "Pause syncing for the selected stores? Events are still kept.")
    def action_pause(self, ids: list[str]) -> None:
        self._transition(ids, StoreState.PAUSED, "paused by an operator")

    @action("resume", "Resume", "Resume syncing for the selected stores?")
    def action_resume(self, ids: list[str]) -> None:
        for store_id in self._transition(ids, StoreState.ACTIVE, "resumed by an operator"):
            _enqueue_or_say(inbound.requeue_store_events.enqueue, store_id)


class StoreTransitionView(ReadOnlyModelView):
    column_list = ["at", "store", "from_state", "to_state", "reason", "actor"]
    column_filters = ["to_state"]
    column_default_sort = ("id", True)


class XeroConnectionView(_HidesSecrets, ReadOnlyModelView):
    column_list = ["store", "tenant_name", "tenant_id", "status", "status_reason", "updated_at"]
    column_filters = ["status"]


class WooConnectionView(_HidesSecrets, SecureModelView):
    """Read-only but for the store's poll interval."""

    can_create = False
    can_delete = False
    column_list = [
        "store", "status", "status_reason", "last_checked_at", "poll_interval_minutes",
        "last_polled_at", "poll_failures", "poll_error", "refund_checked_at",
        "refund_check_failures", "refund_check_error",
    ]  # fmt: skip
    column_filters = ["status"]
    form_columns = ["poll_interval_minutes"]
    form_args = {
        "poll_interval_minutes": {
            "label": "Poll interval (minutes)",
            "description": "Empty: the configured default (woocommerce.poll_interval_minutes).",
            "validators": [Optional(), NumberRange(min=1, max=1440)],
        }
    }


class InboundEventView(ReadOnlyModelView):
    column_list = [
        "received_at",
        "store_id",
        "source",
        "topic",
        "resource_id",
        "status",
        "attempts",
        "error",
    ]
    column_filters = ["source", "status", "topic"]
    column_searchable_list = ["resource_id", "delivery_id"]
    column_default_sort = ("id", True)

    @action("retry", "Retry", "Try the selected failed events again?")
    def action_retry(self, ids: list[str]) -> None:
        try:
            count = inbound.retry_failed_events(_ids(ids))
        except RedisError as error:
            flash(f"The events are pending again, but no job could be enqueued: {error}", "error")
            return
        flash(f"{count} failed event(s) will be tried again; the others were not failed.")


def _ids(values: list[str]) -> list[int]:
    """An action's row ids (checked by `SecureModelView._handle_view`) as numbers."""
    return [number for value in values if (number := ascii_int(value, minimum=1)) is not None]


def _enqueue_or_say(enqueue: Any, store_id: int) -> None:
    try:
        enqueue(store_id)
    except RedisError as error:
        flash(f"Store {store_id}: its waiting events will be taken up by the sweeper ({error}).")


class OutboxEntryView(ReadOnlyModelView):
    """What each order should be in Xero, and why it is not there yet (held, failed)."""

    column_list = [
        "updated_at", "store_id", "woo_order_id", "kind", "number", "action", "status",
        "currency", "total", "attempts", "error",
    ]  # fmt: skip
    column_filters = ["status", "kind", "action"]
    column_searchable_list = ["woo_order_id", "number", "error"]
    column_default_sort = ("id", True)

    @action("replay", "Replay", "Send the selected failed or held orders again?")
    def action_replay(self, ids: list[str]) -> None:
        stores: set[int] = set()
        count = 0
        for entry in db.session.scalars(
            sa.select(OutboxEntry).where(OutboxEntry.id.in_(_ids(ids)))
        ):
            replayed = outbox.replay(entry.store_id, entry.woo_order_id)
            count += replayed
            if replayed:
                stores.add(entry.store_id)
        db.session.commit()
        for store_id in sorted(stores):
            _enqueue_or_say(push.flush.enqueue, store_id)
        flash(f"{count} order(s) will be sent again; the others were neither failed nor held.")


class BackfillView(ReadOnlyModelView):
    column_list = ["started_at", "store_id", "since", "status", "read", "total", "error"]
    column_filters = ["status"]
    column_default_sort = ("id", True)


class SyncRecordView(ReadOnlyModelView):
    column_list = [
        "started_at", "store_id", "kind", "woo_id", "action", "outcome",
        "currency", "woo_total", "xero_total", "message",
    ]  # fmt: skip
    column_filters = ["outcome", "kind", "action"]
    column_searchable_list = ["woo_id", "xero_id", "message"]
    column_default_sort = ("id", True)


class BindingView(ReadOnlyModelView):
    column_list = ["store_id", "kind", "woo_id", "xero_id", "xero_number", "updated_at"]
    column_filters = ["kind"]
    column_searchable_list = ["woo_id", "xero_id", "xero_number"]


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
