"""The drift check: every bound invoice's total, status, payments and credit notes in Xero
against the order as last read from the store (the comparison is `server.pull.drift`'s).

Nightly and on demand (the `drift` sync). A run walks the store's invoice bindings in id
order, 50 invoices to a call (`IDs`) and the credit notes of their refunds 25 to a call, at
low priority; at most `CHUNKS_PER_RUN` chunks, or half the job's time limit, per job, with
its position committed after each chunk, so a big store is checked over several jobs and a
lost one resumes where it stopped. Orders with work in motion (pending, being sent, waiting
for prerequisites) are left out: the engine is about to bring Xero up to date anyway.

Where a replay can fix a difference, the check makes it so: the order, if done, is held
with the difference as its reason (replay takes held orders), and the bindings are brought
to what Xero holds — the invoice's status, a payment Xero says is deleted forgotten (so the
replay pays again), a credit note with credit left marked unsettled, a total edited in Xero
marked for sending again. Each order with differences leaves a sync record.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError, NotFoundError
from server.connectors.xero import resources, where
from server.connectors.xero.client import XeroClient
from server.connectors.xero.ratelimit import CallPriority
from server.extensions import current_config, db
from server.models import (
    REFUND_DETAILS,
    Binding,
    BindingKind,
    ConnectionStatus,
    Direction,
    DriftReport,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    SyncRecord,
    WooRecord,
)
from server.models.types import utcnow
from server.pull.drift import (
    Drift,
    DriftKind,
    StoreSide,
    XeroCreditNote,
    XeroInvoice,
    compare,
    store_side,
)
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings

CHUNK = 50  # invoices per call: Xero's most for `IDs`
NOTES_PER_CALL = 25  # credit notes in one OR'd `where`, well inside a URL
CHUNKS_PER_RUN = 20
MAX_FINDINGS = 500  # kept in a report; `differences` counts them all
KEPT_REPORTS = 10
SETTLED = (OutboxStatus.DONE, OutboxStatus.HELD, OutboxStatus.FAILED)
HELD_PREFIX = "Xero differs from the store: "


@dataclass(frozen=True)
class CheckResult:
    more: bool  # the run goes on in another job
    message: str


@dataclass(frozen=True)
class _Order:
    """One invoice to check: the store's side and what is needed to act on it."""

    binding_id: int
    invoice_id: str
    entry: tuple[OutboxStatus, int]
    side: StoreSide
    payment_id: str | None


def check(store_id: int) -> CheckResult:
    """Go on with the store's current run (or start one): a bounded slice of it."""
    connection = xero_access.connection_for_store(store_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return CheckResult(False, "Xero is not connected")
    settings = settings_store.load(store_id)
    if not settings.modules.invoices:
        return CheckResult(False, "the Invoices module is off: nothing is compared")
    client = xero_access.client_for(connection)
    report = _current_run(store_id)
    deadline = time.monotonic() + current_config().worker.job_timeout / 2
    for _ in range(CHUNKS_PER_RUN):
        chunk = list(db.session.scalars(
            sa.select(Binding).where(Binding.store_id == store_id,
                                     Binding.kind == BindingKind.INVOICE,
                                     Binding.xero_id.is_not(None), Binding.id > report.position)
            .order_by(Binding.id).limit(CHUNK)
        ))  # fmt: skip
        if not chunk:
            return _finish(report)
        position, count, report_id = chunk[-1].id, len(chunk), report.id
        try:
            drifts = _check_chunk(client, store_id, settings, chunk)
        except ConnectorError as error:
            db.session.rollback()
            report = db.session.get_one(DriftReport, report_id)
            report.error = error.message
            db.session.commit()
            return CheckResult(False, f"stopped: {error.message}")
        report = db.session.get_one(DriftReport, report_id)
        report.position, report.checked = position, report.checked + count
        report.differences += len(drifts)
        report.findings = (report.findings + [d.as_json() for d in drifts])[:MAX_FINDINGS]
        report.error = ""
        db.session.commit()
        if time.monotonic() > deadline:
            break
    return CheckResult(True, f"{report.checked} invoice(s) checked so far")


def latest(store_id: int) -> tuple[DriftReport | None, DriftReport | None]:
    """The store's latest finished report, and the run going on (if any)."""
    runs = db.session.scalars(
        sa.select(DriftReport).where(DriftReport.store_id == store_id)
        .order_by(DriftReport.id.desc()).limit(2)
    ).all()  # fmt: skip
    running = runs[0] if runs and runs[0].finished_at is None else None
    finished = next((run for run in runs if run.finished_at is not None), None)
    return finished, running


def _current_run(store_id: int) -> DriftReport:
    _, running = latest(store_id)
    if running is None:
        running = DriftReport(store_id=store_id, findings=[])
        db.session.add(running)
        db.session.commit()
    return running


def _finish(report: DriftReport) -> CheckResult:
    report.finished_at = utcnow()
    older = sa.select(DriftReport.id).where(DriftReport.store_id == report.store_id)
    keep = older.order_by(DriftReport.id.desc()).limit(KEPT_REPORTS)
    db.session.execute(
        sa.delete(DriftReport).where(DriftReport.store_id == report.store_id,
                                     DriftReport.id.not_in(keep.scalar_subquery()))
    )  # fmt: skip
    db.session.commit()
    return CheckResult(False, f"{report.checked} invoice(s) checked: "
                              f"{report.differences} difference(s)")  # fmt: skip


# -- one chunk -----------------------------------------------------------------------------


def _check_chunk(
    client: XeroClient, store_id: int, settings: StoreSettings, chunk: list[Binding]
) -> list[Drift]:
    orders = _orders(store_id, settings, chunk)
    db.session.commit()
    if not orders:
        return []
    invoices: dict[str, Mapping[str, Any]] = {}
    for invoice in client.iterate(resources.INVOICES, {"IDs": [o.invoice_id for o in orders]},
                                  priority=CallPriority.LOW):  # fmt: skip
        invoices[str(invoice.get("InvoiceID"))] = invoice
    notes = _credit_notes(client, [r.credit_note_id for o in orders for r in o.side.refunds
                                   if r.credit_note_id])  # fmt: skip
    now = _entries(store_id, [o.side.order_id for o in orders])
    found: list[Drift] = []
    for order in orders:
        if now.get(order.side.order_id) != order.entry:
            continue  # changed while Xero was read: the engine has it in hand
        raw = invoices.get(order.invoice_id)
        drifts = compare(order.side, XeroInvoice.from_xero(raw) if raw else None, notes)
        if raw is not None:
            _keep_status(order, raw)
        if drifts:
            _act(client, store_id, order, raw or {}, drifts)
            found += drifts
        db.session.commit()
    return found


def _orders(store_id: int, settings: StoreSettings, chunk: list[Binding]) -> list[_Order]:
    """The chunk's orders whose books are settled, with the store's side of each."""
    ids = [b.woo_id for b in chunk]
    records = {r.woo_id: r for r in db.session.scalars(
        sa.select(WooRecord).where(WooRecord.store_id == store_id, WooRecord.resource == "order",
                                   WooRecord.woo_id.in_(ids), WooRecord.deleted.is_(False))
    )}  # fmt: skip
    entries = _entries(store_id, ids)
    refunds = {woo_id: [r for r in record.data.get(REFUND_DETAILS) or []
                        if isinstance(r, Mapping)]
               for woo_id, record in records.items()}  # fmt: skip
    notes = _bound(store_id, BindingKind.CREDIT_NOTE,
                   [str(r.get("id")) for rs in refunds.values() for r in rs])  # fmt: skip
    payments = _bound(store_id, BindingKind.PAYMENT, ids)
    orders = []
    for binding in chunk:
        record, entry = records.get(binding.woo_id), entries.get(binding.woo_id)
        if record is None or entry is None or entry[0] not in SETTLED:
            continue
        side = store_side(
            record.data, refunds[binding.woo_id], binding.xero_number,
            {woo_id: (b.xero_id or "", b.xero_number) for woo_id, b in notes.items()},
            credit_note_template=settings.refunds.credit_note_number,
            payments=settings.payments.enabled, credit_notes=settings.refunds.enabled,
            void_when_cancelled=settings.documents.cancelled == "delete_or_void",
        )  # fmt: skip
        payment = payments.get(binding.woo_id)
        orders.append(_Order(binding.id, str(binding.xero_id), entry, side,
                             payment.xero_id if payment else None))  # fmt: skip
    return orders


def _entries(store_id: int, order_ids: list[str]) -> dict[str, tuple[OutboxStatus, int]]:
    rows = db.session.execute(
        sa.select(OutboxEntry.woo_order_id, OutboxEntry.status, OutboxEntry.version).where(
            OutboxEntry.store_id == store_id, OutboxEntry.woo_order_id.in_(order_ids)
        )
    )
    return {woo_id: (status, version) for woo_id, status, version in rows}


def _bound(store_id: int, kind: BindingKind, woo_ids: list[str]) -> dict[str, Binding]:
    """Bindings Xero answered for (marks in flight have no Xero id and count as none)."""
    if not woo_ids:
        return {}
    return {b.woo_id: b for b in db.session.scalars(
        sa.select(Binding).where(Binding.store_id == store_id, Binding.kind == kind,
                                 Binding.woo_id.in_(woo_ids), Binding.xero_id.is_not(None))
    )}  # fmt: skip


def _credit_notes(client: XeroClient, ids: list[str]) -> dict[str, XeroCreditNote]:
    found = {}
    for start in range(0, len(ids), NOTES_PER_CALL):
        chunk = ids[start : start + NOTES_PER_CALL]
        query = {"where": where.any_of([where.equals_guid("CreditNoteID", i) for i in chunk])}
        for note in client.iterate(resources.CREDIT_NOTES, query, priority=CallPriority.LOW):
            found[str(note.get("CreditNoteID"))] = XeroCreditNote.from_xero(note)
    return found


# -- keeping the bindings true to Xero, and the order replayable ---------------------------


def _keep_status(order: _Order, invoice: Mapping[str, Any]) -> None:
    binding = db.session.get_one(Binding, order.binding_id)
    binding.xero_status = str(invoice.get("Status") or binding.xero_status)


def _act(
    client: XeroClient,
    store_id: int,
    order: _Order,
    invoice: Mapping[str, Any],
    drifts: list[Drift],
) -> None:
    kinds = {d.kind for d in drifts if d.replay}
    if DriftKind.TOTAL in kinds:
        db.session.get_one(Binding, order.binding_id).content_hash = ""  # sent again
    if DriftKind.PAYMENTS in kinds and order.payment_id:
        live = {str(p.get("PaymentID")) for p in invoice.get("Payments") or []}
        if order.payment_id not in live:
            db.session.commit()
            _forget_deleted_payment(client, store_id, order)
    if DriftKind.CREDIT_NOTES in kinds:
        unsettled = {d.number for d in drifts if d.replay and d.kind is DriftKind.CREDIT_NOTES}
        for note in _bound(store_id, BindingKind.CREDIT_NOTE,
                           [r.refund_id for r in order.side.refunds]).values():  # fmt: skip
            if note.xero_number in unsettled:
                note.xero_status = "AUTHORISED"  # credit left: the books settle it again
    fixes = "; ".join(d.fix for d in drifts)
    if kinds:
        version = order.entry[1]
        db.session.execute(
            sa.update(OutboxEntry).where(
                OutboxEntry.store_id == store_id,
                OutboxEntry.woo_order_id == order.side.order_id,
                OutboxEntry.status == OutboxStatus.DONE, OutboxEntry.version == version,
            ).values(status=OutboxStatus.HELD, error=(HELD_PREFIX + fixes)[:4000])
        )  # fmt: skip
    db.session.add(SyncRecord(
        store_id=store_id, direction=Direction.PULL, kind="invoice", woo_id=order.side.order_id,
        xero_id=order.invoice_id, action="drift", outcome=Outcome.WARNING, message=fixes,
        details={"drift": [d.as_json() for d in drifts]}, finished_at=utcnow(),
    ))  # fmt: skip


def _forget_deleted_payment(client: XeroClient, store_id: int, order: _Order) -> None:
    """The order's payment is no longer on its invoice: if Xero says it is deleted, the
    binding points at nothing, and the books pay again on replay."""
    try:
        payment = client.get_one(resources.PAYMENTS, order.payment_id or "",
                                 priority=CallPriority.LOW)  # fmt: skip
    except NotFoundError:
        payment = {"Status": "DELETED"}
    if payment.get("Status") == "DELETED":
        db.session.execute(
            sa.delete(Binding).where(Binding.store_id == store_id,
                                     Binding.kind == BindingKind.PAYMENT,
                                     Binding.woo_id == order.side.order_id,
                                     Binding.xero_id == order.payment_id)
        )  # fmt: skip
