"""Finding the admin panel's list filters as an operator's browser does: by their names."""

from __future__ import annotations

from typing import Any

from flask import Flask


def filter_url(app: Flask, endpoint: str, label: str, value: str, operation: str = "") -> str:
    """The list of view `endpoint` filtered by its filter named `label` (and `operation`,
    where a name has several) set to `value`."""
    view: Any = next(
        view for view in app.extensions["admin"][0]._views if view.endpoint == endpoint
    )
    arg = next(
        arg
        for arg, (_index, flt) in view._filter_args.items()
        if str(flt.name) == label and (not operation or str(flt.operation()) == operation)
    )
    return f"/admin/{endpoint}/?flt0_{arg}={value}"
