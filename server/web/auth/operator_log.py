"""Who did what, and when: every request of a signed-in operator that could change something
is kept as an `OperatorAction` once answered (done, failed or refused), wherever it went —
the admin panel's forms, deletions, actions and buttons, the connect routes, the store API.
Signing in (or failing to) and out are kept by the login views. Only the rows acted on are
kept, named by the request's ids; never a form's values, which may be passwords or keys."""

from __future__ import annotations

import logging

from flask import g, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from server.extensions import db
from server.models import ActionOutcome, Operator, OperatorAction
from server.web.auth.roles import READS

logger = logging.getLogger(__name__)

CREATED_ID = "operator_log_created_id"  # set by the admin's model views on a creation
REFUSALS = frozenset({400, 401, 403, 404, 405, 409, 413, 429})
FLASK_ADMIN_CHANGES = {"create_view": "create", "edit_view": "edit", "delete_view": "delete"}
FIELD_LENGTHS = {"view": 64, "action": 64, "targets": 500, "address": 64}


def record(
    operator: Operator | None, action: str, outcome: ActionOutcome, status: int, *,
    email: str = "", view: str = "", targets: str = "",
) -> None:  # fmt: skip
    """Keep one operator action; a log that cannot be written is logged, never a 500: the
    change it describes has happened (or not) already."""
    entry = OperatorAction(
        operator_id=operator.id if operator is not None else None,
        operator_email=operator.email if operator is not None else _printable(email)[:254],
        address=request.remote_addr or "", view=view, action=action, targets=targets,
        outcome=outcome, status=status,
    )  # fmt: skip
    for field, length in FIELD_LENGTHS.items():
        setattr(entry, field, _printable(getattr(entry, field))[:length])
    try:
        db.session.add(entry)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        logger.warning("could not record %s by %s: %s", action, entry.operator_email, error)


def _printable(text: str) -> str:
    """Control characters (U+0000 above all, which PostgreSQL cannot store) as '?'."""
    return "".join(char if char.isprintable() else "?" for char in text)


def note_created(row_id: object) -> None:
    """The id of the row this request created (known only once it is saved)."""
    setattr(g, CREATED_ID, row_id)


def record_request(response: Response) -> Response:
    """After every request: keep it if a signed-in operator asked for a change."""
    endpoint = request.endpoint or ""
    if request.method in READS or endpoint.startswith(("auth.", "static")):
        return response
    if not current_user.is_authenticated:
        return response
    operator = current_user._get_current_object()
    view, _, name = endpoint.rpartition(".")
    action = FLASK_ADMIN_CHANGES.get(name, name)
    if name == "action_view":  # a Flask-Admin list action: its name is in the form
        action = request.form.get("action", "")
    # What the view left open is either committed already or to be dropped with the request.
    db.session.rollback()
    record(
        operator,
        action,
        _outcome(response.status_code, name),
        response.status_code,
        view=view,
        targets=_targets(),
    )
    return response


def _outcome(status: int, name: str) -> ActionOutcome:
    if status in REFUSALS:
        return ActionOutcome.REFUSED
    if status >= 400:
        return ActionOutcome.FAILED
    if name in ("create_view", "edit_view") and status == 200:
        return ActionOutcome.FAILED  # Flask-Admin shows the form again when it was not saved
    flashed = session.get("_flashes") or []
    if any(category == "error" for category, _message in flashed):
        return ActionOutcome.FAILED
    return ActionOutcome.DONE


def _targets() -> str:
    """The rows acted on, from the request's ids only (never other form values)."""
    parts = [f"{key}={value}" for key, value in (request.view_args or {}).items()]
    created = g.get(CREATED_ID)
    if created is not None:
        parts.append(f"id={created}")
    ids = [*request.args.getlist("id"), *request.form.getlist("id")]
    ids += request.form.getlist("rowid")
    if ids:
        parts.append("id=" + ",".join(ids))
    if store := request.args.get("store"):
        parts.append(f"store={store}")
    return " ".join(parts)
