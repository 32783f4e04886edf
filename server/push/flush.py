"""The flush of a store's outbox: the engine's one template, run by a job per store.

    prerequisites? → reconcile what is in doubt → plan (read, skip?, map) → contacts → items
    → write in batches → bind → audit → books (payments, credit notes, their settlement);
    rounds until the outbox is empty or time is up; then the quotes that became invoices
    are closed, once.

Each round first asks `pacing` whether to go: while orders arrive faster than the budget lets
each go alone, the flush stops and its job looks again later, so they go in batches. Each
round takes only the kinds of entry whose class of call has day budget left (`_out_of_day`).

One flush per store at a time (a Redis lock), which is also the only writer of the store's
organisation (the Contacts and Items modules run alone under it). The lock lives a minute
and is renewed by a thread while the flush's process lives (a worker killed mid-flush holds
its store up for a minute at most), and checked before each call to Xero: a flush whose
lock Redis lost (a restart without its data) stops there, as another may have taken it
since. The store's settings are
read once per flush; reference data is refreshed when missing or a day old. Nothing is sent
while the store's prerequisites are incomplete: its orders wait, with the reason. A rate
limit or an outage stops the flush with the outbox intact: the sweeper starts it again.

Commits, and only these: the waiting or released orders before anything else; refreshed
reference data; each round's plans before the first call to Xero; each batch of contacts,
items, documents and quote steps as it answers (and `sending` before each document batch
leaves); each reconciled chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from redis.lock import Lock

from server import locks
from server.billing import entitlement
from server.connections.xero import access as xero_access
from server.connectors.base import ConnectorError, TransientError
from server.connectors.xero.client import XeroClient
from server.connectors.xero.ratelimit import CallPriority
from server.extensions import current_config, db
from server.mapping.orders import CannotMapError, MappedDocument
from server.models import (
    ConnectionStatus,
    OutboxEntry,
    OutboxPriority,
    OutboxStatus,
    Outcome,
    Store,
    StoreState,
)
from server.push import audit, books, contacts, documents, items, outbox, pacing, reconcile
from server.push import reference as xero_reference
from server.push.plan import Context, Plan, mapped_order, order_records, plan_entries
from server.redis_client import get_redis
from server.stores.settings import rules
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings

ROUND_SIZE = 1000  # entries planned at a time (twenty batches of fifty): fewer lookups


@dataclass(frozen=True)
class FlushResult:
    written: int
    more: bool  # stopped with work left; run again
    message: str
    gather: float = 0.0  # look again in this many seconds (orders are being gathered)


@contextmanager
def _store_lock(store_id: int) -> Iterator[Lock | None]:
    """The one writer of a store's organisation at a time (flush, contacts, items): kept
    while the flush's process lives, so a worker killed mid-flush holds its store up for a
    minute at most."""
    with locks.kept(get_redis(), f"wooxero:flush:{store_id}") as lock:
        yield lock


def flush(store_id: int) -> FlushResult:
    with _store_lock(store_id) as lock:
        if lock is None:  # it may have looked for work before what this flush was asked for
            return FlushResult(0, False, "another flush of this store is running",
                               gather=pacing.LOOK_AGAIN)  # fmt: skip
        return _flush(store_id, lock)


def blocked_by(store_id: int) -> list[str]:
    """Why the store's orders may not be sent now (empty when they may)."""
    return _blocking_reasons(store_id, settings_store.load(store_id))


def _blocking_reasons(store_id: int, settings: StoreSettings) -> list[str]:
    reasons = rules.why_not_syncing(store_id, settings=settings)
    connection = xero_access.connection_for_store(store_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        reasons = [*reasons, "Xero is not connected"]
    allowed = entitlement.of_store(store_id)
    if not allowed.entitled:
        reasons = [*reasons, allowed.reason]
    return reasons


def _hold(store_id: int, reasons: list[str]) -> FlushResult:
    """The store's pending orders wait, saying why; nothing is sent."""
    waiting = outbox.wait_for_prerequisites(store_id, reasons)
    if waiting:
        audit.record_store(store_id, "hold", Outcome.HELD,
                           f"{waiting} order(s) wait: {'; '.join(reasons)}")  # fmt: skip
    db.session.commit()
    return FlushResult(0, False, f"{waiting} order(s) wait: {'; '.join(reasons)}")


def _round_size(store_id: int) -> int:
    """Entries to take this round: no more than the orders the plan's quota has left, so a
    flush never writes past it (0: the quota is used up)."""
    left = entitlement.of_store(store_id).orders_left
    return ROUND_SIZE if left is None else min(ROUND_SIZE, left)


def _flush(store_id: int, lock: Lock) -> FlushResult:
    store = db.session.get(Store, store_id)
    if store is None or store.state != StoreState.ACTIVE:
        return FlushResult(0, False, "kept until the store is active")
    settings = settings_store.load(store_id)
    reasons = _blocking_reasons(store_id, settings)
    if reasons:
        return _hold(store_id, reasons)
    outbox.release_waiting(store_id)
    db.session.commit()
    connection = xero_access.connection_for_store(store_id)
    assert connection is not None  # connected: checked above
    client = xero_access.client_for(connection)
    client.before_call = _guarded(client.before_call, lock)
    written, more = 0, True
    deadline = time.monotonic() + current_config().worker.job_timeout / 2
    try:
        if not xero_reference.is_fresh(store_id, client.tenant_id):
            xero_reference.refresh_xero(store_id, client)
        while more and time.monotonic() < deadline:
            pace = pacing.decide(pacing.situation(store_id, client.tenant_id), pacing.policy())
            db.session.commit()
            if pace.decision is pacing.Decision.GATHER:
                return FlushResult(written, False, pace.reason, gather=pace.delay)
            size = _round_size(store_id)
            if size == 0:  # the quota ran out during this flush: its quotes still close
                documents.close_quotes(client, store_id, deadline)
                held = _hold(store_id, [entitlement.of_store(store_id).reason])
                return FlushResult(written, False, held.message)
            entries = outbox.due(store_id, size, deferred=_out_of_day(client))
            more = bool(entries)
            if more:
                written += _round(client, store, settings, entries, deadline)
        # This flush's quotes, and any a failed step left; out of time, the next flush's.
        documents.close_quotes(client, store_id, deadline)
    except ConnectorError as error:
        db.session.rollback()
        return FlushResult(written, False, f"stopped after {written}: {error.message}")
    if more:
        return FlushResult(written, True, f"{written} document(s) written; more to come")
    return FlushResult(written, False, f"{written} document(s) written")


def _out_of_day(client: XeroClient) -> set[OutboxPriority]:
    """The kinds of entry whose class of call has used its share of the organisation's day:
    they wait (pending) for tomorrow's budget, while the classes above them go on."""
    limiter = client.limiter
    usage = limiter.usage([client.tenant_id])[client.tenant_id]
    return {
        priority
        for priority in OutboxPriority
        if limiter.day_room(usage, documents.CALL_CLASS[priority]) == 0
    }


def _guarded(before_call: Callable[[], None], lock: Lock) -> Callable[[], None]:
    """`before_call` that first renews the store's lock: a flush whose lock Redis lost (a
    restart without its data) sends nothing more, as another flush may hold it now; what it
    had in flight is settled as after any failed call."""

    def guard() -> None:
        if not locks.renew(lock):
            raise TransientError("Redis lost the store's lock: this flush stops here")
        before_call()

    return guard


def _round(
    client: XeroClient,
    store: Store,
    settings: StoreSettings,
    entries: list[OutboxEntry],
    deadline: float,
) -> int:
    store_id = store.id
    round_ids = [e.id for e in entries]
    # The round's lookups and writes go in the class of its most urgent entry; books in theirs.
    with client.calls_as(max(documents.call_class(e) for e in entries)):
        in_doubt = [e for e in entries if e.status in outbox.IN_DOUBT]
        if in_doubt:
            reconcile.reconcile(client, store_id, in_doubt, deadline)
        # Pending ones only: not held by reconciling, nor already on to their books.
        entries = [e for e in entries if e.status is OutboxStatus.PENDING]
        # Read each round: the items the last round made are in it now.
        context = Context(store, settings, xero_reference.reference_for(store_id))
        plans = plan_entries(context, entries)
        db.session.commit()
        plans = _with_contacts(store_id, client, plans)
        plans = _with_items(store_id, client, context, plans)
        documents.write(client, store_id, plans)
    with client.calls_as(CallPriority.HIGH):
        books.settle(client, context, outbox.with_status(round_ids, OutboxStatus.BOOKS))
    return len(plans)


def _with_contacts(store_id: int, client: XeroClient, plans: list[Plan]) -> list[Plan]:
    """Each plan gets its contact's ContactID; a plan whose contact Xero refused fails."""
    wanted = {plan.mapped.customer_key: plan.mapped.contact for plan in plans if plan.mapped}
    for plan in plans:  # a quote being cancelled still names its contact
        if plan.mapped is None and plan.entry.customer_key:
            wanted.setdefault(plan.entry.customer_key, plan.entry.contact)
    if not wanted:
        return plans
    resolution = contacts.resolve(store_id, client, wanted)
    kept = []
    for plan in plans:
        key = plan.customer_key
        if key in resolution.contact_ids:
            plan.contact_id = resolution.contact_ids[key]
            kept.append(plan)
        elif key:
            _fail(plan, f"Xero refused the contact: {resolution.failures.get(key, 'unknown')}")
        else:
            kept.append(plan)
    db.session.commit()
    return kept


def _with_items(
    store_id: int, client: XeroClient, context: Context, plans: list[Plan]
) -> list[Plan]:
    """The items of the plans' lines exist in Xero; a plan with an item Xero refused fails."""
    wanted = [item for plan in plans if plan.mapped for item in plan.mapped.items]
    failures = items.ensure(store_id, client, context.reference.item_codes, wanted)
    if not failures:
        return plans
    kept = []
    for plan in plans:
        refused = [code for item in (plan.mapped.items if plan.mapped else [])
                   if (code := str(item["Code"])) in failures]  # fmt: skip
        if refused:
            _fail(plan, "; ".join(f"Xero refused item {c}: {failures[c]}" for c in refused))
        else:
            kept.append(plan)
    db.session.commit()
    return kept


def _fail(plan: Plan, message: str) -> None:
    outbox.settle(plan.entry, OutboxStatus.FAILED, plan.version, message)
    audit.record(plan.entry, plan.kind.name, plan.action, Outcome.ERROR, message)


# -- the Contacts and Items modules on their own, and reference data --------------------------


def refresh_reference(store_id: int) -> str:
    """The organisation's reference data and the store's WooCommerce tax rates, read now."""
    store = db.session.get(Store, store_id)
    connection = xero_access.connection_for_store(store_id)
    if store is None or connection is None or connection.status != ConnectionStatus.CONNECTED:
        return "Xero is not connected"
    client = xero_access.client_for(connection)
    with client.calls_as(CallPriority.LOW):
        calls = xero_reference.refresh_xero(store_id, client)
    rates = xero_reference.refresh_woo_tax_rates(store)
    return f"reference data refreshed ({calls} Xero calls, {rates} WooCommerce tax rates)"


def sync_contacts(store_id: int) -> str:
    """The contacts of every order that makes a document, found or made in Xero without
    writing the documents: what the Contacts module does on its own."""
    return _dependencies_alone(store_id, "contacts")


def sync_items(store_id: int) -> str:
    """The items of every order that makes a document, made in Xero if missing."""
    return _dependencies_alone(store_id, "items")


def _dependencies_alone(store_id: int, module: str) -> str:
    with _store_lock(store_id) as taken:
        if not taken:
            return "a flush of this store is running; it brings contacts and items along"
        store = db.session.get(Store, store_id)
        connection = xero_access.connection_for_store(store_id)
        if store is None or connection is None or connection.status != ConnectionStatus.CONNECTED:
            return "Xero is not connected"
        settings = settings_store.load(store_id)
        reasons = rules.why_not_syncing(store_id, module, settings)
        allowed = entitlement.of_store(store_id)
        if not allowed.entitled:  # nothing at all is sent for a store that may not sync
            reasons = [*reasons, allowed.reason]
        if reasons:
            return f"not synced: {'; '.join(reasons)}"
        client = xero_access.client_for(connection)
        if not xero_reference.is_fresh(store_id, client.tenant_id):
            xero_reference.refresh_xero(store_id, client)
        context = Context(store, settings, xero_reference.reference_for(store_id))
        mapped = [document for record in order_records(store_id)
                  if (document := _mapped_or_none(context, record.data)) is not None]  # fmt: skip
        db.session.commit()  # only read: nothing held while Xero answers
        if module == "contacts":
            wanted = {m.customer_key: m.contact for m in mapped}
            resolution = contacts.resolve(store_id, client, wanted)
            return (f"{len(resolution.contact_ids)} contact(s) in Xero, "
                    f"{len(resolution.failures)} refused")  # fmt: skip
        wanted_items = [item for m in mapped for item in m.items]
        failures = items.ensure(store_id, client, context.reference.item_codes, wanted_items)
        return f"{len({i['Code'] for i in wanted_items})} item(s) checked, {len(failures)} refused"


def _mapped_or_none(context: Context, order: Mapping[str, Any]) -> MappedDocument | None:
    """Orders that cannot be mapped wait for the flush, which holds them with the reason."""
    try:
        return mapped_order(context, order)
    except CannotMapError:
        return None
