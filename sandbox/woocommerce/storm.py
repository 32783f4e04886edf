"""A delivery storm for load tests: many real, signed order deliveries, out of order.

``POST /_sandbox/storm {"deliveries", "duplicate_rate", "shuffle", "concurrency"}`` picks
existing orders, moves each through several real revisions (status steps, note and meta
edits; their ``date_modified`` one second apart, ending now), snapshots each revision's REST
body, and sends ``deliveries`` of them to every active ``order.created``/``order.updated``
webhook through the normal delivery path (signatures, headers, failure counting). A share
``duplicate_rate`` are repeats of an earlier revision; ``shuffle`` lets older revisions
arrive after newer ones. The store ends at each order's newest revision.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import dates, orders, phpjson, render_orders
from .render_common import View
from .webhooks import Dispatcher

_NOTES = ("Leave at the door", "Please gift wrap", "Call before delivery", "")
_STEPS = {"pending": "processing", "on-hold": "processing", "processing": "completed"}


@dataclass
class Planned:
    """One delivery of the storm."""

    seq: int
    order_id: int
    revision: int
    date_modified_gmt: str
    body: bytes
    duplicate: bool


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
        if self.deliveries < 1 or not 0 <= self.duplicate_rate < 1:
            raise ValueError("deliveries must be ≥ 1 and duplicate_rate in [0, 1)")
        self._rng = random.Random(seed)  # noqa: S311 - simulation
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._results: list[dict[str, Any]] = []
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
        snapshots: dict[int, list[Planned]] = {}
        now = store.now()
        with store.muted():
            for order_id, count in revisions.items():
                order = store.orders[order_id]
                snapshots[order_id] = []
                for revision in range(1, count + 1):
                    self._revise(order, revision)
                    order.date_modified = now - timedelta(seconds=count - revision)
                    body = phpjson.encode(render_orders.order(self._view, order))
                    snapshots[order_id].append(
                        Planned(
                            0, order_id, revision, dates.gmt(order.date_modified) or "", body, False
                        )
                    )
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

    def _revise(self, order: Any, revision: int) -> None:
        store = self._view.store
        step = _STEPS.get(order.status)
        if revision % 3 == 1 and step:
            orders.set_status(store, order, step)
        elif revision % 3 == 2:
            order.customer_note = self._rng.choice(_NOTES)
        meta = next((m for m in order.meta if m.key == "_storm_revision"), None)
        if meta is None:
            order.meta.append(store.meta("_storm_revision", str(revision)))
        else:
            meta.value = str(revision)

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
        entry = self._dispatcher.deliver(webhook_id, planned.order_id, "storm", planned.body)
        with self._lock:
            self._results.append(
                {
                    "seq": planned.seq,
                    "webhook_id": webhook_id,
                    "order_id": planned.order_id,
                    "revision": planned.revision,
                    "date_modified_gmt": planned.date_modified_gmt,
                    "duplicate": planned.duplicate,
                    "status": entry["status"] if entry else None,
                    "error": entry["error"] if entry else "webhook deleted",
                    "delivery_id": entry["delivery_id"] if entry else None,
                }
            )

    def cancel(self) -> None:
        """Stop sending and wait for the threads."""
        self._cancelled.set()
        self._thread.join(timeout=30)

    def report(self, details: bool) -> dict[str, Any]:
        """Progress and, with ``details``, the outcome of every delivery."""
        with self._lock:
            results = sorted(self._results, key=lambda r: (r["seq"], r["webhook_id"]))
        by_status: dict[str, int] = {}
        for result in results:
            key = str(result["status"])
            by_status[key] = by_status.get(key, 0) + 1
        report: dict[str, Any] = {
            "state": self.state,
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
