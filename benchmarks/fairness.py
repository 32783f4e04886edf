"""Fairness between stores: 200 stores, each its own Xero organisation, sending orders at
once while one more store has a backlog, to wooxero as deployed (web, 2 workers, scheduler;
`benchmarks.deployment`). Each order is timed from its webhook's send to its invoice in the
sandbox Xero. Prints and returns the median store's p95, the slowest store's p95 and their
ratio (target at most 2), and whether the backlog held the others up (target: every other
store's orders were in Xero before the backlog was); asserts nothing.

* The backlog store's 2,000 orders are delivered first, then 2 orders from each of the
  200 stores (400), all as fast as 8 senders can (Xero's real limits: the backlog alone
  needs minutes of its organisation's 60 calls a minute). Each store's orders cost it a
  record job and a flush whatever their number, so the backlog is sized to be more work
  than all the others' together: waiting behind it shows.

    python -m benchmarks.fairness
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.deployment import BenchStore, Deployment, deployed, percentile
from benchmarks.end_to_end import latencies
from benchmarks.report import Figure

STORES, ORDERS_EACH, BACKLOG, WORKERS, SENDERS = 200, 2, 2_000, 2, 8
TARGET_RATIO = 2.0
MOST_WAIT_SECONDS = 600


def _in_parallel(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(work, items))


def main() -> list[Figure]:
    started = time.monotonic()
    with deployed(STORES + 1, WORKERS) as deployment:
        print(f"fairness: {STORES + 1} stores set up in {time.monotonic() - started:.0f} s")
        backlog, *others = range(STORES + 1)
        wanted = [backlog] * BACKLOG + [n for n in others for _ in range(ORDERS_EACH)]
        placed = _in_parallel(lambda n: (n, deployment.place(deployment.stores[n])), wanted)
        sent = dict(_in_parallel(lambda item: _deliver(deployment, *item), placed))
        found = latencies(deployment, sent, MOST_WAIT_SECONDS)
    first_sent = min(sent.values())
    by_store: dict[int, list[float]] = {}
    for (number, _), seconds in found.items():
        by_store.setdefault(number, []).append(seconds)
    p95s = {n: percentile(by_store[n], 0.95) for n in others if n in by_store}
    median, slowest = statistics.median(p95s.values()), max(p95s.values())
    others_done = max(sent[key] + seconds for key, seconds in found.items() if key[0] != backlog)
    backlog_times = [sent[key] + s for key, s in found.items() if key[0] == backlog]
    backlog_done = max(backlog_times, default=float("inf"))
    missing = len(sent) - len(found)
    starved = others_done >= backlog_done or missing > 0
    others_from = min(at for key, at in sent.items() if key[0] != backlog)
    made = [sent[key] + seconds for key, seconds in found.items()]
    in_window = sum(others_from <= at <= others_done for at in made)
    backlog_share = sum(others_from <= at <= others_done for at in backlog_times) / in_window
    print(
        f"  {len(found)} of {len(sent)} orders made; per store p95: median {median:.1f} s, "
        f"slowest {slowest:.1f} s ({slowest / median:.2f} times; target at most {TARGET_RATIO:g})"
    )
    print(
        f"  the others' last invoice {others_done - first_sent:.0f} s after the first webhook, "
        f"the backlog's ({len(backlog_times)} of {BACKLOG}) {backlog_done - first_sent:.0f} s; "
        f"while the others had work, {backlog_share:.0%} of the invoices made were the backlog's"
    )
    return [
        Figure("fairness", f"per-store p95 webhook → invoice, median store ({STORES} stores of "
               f"{ORDERS_EACH} orders at once, one more with {BACKLOG:,})", f"{median:.1f} s"),
        Figure("fairness", "slowest store's p95 / median store's", f"{slowest / median:.2f} "
               f"({slowest:.1f} s)", f"≤ {TARGET_RATIO:g}", slowest / median <= TARGET_RATIO),
        Figure("fairness", "the backlog held the others up" + (f" ({missing} orders never "
               "made!)" if missing else ""), f"{'yes' if starved else 'no'}: the others done "
               f"at {others_done - first_sent:.0f} s, the backlog at "
               f"{backlog_done - first_sent:.0f} s ({backlog_share:.0%} of the invoices made "
               "meanwhile were the backlog's)", "no", not starved),
    ]  # fmt: skip


def _deliver(
    deployment: Deployment, number: int, order: dict[str, Any]
) -> tuple[tuple[int, int], float]:
    store: BenchStore = deployment.stores[number]
    return (number, order["id"]), deployment.deliver(store, order)


if __name__ == "__main__":
    main()
