"""The drift report over the API: none yet is a 404 that says how to start one; a check
asked for with `POST …/sync/drift` runs as a job and its report is read back."""

from __future__ import annotations

from typing import Any

from server.models import Store
from tests.integration.push.test_flush import _backfill_and_flush
from tests.integration.web.dashboard.api.conftest import ApiClient
from tests.support.jobs import run_jobs


def test_no_report_yet_answers_404_saying_how_to_start_one(api: ApiClient, store: Store) -> None:
    answer = api.client.get(f"/api/v1/stores/{store.public_id}/drift")
    assert answer.status_code == 404
    assert "POST sync/drift" in answer.get_json()["error"]
    assert api.client.get("/api/v1/stores/no-such-store/drift").status_code == 404


def test_a_drift_sync_runs_the_check_and_its_report_is_read_back(
    client: Any, synced_store: Store, sandbox: Any, app_context: Any
) -> None:
    _backfill_and_flush(synced_store)
    api = ApiClient(client)  # the operator synced_store signed in
    assert api.sync(synced_store, "drift").status_code == 202
    assert api.sync(synced_store, "drift").status_code == 429
    run_jobs(app_context)
    answer = api.client.get(f"/api/v1/stores/{synced_store.public_id}/drift")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["running"] is None
    report = body["report"]
    assert report["findings"] == [] and report["differences"] == 0
    assert report["checked"] >= 10 and report["finished_at"] and not report["truncated"]
    assert answer.headers["Cache-Control"] == "no-store"
