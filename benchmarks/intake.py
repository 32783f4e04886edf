"""Webhook intake under load: wooxero's endpoint against the least an endpoint can do (a
bare Flask app that checks the HMAC and inserts the raw body, `benchmarks.intake_baseline`),
both under gunicorn (4 workers of 8 threads, as `wooxero web`) on loopback, on the same
database, loaded by wrk with 32 connections, every request a new order with a valid
signature: each warmed up, then loaded in turns for 4 slices of 3 s each (baseline, wooxero,
wooxero, baseline, …), so that what else the machine does weighs on both alike. Prints
requests per second, p50 and p99 for both, and wooxero's share of the baseline's rate
(target at least 0.7, p99 within three times the baseline's), and returns them as figures
(`benchmarks.report`). Asserts nothing but that every delivery answered 200 was stored.

    python -m benchmarks.intake      (a temporary SQLite database and the embedded Redis)
    WOOXERO_BENCH_DATABASE=postgresql+psycopg://…/postgres python -m benchmarks.intake
        (PostgreSQL too, on a database of its own on that server, dropped afterwards)

Needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import requests
import sqlalchemy as sa

from benchmarks.backfill import bench_config
from benchmarks.intake_baseline import DELIVERIES, METADATA
from benchmarks.report import Figure
from server import create_app
from server.extensions import db
from server.models import ConnectionStatus, InboundEvent, Store, StoreState, WooConnection
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.databases import create_postgres_database
from tests.support.processes import PROJECT_ROOT, clean_environment, free_port
from tests.support.processes import production_environment as wooxero_environment

SECRET = "bench-webhook-secret-" + "x" * 20
WORKERS, THREADS, CONNECTIONS, WRK_THREADS = 4, 8, 32, 2
WARM_UP_SECONDS, SLICE_SECONDS, SLICES = 3, 3, 4  # each server: warmed up, then 4 slices
MOST_PER_SECOND = 5_000  # deliveries prepared per second of load: more than either can take
SCRIPT = Path(__file__).with_name("intake.lua")
WRK = shutil.which("wrk") or "wrk"


@dataclass(frozen=True)
class Load:
    """What wrk measured (its `done` line), and how many deliveries were stored."""

    requests: int
    seconds: float
    refused: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    ran_out: bool
    stored: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _order(order_id: int) -> bytes:
    """A new order as WooCommerce delivers it: compact, about 1.2 kB."""
    order = {
        "id": order_id, "parent_id": 0, "number": str(order_id),
        "order_key": f"wc_order_{order_id}", "created_via": "checkout", "version": "9.4.0",
        "status": "processing", "currency": "NZD",
        "date_created_gmt": "2026-12-01T10:00:00", "date_modified_gmt": "2026-12-01T10:00:00",
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "5.00",
        "shipping_tax": "0.75", "cart_tax": "3.00", "total": "28.75", "total_tax": "3.75",
        "prices_include_tax": False, "customer_id": 7, "payment_method": "stripe",
        "billing": {"first_name": "Ana", "last_name": "Ngata", "company": "",
                    "address_1": "1 Queen Street", "city": "Auckland", "postcode": "1010",
                    "country": "NZ", "email": f"ana{order_id}@example.com", "phone": ""},
        "shipping": {"first_name": "Ana", "last_name": "Ngata", "address_1": "1 Queen Street",
                     "city": "Auckland", "postcode": "1010", "country": "NZ"},
        "line_items": [{"id": order_id * 10, "name": "Kawakawa balm", "product_id": 31,
                        "variation_id": 0, "quantity": 2, "tax_class": "", "subtotal": "20.00",
                        "subtotal_tax": "3.00", "total": "20.00", "total_tax": "3.00",
                        "taxes": [{"id": 1, "total": "3.00", "subtotal": "3.00"}],
                        "sku": "KB-1", "price": 10}],
        "tax_lines": [{"id": 1, "rate_code": "NZ-GST-1", "rate_id": 1, "label": "GST",
                       "compound": False, "tax_total": "3.00", "shipping_tax_total": "0.75"}],
        "shipping_lines": [{"id": 2, "method_title": "Flat rate", "method_id": "flat_rate",
                            "total": "5.00", "total_tax": "0.75"}],
        "fee_lines": [], "coupon_lines": [], "refunds": [],
    }  # fmt: skip
    return json.dumps(order, separators=(",", ":")).encode()


def _deliveries(path: Path, first_id: int, count: int) -> None:
    """`count` new orders from `first_id`, signed, one a line, for the Lua script."""
    with path.open("w") as out:
        for order_id in range(first_id, first_id + count):
            body = _order(order_id)
            digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
            out.write(f"{base64.b64encode(digest).decode()}\t{order_id:032x}\t{body.decode()}\n")


def _wrk(url: str, deliveries: Path, seconds: int) -> Load:
    environment = {**os.environ, "INTAKE_DELIVERIES": str(deliveries),
                   "INTAKE_THREADS": str(WRK_THREADS)}  # fmt: skip
    answer = subprocess.run(  # noqa: S603 - our own command line
        [WRK, f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(SCRIPT), url],
        env=environment, capture_output=True, text=True, check=True, timeout=seconds + 120,
    )  # fmt: skip
    line = next(line for line in answer.stdout.splitlines() if line.startswith("INTAKE "))
    return Load(**json.loads(line.removeprefix("INTAKE ")))


def _serve(command: list[str], environment: dict[str, str], port: int) -> subprocess.Popen[str]:
    server = subprocess.Popen(  # noqa: S603 - our own command line
        command, env=environment, cwd=PROJECT_ROOT, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{command[2]} did not start: {server.stderr.read()[-2000:]}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except (requests.ConnectionError, requests.Timeout):  # not listening, or booting
            time.sleep(0.2)
    _stop(server)
    raise RuntimeError(f"{command[2]} did not answer within a minute")


def _stop(server: subprocess.Popen[str]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _in_turns(urls: dict[str, str], directory: Path) -> dict[str, Load]:
    """Each server warmed up, then loaded in turns, slice by slice (A B B A A B B A…), so
    that whatever else the machine does at a moment weighs on both alike; each server's
    slices as one load."""
    first_ids = itertools.count(1, 1_000_000)  # every request of every slice a new order
    batches: dict[tuple[str, int], Path] = {}
    for name in urls:
        for number, seconds in enumerate([WARM_UP_SECONDS] + [SLICE_SECONDS] * SLICES):
            batches[name, number] = directory / f"{name}-{number}.tsv"
            _deliveries(batches[name, number], next(first_ids), seconds * MOST_PER_SECOND)
    for name, url in urls.items():
        _wrk(url, batches[name, 0], WARM_UP_SECONDS)
    slices: dict[str, list[Load]] = {name: [] for name in urls}
    for turn in range(SLICES):
        for name in list(urls) if turn % 2 == 0 else list(urls)[::-1]:
            slices[name].append(_wrk(urls[name], batches[name, turn + 1], SLICE_SECONDS))
    return {name: _combined(loads) for name, loads in slices.items()}


def _combined(slices: list[Load]) -> Load:
    """Slices as one load: their requests over their seconds; p50 and p99 the median of the
    slices' (a moment when something else took the machine weighs on one slice only)."""
    return Load(
        requests=sum(load.requests for load in slices),
        seconds=sum(load.seconds for load in slices),
        refused=sum(load.refused for load in slices),
        socket_errors=sum(load.socket_errors for load in slices),
        p50_ms=statistics.median(load.p50_ms for load in slices),
        p99_ms=statistics.median(load.p99_ms for load in slices),
        ran_out=any(load.ran_out for load in slices),
    )


def _stored(table: sa.Table) -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    db.session.rollback()
    return count


def _bench(config, redis_url: str, directory: Path) -> tuple[Load, Load]:  # type: ignore[no-untyped-def]
    app = create_app(config)
    with app.app_context():
        apply_migrations()
        METADATA.create_all(db.engine)
        store = Store(url="https://shop.example", name="Bench shop", state=StoreState.ACTIVE)
        db.session.add(store)
        db.session.flush()
        db.session.add(WooConnection(store_id=store.id, webhook_secret=SECRET,
                                     status=ConnectionStatus.CONNECTED))  # fmt: skip
        path = f"/webhooks/woocommerce/{store.public_id}"
        db.session.commit()  # no transaction left open: on SQLite it would hold the lock
        servers = list(_servers(config, redis_url, directory))
        running = []
        try:
            for _name, command, environment in servers:
                running.append(_serve(command, environment, int(environment["BENCH_PORT"])))
            urls = {name: f"http://127.0.0.1:{environment['BENCH_PORT']}{path}"
                    for name, _command, environment in servers}  # fmt: skip
            loads = _in_turns(urls, directory)
        finally:
            for server in running:
                _stop(server)
        baseline = replace(loads["baseline"], stored=_stored(DELIVERIES))
        wooxero = replace(loads["wooxero"], stored=_stored(InboundEvent.__table__))
        db.session.remove()
        db.engine.dispose()
    return baseline, wooxero


def _servers(config, redis_url: str, directory: Path):  # type: ignore[no-untyped-def]
    """wooxero's `wooxero web`, and the baseline under gunicorn with the same options."""
    port = free_port()
    yield "baseline", [
        sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads", str(THREADS),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
        "--no-control-socket",
        "benchmarks.intake_baseline:create_app()",
    ], clean_environment(INTAKE_BASELINE_DATABASE=config.database_url,
                         INTAKE_BASELINE_SECRET=SECRET,
                         INTAKE_BASELINE_THREADS=str(THREADS), BENCH_PORT=str(port))  # fmt: skip
    port = free_port()
    yield "wooxero", [sys.executable, "-m", "server", "web"], wooxero_environment(
        config, redis_url, WOOXERO_WEB__WORKERS=str(WORKERS), WOOXERO_WEB__THREADS=str(THREADS),
        WOOXERO_SERVER__HOST="127.0.0.1", WOOXERO_SERVER__PORT=str(port),
        WOOXERO_SERVER__PUBLIC_URL=config.public_url, WOOXERO_SERVER__DATA_DIR=str(directory),
        BENCH_PORT=str(port),
    )  # fmt: skip


RATE_TARGET, P99_TARGET = 0.7, 3.0  # wooxero's rate and p99 against the baseline's


def _report(database: str, baseline: Load, wooxero: Load) -> list[Figure]:
    print(f"webhook intake on {database}: {CONNECTIONS} connections, {WORKERS} gunicorn workers")
    for name, load in (("baseline", baseline), ("wooxero", wooxero)):
        answered = load.requests - load.refused
        note = "" if load.stored >= answered else f" — only {load.stored:,} stored!"
        note += ", ran out of deliveries" if load.ran_out else ""
        print(f"  {name:<9} {load.rate:7.0f} req/s, p50 {load.p50_ms:6.1f} ms, "
              f"p99 {load.p99_ms:7.1f} ms ({load.requests:,} answered, {load.refused} refused, "
              f"{load.socket_errors} socket errors){note}")  # fmt: skip
    rate, p99 = wooxero.rate / baseline.rate, wooxero.p99_ms / baseline.p99_ms
    print(f"  wooxero / baseline: {rate:.2f} of the rate (target ≥ {RATE_TARGET}), "
          f"p99 {p99:.1f} times (target ≤ {P99_TARGET:.0f})")  # fmt: skip
    if wooxero.stored < wooxero.requests - wooxero.refused:
        raise SystemExit("a delivery answered 200 was not stored")
    benchmark = f"webhook intake, {database}"
    return [
        Figure(benchmark, "bare baseline", f"{baseline.rate:,.0f} req/s"),
        Figure(benchmark, "bare baseline p99", f"{baseline.p99_ms:,.0f} ms"),
        Figure(benchmark, "wooxero", f"{wooxero.rate:,.0f} req/s"),
        Figure(benchmark, "wooxero p99", f"{wooxero.p99_ms:,.0f} ms"),
        Figure(benchmark, "wooxero / baseline, rate", f"{rate:.2f}", f"≥ {RATE_TARGET}",
               rate >= RATE_TARGET),
        Figure(benchmark, "wooxero / baseline, p99", f"{p99:.1f}", f"≤ {P99_TARGET:.0f}",
               p99 <= P99_TARGET),
    ]  # fmt: skip


def main() -> list[Figure]:
    if shutil.which(WRK) is None:
        raise SystemExit("benchmarks.intake needs wrk: apt-get install wrk")
    directory = Path(tempfile.mkdtemp(prefix="wx-bench-intake-"))
    redis = EmbeddedRedis(directory, directory / "redis.log")
    redis.start()
    try:
        sqlite_dir = directory / "sqlite"
        sqlite_dir.mkdir()
        figures = _report("SQLite", *_bench(bench_config(sqlite_dir, redis.url, "http://127.0.0.1:9"),
                                            redis.url, sqlite_dir))  # fmt: skip
        server_url = os.environ.get("WOOXERO_BENCH_DATABASE")
        if server_url:
            figures += _on_postgres(server_url, redis, directory)
        return figures
    finally:
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _on_postgres(server_url: str, redis: EmbeddedRedis, directory: Path) -> list[Figure]:
    url, drop = create_postgres_database(server_url, "wooxero_bench")
    dropper: Callable[[], None] = drop
    try:
        pg_dir = directory / "postgresql"
        pg_dir.mkdir()
        config = bench_config(pg_dir, redis.url, "http://127.0.0.1:9")
        config = config.model_copy(update={
            "database": config.database.model_copy(update={"url": url})})  # fmt: skip
        return _report("PostgreSQL", *_bench(config, redis.url, pg_dir))
    finally:
        dropper()


if __name__ == "__main__":
    main()
