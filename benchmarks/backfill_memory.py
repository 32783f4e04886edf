"""A 20,000-order backfill run by real workers: their peak memory (target at most 200 MB),
Xero calls per order and wall time. Prints figures and returns them; asserts nothing.

The store's WooCommerce holds 20,000 seeded orders (2,000 customers, 200 products, every
status); the backfill is started as the dashboard starts it and two `wooxero worker --burst`
take its jobs (a page read, then the flush that writes what was read, then the next page)
until none is left. A worker forks a work horse per job: the figure is the highest peak
resident memory (VmHWM) of any process of the workers, the workers themselves included.
Xero's minute window is scaled down to a second in the sandbox and in wooxero, so the run
takes minutes rather than a quarter of an hour: the calls are the same, only the waiting is
shorter.

    python -m benchmarks.backfill_memory      (embedded Redis and a temporary SQLite database)
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from benchmarks.backfill import PUBLIC_URL, _calls, _set_up, bench_config
from benchmarks.report import Figure, at_most
from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce import serve_in_thread as serve_store
from sandbox.xero import SandboxConfig
from sandbox.xero import serve_in_thread as serve_xero
from server import create_app
from server.extensions import db
from server.inbound import backfill
from server.jobs.tasks.push import run_backfill
from server.models import Backfill, OutboxEntry
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.processes import PROJECT_ROOT
from tests.support.processes import production_environment as wooxero_environment

ORDERS, CUSTOMERS, PRODUCTS = 20_000, 2_000, 200
TARGET_MB = 200
WINDOW_SECONDS = 1  # Xero's minute window, scaled for the run (the calls per window are Xero's)
MOST_SECONDS = 900
WORKERS = 2  # reading pages and writing them overlap, as with a deployment's workers


class PeakMemory(threading.Thread):
    """Samples the peak resident memory of a process and of its children, 20 times a second
    (VmHWM is each process's own high-water mark, so a sample near its end misses little)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak_kb = 0
        self.done = threading.Event()

    def _sample(self) -> None:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for process in processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:  # ended between the listing and the read
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def run(self) -> None:
        while not self.done.wait(0.05):
            self._sample()


def main() -> list[Figure]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-backfill-memory-"))
    redis = EmbeddedRedis(directory, directory / "redis.log")
    redis.start()
    xero_config = SandboxConfig(auto_approve=True, minute_window_seconds=WINDOW_SECONDS)
    xero_config = xero_config.with_redirect_uris([PUBLIC_URL + "/xero/callback"])
    shop_config = StoreConfig(orders=ORDERS, customers=CUSTOMERS, products=PRODUCTS)
    try:
        with serve_xero(xero_config) as xero, serve_store(shop_config) as shop:
            config = bench_config(directory, redis.url, xero.base_url)
            app = create_app(config)
            with app.app_context():
                apply_migrations()
                store = _set_up(shop.base_url, xero.base_url)
                setup_calls = sum(_calls(xero.base_url).values())
                store_id = store.id
                run = backfill.start(store_id, datetime(2000, 1, 1, tzinfo=UTC))
                db.session.flush()
                run_id = run.id
                db.session.commit()
                db.session.close()  # on SQLite an open transaction holds the write lock
                run_backfill.enqueue(run_id)
                environment = wooxero_environment(
                    config, redis.url, WOOXERO_XERO__MINUTE_WINDOW_SECONDS=str(WINDOW_SECONDS),
                    WOOXERO_SERVER__DATA_DIR=str(directory),
                )  # fmt: skip
                started = time.monotonic()
                peak_kb = _work(environment)
                elapsed = time.monotonic() - started
                progress = backfill.progress(db.session.get(Backfill, run_id))
                statuses: dict[str, int] = {}
                for entry in db.session.query(OutboxEntry).filter_by(store_id=store_id):
                    statuses[entry.status.value] = statuses.get(entry.status.value, 0) + 1
                db.session.remove()
            calls = sum(_calls(xero.base_url).values())
    finally:
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)
    peak_mb = peak_kb / 1024
    print(f"backfill of {ORDERS:,} orders by {WORKERS} `wooxero worker --burst`:")
    print(f"  outbox: {statuses}; progress {progress.done}/{progress.total}")
    print(f"  worker peak memory (largest VmHWM of the workers and their work horses): "
          f"{peak_mb:.0f} MB — target at most {TARGET_MB} MB")  # fmt: skip
    print(f"  Xero calls: {calls} in all ({setup_calls} reading reference data), "
          f"{calls / ORDERS:.3f} per order; wall time {elapsed:.0f} s")  # fmt: skip
    return [
        at_most("backfill_memory", f"worker peak memory, backfill of {ORDERS:,} orders "
                f"({progress.done:,} done in {elapsed:.0f} s)", peak_mb, TARGET_MB, "MB"),
        Figure("backfill_memory", f"Xero calls per order, that backfill (Xero's minute "
               f"window scaled to {WINDOW_SECONDS} s)", f"{calls / ORDERS:.3f}"),
    ]  # fmt: skip


def _work(environment: dict[str, str]) -> int:
    """Run `WORKERS` of `wooxero worker --burst` until the queues are empty; the highest
    peak memory of any of their processes, in kB."""
    command = [sys.executable, "-m", "server", "worker", "--burst"]
    workers = [
        subprocess.Popen(  # noqa: S603 - our own command line
            command,
            env=environment,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    samplers = [PeakMemory(worker.pid) for worker in workers]
    for sampler in samplers:
        sampler.start()
    deadline = time.monotonic() + MOST_SECONDS
    try:
        for worker in workers:
            _, errors = worker.communicate(timeout=max(1.0, deadline - time.monotonic()))
            if worker.returncode != 0:
                raise RuntimeError(f"a worker failed: {errors[-8000:]}")
    except subprocess.TimeoutExpired:
        raise SystemExit(f"the backfill took over {MOST_SECONDS} s") from None
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        for sampler in samplers:
            sampler.done.set()
            sampler.join()
    return max(sampler.peak_kb for sampler in samplers)


if __name__ == "__main__":
    main()
