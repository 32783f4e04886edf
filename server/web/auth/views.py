from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from server.extensions import current_config, db, limiter
from server.models import ActionOutcome, Operator
from server.models.types import utcnow
from server.untrusted import ascii_int
from server.web.auth import operator_log, roles
from server.web.auth.forms import LoginForm
from server.web.auth.safe_next import safe_next_path

bp = Blueprint("auth", __name__)
# For the whole app, whichever blueprint answers: the role's limits, then the log.
bp.before_app_request(roles.refuse_changes_by_read_only_operators)
bp.after_app_request(operator_log.record_request)

UNKNOWN_ACCOUNT = "(no such operator)"  # what was typed is not kept: it may be a password

# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_UNKNOWN_OPERATOR_HASH = "scrypt:32768:8:1$wooxero$" + "0" * 128


SIGNED_IN_AT = "signed_in_at"  # Unix seconds, in the session cookie


def load_operator(session_id: str) -> Operator | None:
    """The operator of a session, unless it is older than security.session_hours, they
    logged out or changed their password since (a new session_version), or were
    deactivated."""
    operator_id, _, version = session_id.partition(":")
    number, generation = ascii_int(operator_id), ascii_int(version)
    signed_in_at = session.get(SIGNED_IN_AT)
    if number is None or generation is None or not isinstance(signed_in_at, int):
        return None
    if time.time() - signed_in_at > current_app.permanent_session_lifetime.total_seconds():
        return None
    operator = db.session.get(Operator, number)
    if operator is None or not operator.active or operator.session_version != generation:
        return None
    return operator


def _login_limit() -> str:
    return current_config().security.login_rate_limit


def _login_account() -> str:
    """The account an attempt is for (hashed: no email address in Redis keys), so one operator's
    password cannot be guessed from many client addresses at once."""
    email = Operator.normalise_email(request.form.get("email", ""))
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


@bp.route("/login", methods=["GET", "POST"])
@roles.open_to_every_role
@limiter.limit(_login_limit, methods=["POST"])  # per client address
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account)
def login() -> Response | str:
    default = url_for("admin.index")
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next_path(form.next.data, default))
    if form.validate_on_submit():
        email = Operator.normalise_email(form.email.data or "")
        operator = db.session.scalar(sa.select(Operator).where(Operator.email == email))
        password = form.password.data or ""
        if operator is None:
            check_password_hash(_UNKNOWN_OPERATOR_HASH, password)
        elif operator.check_password(password) and operator.active:
            operator.last_login_at = utcnow()
            db.session.commit()
            login_user(operator)
            session.permanent = True  # the cookie expires with the session's lifetime
            session[SIGNED_IN_AT] = int(time.time())
            operator_log.record(operator, "sign in", ActionOutcome.DONE, 302, view="auth")
            return redirect(safe_next_path(form.next.data, default))
        operator_log.record(
            operator, "sign in", ActionOutcome.REFUSED, 200, email=UNKNOWN_ACCOUNT, view="auth"
        )
        flash("Wrong email or password.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@roles.open_to_every_role
def logout() -> Response:
    """Ends the session on the server too: a copy of the cookie must not outlive it. A new
    session_version ends every session of the operator (there is no per-session record).
    POST only; CSRFProtect has checked the token before this runs."""
    if current_user.is_authenticated:
        current_user.session_version += 1
        db.session.commit()
        operator_log.record(current_user, "sign out", ActionOutcome.DONE, 302, view="auth")
    logout_user()
    return redirect(url_for("auth.login"))
