"""Every admin view is for signed-in operators only, and shows a support operator nothing
they may not use (no create, edit or delete buttons, no actions): the role itself is
enforced for the whole app by `server.web.auth.roles`. Times are shown in the operator's
zone. The overview page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_login import current_user
from werkzeug.wrappers import Response

from server.admin.fields import FilterConverter, ModelConverter
from server.extensions import current_config, db
from server.models import EventStatus, InboundEvent, Outcome, Store, StoreState, SyncRecord
from server.untrusted import ascii_int
from server.web.auth import operator_log
from server.web.auth.roles import operator_may_change

ADMINS_ONLY = "Only an admin operator may open this page; your role is support."


class OperatorOnly:
    """Mixed into every view: anonymous visitors are sent to the login page and back; a view
    with `admins_only` is out of a support operator's menu and answers them 403."""

    admins_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return operator_may_change() or not self.admins_only

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if current_user.is_authenticated:
            abort(403, ADMINS_ONLY)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class SecureView(OperatorOnly, BaseView):
    pass


def operator_zone() -> ZoneInfo:
    """The zone the signed-in operator reads and types times in."""
    return current_user.zone(current_config().server.operator_timezone)


def _moment(_view: Any, value: datetime, _name: str = "") -> str:
    """A stored moment to the second in the operator's zone, with the zone's abbreviation
    (`2026-12-03 22:12:36 NZDT`): every time is kept in UTC."""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.astimezone(operator_zone()).strftime("%Y-%m-%d %H:%M:%S %Z")


def _amount(_view: Any, value: Decimal, _name: str = "") -> str:
    """Money to the cent (amounts are kept to 4 places; a currency column stands beside)."""
    return f"{value:,.2f}"


class SecureModelView(OperatorOnly, ModelView):
    model_form_converter = ModelConverter
    filter_converter = FilterConverter()
    page_size = 50
    can_view_details = True
    column_type_formatters = {
        **typefmt.BASE_FORMATTERS, datetime: _moment, Decimal: _amount,
    }  # fmt: skip
    column_type_formatters_detail = column_type_formatters

    # Read per request: a support operator sees no button they cannot use. (A view that
    # sets one of these to False keeps it False for everybody.)
    @property  # type: ignore[override]
    def can_create(self) -> bool:
        return operator_may_change()

    @property  # type: ignore[override]
    def can_edit(self) -> bool:
        return operator_may_change()

    @property  # type: ignore[override]
    def can_delete(self) -> bool:
        return operator_may_change()

    def is_action_allowed(self, name: str) -> bool:
        return operator_may_change() and super().is_action_allowed(name)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:
            operator_log.note_created(model.id)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """Row ids (`?id=`, a deletion's `id`, an action's `rowid`) are plain numbers that fit
        the id columns: anything else would reach the database and fail there."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        ids = [*request.args.getlist("id"), *request.form.getlist("id")]
        ids += request.form.getlist("rowid")
        if any(ascii_int(value, minimum=1) is None for value in ids):
            abort(400, "row ids are whole numbers from 1 to 2147483647")
        return None


class ReadOnlyModelView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False


class OverviewView(OperatorOnly, AdminIndexView):
    @expose("/")
    def index(self) -> str:
        stores_by_state = dict(
            db.session.execute(sa.select(Store.state, sa.func.count()).group_by(Store.state)).all()
        )
        pending_events = db.session.scalar(
            sa.select(sa.func.count()).where(InboundEvent.status == EventStatus.PENDING)
        )
        failed_events = db.session.scalar(
            sa.select(sa.func.count()).where(InboundEvent.status == EventStatus.FAILED)
        )
        problems = db.session.scalars(
            sa.select(SyncRecord)
            .where(SyncRecord.outcome.in_((Outcome.ERROR, Outcome.HELD)))
            .order_by(SyncRecord.started_at.desc())
            .limit(10)
        ).all()
        return self.render(
            "admin/overview.html",
            states=list(StoreState),
            stores_by_state=stores_by_state,
            pending_events=pending_events,
            failed_events=failed_events,
            problems=problems,
        )
