"""Manual syncs of one scope, each behind its cooldown; backfills with their progress;
replays of failed and held orders. The work runs in jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort

from server.inbound import backfill
from server.stores.settings import rules
from server.untrusted import INT64_MAX, ascii_int
from server.web import inputs
from server.web.dashboard import actions
from server.web.dashboard.api import bp
from server.web.dashboard.sessions import store_for_request


@bp.post("/stores/<public_id>/sync/<scope>")
def manual_sync(public_id: str, scope: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    store = store_for_request(public_id)
    try:
        chosen = rules.SyncScope(scope)
    except ValueError:
        abort(404, f"no sync scope '{scope}'")
    started = actions.start_sync(store, chosen)
    if started.refusal:
        return {"error": started.refusal}, 409, {}
    if started.retry_after:
        seconds = started.retry_after
        answer = {"error": f"synced moments ago; try again in {seconds} s", "retry_after": seconds}
        return answer, 429, {"Retry-After": str(seconds)}
    return {"scope": chosen.value, "status": "queued"}, 202, {}


@bp.post("/stores/<public_id>/backfill")
def start_backfill(public_id: str) -> tuple[dict[str, Any], int]:
    """Every order created since `since` (a date or an ISO 8601 time, UTC) to Xero."""
    store = store_for_request(public_id)
    since = _since(inputs.json_object().get("since"))
    if since is None:
        return {"errors": {"since": "a date (YYYY-MM-DD) or an ISO 8601 time"}}, 422
    try:
        run = actions.start_backfill(store, since)
    except backfill.BackfillError as error:
        return {"error": str(error)}, 409
    return {"id": run.id, **backfill.progress(run).as_dict()}, 202


@bp.get("/stores/<public_id>/backfill")
def backfill_progress(public_id: str) -> dict[str, Any]:
    """The latest backfill: orders done of the total, and the seconds left at the rate
    Xero allows."""
    store = store_for_request(public_id)
    run = backfill.latest(store.id)
    if run is None:
        abort(404, "no backfill has been started for this store")
    return {"id": run.id, "since": run.since.isoformat(), **backfill.progress(run).as_dict()}


REPLAY_BODIES = 'send {} for every failed or held order, or {"order_id": "123"} for one'


@bp.post("/stores/<public_id>/replay")
def replay(public_id: str) -> dict[str, Any]:
    """Failed and held orders back to the outbox: one (`{"order_id": "123"}`) or every one of
    the store (`{}`, and only that: a body that is anything else replays nothing)."""
    store = store_for_request(public_id)
    body = inputs.json_object()
    if set(body) - {"order_id"}:
        abort(400, f"unknown fields {sorted(set(body) - {'order_id'})}: {REPLAY_BODIES}")
    woo_order_id = _woo_id(body["order_id"]) if "order_id" in body else None
    if "order_id" in body and woo_order_id is None:
        abort(400, "order_id must be a WooCommerce order id (a whole number, 1 or more)")
    return {"replayed": actions.replay(store, woo_order_id)}


def _woo_id(value: Any) -> str | None:
    """A WooCommerce id given as a JSON number or a string of ASCII digits, as the outbox
    keeps it ("12"); None if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value if 0 < value <= INT64_MAX else None
    else:
        number = ascii_int(value, minimum=1, maximum=INT64_MAX) if isinstance(value, str) else None
    return None if number is None else str(number)


def _since(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: moved past year 1 or 9999 into UTC
        return None
