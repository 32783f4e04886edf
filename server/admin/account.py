"""System > My account: every operator, whatever their role, chooses the time zone the panel
shows times in (their own account only; roles and passwords are an admin's, in Operators)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectField

from server.admin.access import SecureView
from server.extensions import current_config, db
from server.web.auth.roles import open_to_every_role
from server.web.inputs import BrowserForm

SERVER_ZONE = ""  # the operator follows `server.operator_timezone`


class AccountForm(BrowserForm):
    timezone = SelectField("Time zone")


def _form() -> AccountForm:
    form = AccountForm(data={"timezone": current_user.timezone})
    default = current_config().server.operator_timezone
    form.timezone.choices = [
        (SERVER_ZONE, f"The server's ({default})"),
        *((zone, zone) for zone in sorted(available_timezones())),
    ]
    return form


class AccountView(SecureView):
    @expose("/", methods=("GET",))
    def index(self) -> str:
        return self.render("admin/account.html", form=_form())

    @expose("/", methods=("POST",))
    @open_to_every_role
    def save(self) -> Response | tuple[str, int]:
        form = _form()
        if not form.validate_on_submit():
            return self.render("admin/account.html", form=form), 422
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash("Your time zone is saved: the panel shows times in it.")
        return redirect(url_for(".index"))
