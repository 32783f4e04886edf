"""Helpers shared by the resource handlers."""

from __future__ import annotations

from ..render.view import View
from .router import Call


def dp_view(call: Call) -> View:
    """The call's view with the ``dp`` parameter applied (decimals for money)."""
    dp = call.params.integer("dp", call.view.dp, minimum=0)
    return View(call.view.store, call.view.home, call.view.dp if dp is None else dp)


def location(call: Call, path: str) -> dict[str, str]:
    """A ``Location`` header for a created resource."""
    return {"Location": call.view.url(path)}
