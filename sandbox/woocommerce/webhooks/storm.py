"""A delivery storm for load tests: many real, signed order deliveries, out of order.

``POST /_sandbox/storm {"deliveries", "duplicate_rate", "shuffle", "concurrency", "live"}``
picks existing orders, gives each several real revisions (status steps, note and meta
edits) and sends ``deliveries`` of them to every active ``order.created``/``order.updated``
webhook through the normal delivery path (signatures, headers, failure counting). A share
``duplicate_rate`` are repeats of an earlier revision; ``shuffle`` lets older revisions
arrive after newer ones. The store ends at each order's newest revision.

By default every revision is applied up front, their ``date_modified`` one second apart and
ending now, and each revision's REST body is snapshotted before the first delivery leaves.
With ``"live": true`` nothing is applied up front: when the storm sends the first delivery of
revision k of an order, the order is first moved to revision k (through any revisions it has
not had yet, one at a time), so the store's current state advances while deliveries are in
flight. Each applied revision is stamped with the real current time, waiting for the next
whole second when needed, so its ``date_modified`` is at least one second after the order's
previous one; its body is snapshotted right then, and later deliveries of that revision
(stale ones, duplicates, other webhooks) repeat that snapshot. In both modes applying a
revision fires no webhook of its own: the storm's deliveries are the deliveries.

``report(details=True)`` lists every delivery (``order_id``, ``revision``,
``date_modified_gmt``, ``duplicate``, ``status`` …) and, under ``final_states``, each order's
planned ``revisions``, the ``revision`` it has reached and that revision's
``date_modified_gmt`` (``null`` while a live storm has applied none yet).
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..php import dates, phpjson
from ..render import orders as render_orders
from ..render.view import View
from ..store import orders
from ..store.models import Order
from .dispatcher import Dispatcher

_NOTES = ("Leave at the door", "Please gift wrap", "Call before delivery", "")
_STEPS = {"pending": "processing", "on-hold": "processing", "processing": "completed"}


@dataclass
class Planned:
    """One delivery of the storm (``body`` and ``date_modified_gmt`` stay empty in a live
    storm, which snapshots each revision as it applies it)."""

    seq: int
    order_id: int
    revision: int
    date_modified_gmt: str
    body: bytes
    duplicate: bool


@dataclass
class _Snapshot:
    date_modified_gmt: str
    body: bytes


class Storm:
    """Plans and runs one storm on its own threads."""

    def __init__(
        self, view: View, dispatcher: Dispatcher, options: dict[str, Any], seed: int
    ) -> None:
        self._view = view
        self._dispatcher = dispatcher
        self.deliveries = int(options.get("deliveries", 100))
        self.duplicate_rate = float(options.get("duplicate_rate", 0.0))
        self.shuffle = bool(options.get("shuffle", True))
        self.concurrency = max(1, int(options.get("concurrency", 4)))
        self.live = options.get("live", False)
        if not isinstance(self.live, bool):
            raise ValueError("live must be true or false")
        if self.deliveries < 1 or not 0 <= self.duplicate_rate < 1:
            raise ValueError("deliveries must be ≥ 1 and duplicate_rate in [0, 1)")
        self._seed = seed
        self._rng = random.Random(seed)  # noqa: S311 - simulation
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._results: list[dict[str, Any]] = []
        self._revisions: dict[int, int] = {}
        self._snapshots: dict[tuple[int, int], _Snapshot] = {}
        self._applied: dict[int, int] = {}
        self._order_locks: dict[int, threading.Lock] = {}
        self.state = "planning"
        store = view.store
        with store.lock:
            self.webhook_ids = [
                w.id
                for w in store.webhooks.values()
                if w.status == "active" and w.topic in ("order.created", "order.updated")
            ]
            if not self.webhook_ids:
                raise ValueError("no active order.created or order.updated webhook")
            self.plan = self._plan()
        self._thread = threading.Thread(target=self._run, name="wc-storm", daemon=True)
        self._thread.start()

    def _plan(self) -> list[Planned]:
        store = self._view.store
        unique = max(1, round(self.deliveries * (1 - self.duplicate_rate)))
        candidates = sorted(o.id for o in store.orders.values() if o.status != "trash")
        if not candidates:
            raise ValueError("the store has no orders")
        chosen = self._rng.sample(candidates, k=min(len(candidates), max(1, unique // 4)))
        revisions = {order_id: 0 for order_id in chosen}
        for index in range(unique):
            revisions[chosen[index % len(chosen)]] += 1
        self._revisions = dict(revisions)
        self._applied = {order_id: 0 for order_id in chosen}
        self._order_locks = {order_id: threading.Lock() for order_id in chosen}
        snapshots: dict[int, list[Planned]] = {}
        if self.live:
            for order_id, count in revisions.items():
                snapshots[order_id] = [
                    Planned(0, order_id, revision, "", b"", False)
                    for revision in range(1, count + 1)
                ]
        else:
            self._apply_all(revisions, snapshots)
        ordered: list[Planned] = []
        while any(snapshots.values()):
            for order_id in chosen:
                if snapshots[order_id]:
                    ordered.append(snapshots[order_id].pop(0))
        for _ in range(self.deliveries - len(ordered)):
            source = self._rng.choice(ordered)
            position = self._rng.randint(ordered.index(source) + 1, len(ordered))
            ordered.insert(
                position,
                Planned(
                    0, source.order_id, source.revision, source.date_modified_gmt, source.body, True
                ),
            )
        if self.shuffle:
            for index in range(len(ordered) - 1):
                if self._rng.random() < 0.3:
                    other = min(len(ordered) - 1, index + self._rng.randint(1, 5))
                    ordered[index], ordered[other] = ordered[other], ordered[index]
        for seq, planned in enumerate(ordered, start=1):
            planned.seq = seq
        return ordered

    def _apply_all(self, revisions: dict[int, int], snapshots: dict[int, list[Planned]]) -> None:
        """Non-live: every revision now, dated one second apart and ending now."""
        store = self._view.store
        now = store.now()
        with store.muted():
            for order_id, count in revisions.items():
                order = store.orders[order_id]
                snapshots[order_id] = []
                for revision in range(1, count + 1):
                    self._revise(order, revision, self._rng)
                    order.date_modified = now - timedelta(seconds=count - revision)
                    body = phpjson.encode(render_orders.order(self._view, order))
                    gmt = dates.gmt(order.date_modified) or ""
                    self._snapshots[(order_id, revision)] = _Snapshot(gmt, body)
                    self._applied[order_id] = revision
                    snapshots[order_id].append(Planned(0, order_id, revision, gmt, body, False))

    def _revise(self, order: Order, revision: int, rng: random.Random) -> None:
        store = self._view.store
        step = _STEPS.get(order.status)
        if revision % 3 == 1 and step:
            orders.set_status(store, order, step)
        elif revision % 3 == 2:
            order.customer_note = rng.choice(_NOTES)
        meta = next((m for m in order.meta if m.key == "_storm_revision"), None)
        if meta is None:
            order.meta.append(store.meta("_storm_revision", str(revision)))
        else:
            meta.value = str(revision)

    def _live_snapshot(self, order_id: int, revision: int) -> _Snapshot | None:
        """Live: the body of ``revision``, moving the order there first if it is behind."""
        with self._order_locks[order_id]:
            while self._applied[order_id] < revision:
                if not self._apply_next(order_id):
                    return None
            return self._snapshots.get((order_id, revision))

    def _apply_next(self, order_id: int) -> bool:
        """Apply the order's next revision at the first whole second after its last change."""
        store = self._view.store
        revision = self._applied[order_id] + 1
        while not self._cancelled.is_set():
            with store.lock:
                order = store.orders.get(order_id)
                if order is None:
                    return False
                now = store.now()
                if order.date_modified is None or now > order.date_modified:
                    rng = random.Random(f"{self._seed}:{order_id}:{revision}")  # noqa: S311
                    with store.muted():
                        self._revise(order, revision, rng)
                        order.date_modified = now
                        body = phpjson.encode(render_orders.order(self._view, order))
                    with self._lock:
                        self._snapshots[(order_id, revision)] = _Snapshot(
                            dates.gmt(now) or "", body
                        )
                        self._applied[order_id] = revision
                    return True
                next_second = order.date_modified + timedelta(seconds=1)
            wait = (next_second - datetime.now(UTC)).total_seconds()
            self._cancelled.wait(max(wait, 0.005))
        return False

    def _run(self) -> None:
        self.state = "running"
        jobs = [(p, w) for p in self.plan for w in self.webhook_ids]
        with ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="wc-storm-send"
        ) as pool:
            for _ in pool.map(self._send, jobs):
                pass
        self.state = "cancelled" if self._cancelled.is_set() else "done"

    def _send(self, job: tuple[Planned, int]) -> None:
        planned, webhook_id = job
        if self._cancelled.is_set():
            return
        date_modified_gmt, body = planned.date_modified_gmt, planned.body
        if self.live:
            snapshot = self._live_snapshot(planned.order_id, planned.revision)
            if snapshot is None:
                if not self._cancelled.is_set():
                    self._record(planned, webhook_id, None, None, "order deleted")
                return
            date_modified_gmt, body = snapshot.date_modified_gmt, snapshot.body
        entry = self._dispatcher.deliver(webhook_id, planned.order_id, "storm", body)
        self._record(planned, webhook_id, date_modified_gmt, entry, "webhook deleted")

    def _record(
        self,
        planned: Planned,
        webhook_id: int,
        date_modified_gmt: str | None,
        entry: dict[str, Any] | None,
        missing: str,
    ) -> None:
        with self._lock:
            self._results.append(
                {
                    "seq": planned.seq,
                    "webhook_id": webhook_id,
                    "order_id": planned.order_id,
                    "revision": planned.revision,
                    "date_modified_gmt": date_modified_gmt,
                    "duplicate": planned.duplicate,
                    "status": entry["status"] if entry else None,
                    "error": entry["error"] if entry else missing,
                    "delivery_id": entry["delivery_id"] if entry else None,
                }
            )

    def cancel(self) -> None:
        """Stop sending and wait for the threads."""
        self._cancelled.set()
        self._thread.join(timeout=30)

    def report(self, details: bool) -> dict[str, Any]:
        """Progress and, with ``details``, the outcome of every delivery and each order's
        final state."""
        with self._lock:
            results = sorted(self._results, key=lambda r: (r["seq"], r["webhook_id"]))
            finals = [
                {
                    "order_id": order_id,
                    "revisions": count,
                    "revision": self._applied.get(order_id, 0),
                    "date_modified_gmt": (
                        snapshot.date_modified_gmt
                        if (snapshot := self._snapshots.get((order_id, self._applied[order_id])))
                        else None
                    ),
                }
                for order_id, count in sorted(self._revisions.items())
            ]
        by_status: dict[str, int] = {}
        for result in results:
            key = str(result["status"])
            by_status[key] = by_status.get(key, 0) + 1
        report: dict[str, Any] = {
            "state": self.state,
            "live": self.live,
            "planned": len(self.plan) * len(self.webhook_ids),
            "sent": len(results),
            "webhooks": self.webhook_ids,
            "orders": sorted({p.order_id for p in self.plan}),
            "duplicates": sum(1 for p in self.plan if p.duplicate),
            "out_of_order": _stale_count(self.plan),
            "by_status": by_status,
        }
        if details:
            report["deliveries"] = results
            report["final_states"] = finals
        return report


def _stale_count(plan: list[Planned]) -> int:
    """Deliveries planned after a newer revision of the same order."""
    newest: dict[int, int] = {}
    stale = 0
    for planned in plan:
        if planned.revision < newest.get(planned.order_id, 0):
            stale += 1
        newest[planned.order_id] = max(newest.get(planned.order_id, 0), planned.revision)
    return stale
