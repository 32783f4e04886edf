"""Eight `wooxero worker` processes drain a burst of 200 Xero events (one Xero call each)
for one organisation: Xero never answers 429 and no window holds more than its limit. The
sandbox and the limiter take the same shortened window (60 calls per 5 seconds)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.extensions import db
from server.jobs.tasks.pull import process_xero_event
from server.models import Binding, BindingKind, EventSource, EventStatus, InboundEvent, SyncRecord
from tests.support.processes import PROJECT_ROOT, production_environment
from tests.support.xero import calls, configure

pytestmark = pytest.mark.slow
WORKERS = 8
EVENTS = 200
PER_WINDOW = 60
WINDOW_SECONDS = 5


def test_eight_workers_draining_two_hundred_xero_calls_stay_within_xeros_limits(
    app_context, settings, connected_store, sandbox, redis_url, tmp_path
):
    client = xero_access.client_for(xero_access.connection_for_store(connected_store.id))
    (created,) = next(write_batches(client, resources.INVOICES, [{
        "Type": "ACCREC", "InvoiceNumber": "WC-1", "Contact": {"Name": "Lee Lamb"}, "Status": "AUTHORISED",
        "Date": date(2026, 11, 20), "DueDate": date(2026, 12, 20), "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Mug", "Quantity": Decimal("1"), "UnitAmount": Decimal("10.00"),
                       "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }]))  # fmt: skip
    invoice_id = created.element["InvoiceID"]
    db.session.add(
        Binding(
            store_id=connected_store.id, kind=BindingKind.INVOICE, woo_id="1", xero_id=invoice_id
        )
    )
    events = [
        InboundEvent(store_id=connected_store.id, source=EventSource.XERO_WEBHOOK, topic="invoice.update",
                     resource="invoice", resource_id=invoice_id, delivery_id=f"burst-{n}")
        for n in range(EVENTS)
    ]  # fmt: skip
    db.session.add_all(events)
    db.session.commit()
    for row in events:
        process_xero_event.enqueue(row.id)
    requests_before = calls(sandbox)
    configure(sandbox, minute_limit=PER_WINDOW, minute_window_seconds=WINDOW_SECONDS)
    db.session.commit()  # no lock held while the workers write

    environment = production_environment(
        settings, redis_url,
        WOOXERO_SERVER__DATA_DIR=str(tmp_path),
        WOOXERO_XERO__MINUTE_WINDOW_SECONDS=str(WINDOW_SECONDS),
        WOOXERO_XERO__MAX_WAIT_SECONDS="120",
    )  # fmt: skip
    started = time.monotonic()
    workers = [
        subprocess.Popen([sys.executable, "-m", "server", "worker", "--burst"], env=environment,
                         cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]  # fmt: skip
    outputs = [worker.communicate(timeout=240)[1] for worker in workers]
    elapsed = time.monotonic() - started
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs

    db.session.rollback()
    statuses = db.session.scalars(sa.select(InboundEvent.status)).all()
    assert statuses == [EventStatus.DONE] * EVENTS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncRecord)) == EVENTS
    db.session.commit()
    (stats,) = calls(sandbox).values()
    before = next(iter(requests_before.values()))["total"] if requests_before else 0
    assert stats["total"] - before == EVENTS, "one call per event, none repeated"
    assert stats["rejected_429"] == {}, "Xero never had to refuse a call"
    assert stats["max_per_minute_window"] <= PER_WINDOW
    assert stats["max_in_flight"] <= 5
    assert elapsed >= 2 * WINDOW_SECONDS, "200 calls at 60 per 5 s take at least two windows"
