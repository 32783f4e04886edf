"""The drift check's latest report: what differs between Xero and the store, with the fix.
A check is started with `POST …/sync/drift` (see `sync`); this only reads."""

from __future__ import annotations

from typing import Any

from flask import abort

from server.models import DriftReport
from server.pull import drift_check
from server.web.dashboard.api import bp
from server.web.dashboard.sessions import store_for_request


def _as_json(report: DriftReport) -> dict[str, Any]:
    return {
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "checked": report.checked,
        "differences": report.differences,
        "findings": report.findings,
        "truncated": report.differences > len(report.findings),
        "error": report.error,
    }


@bp.get("/stores/<public_id>/drift")
def drift_report(public_id: str) -> dict[str, Any]:
    """The latest finished report, and the run going on (its progress so far), if any."""
    store = store_for_request(public_id)
    finished, running = drift_check.latest(store.id)
    if finished is None and running is None:
        abort(404, "no drift check has run for this store yet: POST sync/drift starts one")
    return {
        "report": _as_json(finished) if finished else None,
        "running": _as_json(running) if running else None,
    }
