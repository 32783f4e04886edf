"""What an operator's role lets them do: an admin changes anything; support sees everything
and changes nothing. Enforced once for the whole app, before any view runs, on every request
that could change something (every method but GET, HEAD and OPTIONS): the admin panel's
forms, deletions, actions and buttons, the connect routes and the store API the panel's
pages call. A view added later is covered without a line of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

READS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_TO_EVERY_ROLE = "_open_to_every_role"
REFUSED = (
    "Your operator role is support: you can see everything in the panel but change nothing. "
    "Ask an admin to make this change."
)

View = TypeVar("View", bound=Callable[..., Any])


def open_to_every_role(view: View) -> View:
    """Marks a view any signed-in operator may post to: it changes only their own account
    (signing out, their time zone), never the stores or the books."""
    setattr(view, OPEN_TO_EVERY_ROLE, True)
    return view


def operator_may_change() -> bool:
    """Whether the signed-in operator may change things (the panel hides what they may not)."""
    return bool(current_user.is_authenticated and current_user.may_change)


def refuse_changes_by_read_only_operators() -> None:
    """403 with words for a support operator's request that could change something."""
    if request.method in READS or not current_user.is_authenticated:
        return
    if current_user.may_change:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, OPEN_TO_EVERY_ROLE, False):
        return
    abort(403, REFUSED)
