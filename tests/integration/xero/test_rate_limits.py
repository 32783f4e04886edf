"""Eight processes share one organisation's limits through Redis: no 429 from Xero and no
window over its limit. The sandbox and the limiter take the same shortened window."""

import json
import subprocess
import sys
import time

import pytest

from tests.integration.xero.helpers import calls, configure
from tests.process_helpers import PROJECT_ROOT

PROCESSES = 8
CALLS_EACH = 25
PER_WINDOW = 60
WINDOW_SECONDS = 5

pytestmark = pytest.mark.slow


def test_eight_processes_making_two_hundred_calls_never_exceed_xeros_limits(
    app_context, connected_store, sandbox, redis_url
):
    from server.sync import xero_access

    connection = xero_access.connection_for_store(connected_store.id)
    configure(sandbox, minute_limit=PER_WINDOW, minute_window_seconds=WINDOW_SECONDS)
    environment = {
        "SANDBOX_URL": sandbox.base_url, "REDIS_URL": redis_url, "TENANT_ID": connection.tenant_id,
        "ACCESS_TOKEN": connection.access_token, "WINDOW_SECONDS": str(WINDOW_SECONDS),
        "PER_WINDOW": str(PER_WINDOW), "CALLS": str(CALLS_EACH), "START_AT": str(time.time() + 3),
        "PYTHONPATH": str(PROJECT_ROOT),
    }  # fmt: skip
    started = time.monotonic()
    command = [sys.executable, "-m", "tests.integration.xero.load_worker"]
    workers = [
        subprocess.Popen(
            command, env=environment, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    reports = [json.loads(worker.communicate(timeout=180)[0]) for worker in workers]
    elapsed = time.monotonic() - started - 3
    assert [report["failures"] for report in reports] == [[]] * PROCESSES
    (stats,) = calls(sandbox).values()
    assert stats["total"] == PROCESSES * CALLS_EACH
    assert stats["rejected_429"] == {}, "Xero never had to refuse a call"
    assert stats["max_per_minute_window"] <= PER_WINDOW
    assert stats["max_in_flight"] <= 5
    # 200 calls at 60 per 5 s cannot take less than two full windows
    assert elapsed >= 2 * WINDOW_SECONDS
