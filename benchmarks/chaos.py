"""`make chaos` (`python -m benchmarks.chaos`): orders through webhooks into a misbehaving Xero
while workers are killed and Redis loses everything, then proof that Xero holds exactly what
WooCommerce does.

The sandbox Xero (its own process, at Xero's real limits) answers a share of calls 429 (as its
minute limit does, with ``Retry-After``), a share 500, applies a share of calls and drops the
answer, and holds a share for seconds; the sandbox store (in this process) takes orders paid
by card, refunds some of them (in part or in full), and sends its signed webhooks to a real
`wooxero web`; a `wooxero scheduler` and N `wooxero worker` processes do the work. Every
``--kill-every`` seconds a random worker is killed with SIGKILL and a new one started; once,
midway through the orders, Redis is killed and started again on the same socket with its data
erased, so queued jobs, locks and markers are lost and the sweepers must recover them. Any
other process that exits is started again and counted. Faults stay on until the work has
settled (no quiet period).

Then, against the sandbox Xero's and the sandbox store's own records: one invoice per order
(none twice by number), one payment per paid order of its total, one credit note per refund
of its amount, every Xero total equal to WooCommerce's to the cent, every delivery the store
sent stored, a sync record for every invoice, payment and credit note, nothing stuck. One
summary line; exit status 1 on any failure.

    python -m benchmarks.chaos [--orders 5000] [--workers 4] [--kill-every 20] ...
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

from benchmarks.backfill import connect_xero
from sandbox.demo.processes import Child, free_port
from sandbox.woocommerce import StoreConfig
from sandbox.woocommerce import serve_in_thread as serve_store
from server import create_app
from server.config import Config, build_config
from server.connections.woocommerce import access as woo_access
from server.extensions import db
from server.inbound import webhooks as woo_webhooks
from server.models import (
    Binding,
    ConnectionStatus,
    EventSource,
    EventStatus,
    InboundEvent,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Store,
    SyncRecord,
    WooConnection,
    XeroConnection,
)
from server.models.types import utcnow
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.processes import PROJECT_ROOT, kill_with_descendants, production_environment
from tests.support.stores import switch_on_everything
from tests.support.woocommerce import connect_store

XERO_CLIENT = ("wooxero-sandbox", "sandbox-secret")
SETTLED = {OutboxStatus.DONE, OutboxStatus.HELD, OutboxStatus.FAILED}
GONE = {"DELETED", "VOIDED"}
GRACE = 30.0  # seconds a process stopped at the end has to finish its job


@dataclass(frozen=True)
class Faults:
    """The sandbox Xero's random faults, per Accounting API call."""

    throttle_rate: float = 0.10
    server_error_rate: float = 0.05
    drop_response_rate: float = 0.02
    latency_spike_rate: float = 0.02
    latency_spike_ms: int = 5000
    throttle_retry_after: int = 5

    def knobs(self) -> dict[str, float | int]:
        return dict(vars(self))


@dataclass(frozen=True)
class Plan:
    """What one run does."""

    orders: int = 5000
    workers: int = 4
    refund_share: float = 0.10
    order_rate: float = 10.0  # orders placed a second
    kill_every: float = 20.0
    redis_restart: bool = True
    settle_bound: float = 3600.0  # seconds after the last order before giving up
    seed: int = 15
    customers: int = 200
    products: int = 50
    faults: Faults = field(default_factory=Faults)


@dataclass
class Tally:
    """What the harness did to the system."""

    workers_killed: int = 0
    redis_restarts: int = 0
    restarted: Counter[str] = field(default_factory=Counter)  # processes that exited by themselves


@dataclass
class Findings:
    """The run's counts and the failed checks."""

    orders: int = 0
    invoices: int = 0
    payments: int = 0
    credit_notes: int = 0
    refunds: int = 0
    deliveries: int = 0
    swept: int = 0  # stored events whose job was lost, enqueued again by the sweeper
    failures: list[str] = field(default_factory=list)

    def fail(self, check: str, problems: list[str]) -> None:
        if problems:
            shown = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            self.failures.append(f"{check}: {len(problems)}: {shown}{more}")


class Cast:
    """The wooxero processes: web, scheduler and workers, each restarted if it exits by
    itself; a worker is killed with the work horse running its job."""

    def __init__(self, environment: dict[str, str], logs: Path, workers: int) -> None:
        self.environment = environment
        self.logs = logs
        self.children: dict[str, Child] = {}
        self.tally = Tally()
        self._workers = 0
        self._random = random.Random()  # noqa: S311 - which worker dies, not security
        self._start("web")
        self._start("scheduler")
        for _ in range(workers):
            self._start_worker()

    def _start(self, name: str) -> None:
        command = name.split("-")[0]
        self.children[name] = Child.start(
            name, [sys.executable, "-m", "server", command], cwd=PROJECT_ROOT,
            env=self.environment, log=self.logs / f"{name}.log",
        )  # fmt: skip

    def _start_worker(self) -> None:
        self._workers += 1
        self._start(f"worker-{self._workers}")

    def revive(self) -> None:
        """Start again every process that exited without being told to."""
        for name, child in list(self.children.items()):
            if child.exit_code() is not None:
                self.tally.restarted[name.split("-")[0]] += 1
                del self.children[name]
                if name.startswith("worker"):
                    self._start_worker()
                else:
                    self._start(name)

    def kill_a_worker(self) -> None:
        """SIGKILL to a random worker and its work horse (running the job, in a process group
        of its own), and a new worker in its place."""
        name = self._random.choice([n for n in self.children if n.startswith("worker")])
        child = self.children.pop(name)
        kill_with_descendants(child.process.pid)
        child.process.wait()
        self.tally.workers_killed += 1
        self._start_worker()

    def stop(self) -> None:
        for child in self.children.values():
            child.stop(GRACE)


def _config(directory: Path, redis_url: str, web_url: str, xero_url: str) -> Config:
    identity = f"{xero_url}/identity/connect"
    return build_config(
        {
            "server": {"data_dir": str(directory), "public_url": web_url, "log_level": "WARNING"},
            "database": {"url": f"sqlite:///{directory / 'chaos.db'}"},
            "redis": {"url": redis_url},
            "security": {
                "secret_key": secrets.token_urlsafe(32),
                "encryption_keys": [Fernet.generate_key().decode()],
            },
            "xero": {
                "client_id": XERO_CLIENT[0],
                "client_secret": XERO_CLIENT[1],
                "authorize_url": f"{identity}/authorize",
                "token_url": f"{identity}/token",
                "revocation_url": f"{identity}/revocation",
                "connections_url": f"{xero_url}/connections",
                "api_url": f"{xero_url}/api.xro/2.0",
            },
            "woocommerce": {"allow_insecure_http": True, "allow_private_addresses": True},
        }
    )


def _wait(condition: Any, what: str, bound: float = 120.0) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.25)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _xero(xero_url: str, path: str, body: Any = None) -> Any:
    method = "GET" if body is None else "POST"
    answer = requests.request(method, f"{xero_url}/_sandbox/{path}", json=body, timeout=60)
    answer.raise_for_status()
    return answer.json()


class Shopper:
    """Places the orders, paid by card, and refunds a share of them a little later: half
    of those one unit of the first line (the admin's refund button), half in full."""

    def __init__(self, shop_url: str, plan: Plan, customers: list[int]) -> None:
        self.shop_url = shop_url
        self.plan = plan
        self.customers = customers
        self.random = random.Random(plan.seed)  # noqa: S311 - simulation
        self.session = requests.Session()
        self.placed = 0
        self.later: list[tuple[int, dict[str, Any]]] = []  # (when placed, refund) to send

    def place(self) -> None:
        order = self._post("orders", {
            "payment_method": "stripe",
            "customer_id": self.customers[self.placed % len(self.customers)],
        })  # fmt: skip
        self.placed += 1
        if self.random.random() < self.plan.refund_share:
            full = self.random.random() < 0.5
            refund: dict[str, Any] = {"kind": "refund", "via": "admin"}
            if full:
                refund["amount"] = order["total"]
                refund["reason"] = "Cancelled by the customer"
            refund["id"] = order["id"]
            self.later.append((self.placed + self.random.randint(0, 40), refund))
        self.refund_due(self.placed)

    def refund_due(self, now: int | None = None) -> None:
        due = [r for when, r in self.later if now is None or when <= now]
        self.later = [(w, r) for w, r in self.later if now is not None and w > now]
        for refund in due:
            order_id = refund.pop("id")
            self._post(f"orders/{order_id}", refund)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.session.post(f"{self.shop_url}/_sandbox/{path}", json=body, timeout=60)
        answer.raise_for_status()
        return answer.json()


class Run:
    """One chaos run: everything started, the orders placed, the checks done."""

    def __init__(self, plan: Plan, directory: Path) -> None:
        self.plan = plan
        self.directory = directory
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True)
        self.redis = EmbeddedRedis(directory, self.logs / "redis.log")
        self.web_port, self.xero_port = free_port(), free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.xero_url = f"http://127.0.0.1:{self.xero_port}"
        self.tenant_id = ""

    def go(self) -> tuple[Findings, Tally, dict[str, int], float]:
        self.redis.start()
        xero = Child.start(
            "the Xero sandbox",
            [sys.executable, "-m", "sandbox.xero", "--port", str(self.xero_port),
             "--auto-approve", "--client-id", XERO_CLIENT[0],
             f"--client-secret={XERO_CLIENT[1]}", "--redirect-uri",
             f"{self.web_url}/xero/callback", "--seed", str(self.plan.seed)],
            cwd=PROJECT_ROOT, env=dict(os.environ), log=self.logs / "xero-sandbox.log",
        )  # fmt: skip
        store_config = StoreConfig(
            orders=0, customers=self.plan.customers, products=self.plan.products,
            seed=self.plan.seed,
        )  # fmt: skip
        try:
            with serve_store(store_config) as shop:
                _wait(lambda: _answers(f"{self.xero_url}/_sandbox/tenants"), "the Xero sandbox")
                settings = _config(self.directory, self.redis.url, self.web_url, self.xero_url)
                app = create_app(settings)
                with app.app_context():
                    apply_migrations()
                    environment = production_environment(
                        settings, self.redis.url, WOOXERO_SERVER__PORT=str(self.web_port),
                        WOOXERO_SERVER__PUBLIC_URL=self.web_url,
                        WOOXERO_SERVER__DATA_DIR=str(self.directory),
                        WOOXERO_SERVER__LOG_LEVEL="WARNING",
                    )  # fmt: skip
                    return self._chaos(shop, environment)
        finally:
            xero.stop(GRACE)
            self.redis.stop()

    def _set_up(self, shop_url: str) -> tuple[int, list[int]]:
        """The store linked, Xero connected, every module on, our webhooks in the store."""
        store = connect_store(shop_url)
        self.tenant_id = connect_xero(store, self.xero_url)
        switch_on_everything(store)
        woo_webhooks.ensure(store.id)
        store_id = store.id
        customers = [c["id"] for c in woo_access.client_for(store).iterate("customers")]
        db.session.commit()
        return store_id, customers

    def _chaos(self, shop: Any, environment: dict[str, str]) -> tuple[Findings, Tally, dict, float]:
        store_id, customers = self._set_up(shop.base_url)
        db.session.remove()  # on SQLite, an open transaction here would lock the others out
        cast = Cast(environment, self.logs, self.plan.workers)
        try:
            _wait(lambda: _answers(f"{self.web_url}/readyz"), "wooxero web")
            _xero(self.xero_url, "config", self.plan.faults.knobs())
            started = time.monotonic()
            shopper = Shopper(shop.base_url, self.plan, customers)
            next_kill = started + self.plan.kill_every
            restart_at = self.plan.orders // 2 if self.plan.redis_restart else -1
            deadline: float | None = None
            while True:
                now = time.monotonic()
                cast.revive()
                if now >= next_kill:
                    cast.kill_a_worker()
                    next_kill += self.plan.kill_every
                if shopper.placed < self.plan.orders:
                    due = int((now - started) * self.plan.order_rate) + 1
                    while shopper.placed < min(due, self.plan.orders):
                        shopper.place()
                        if shopper.placed == restart_at:
                            self._restart_redis(cast.tally)
                    if shopper.placed == self.plan.orders:
                        shopper.refund_due()
                        deadline = time.monotonic() + self.plan.settle_bound
                    time.sleep(0.05)
                    continue
                assert deadline is not None
                if self._settled(shop, store_id) or _disconnected(store_id) or now > deadline:
                    break
                time.sleep(5)
            elapsed = time.monotonic() - started
        finally:
            cast.stop()
        injected = _xero(self.xero_url, "faults")["injected"]
        return self._verify(shop, store_id), cast.tally, injected, elapsed

    def _restart_redis(self, tally: Tally) -> None:
        """Redis killed and started again on the same socket with nothing it held."""
        assert self.redis.process is not None
        self.redis.process.kill()
        self.redis.process.wait()
        shutil.rmtree(self.redis.directory)
        self.redis.start()
        tally.redis_restarts += 1

    def _settled(self, shop: Any, store_id: int) -> bool:
        """Nothing left to do: the store sent everything, every order has its entry, no
        entry or event waits."""
        if shop.sandbox.webhooks.pending():
            return False
        db.session.rollback()
        unsettled = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxEntry).where(
                OutboxEntry.store_id == store_id, OutboxEntry.status.not_in(SETTLED)
            )
        )  # fmt: skip
        entries = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(OutboxEntry.woo_order_id))).where(
                OutboxEntry.store_id == store_id
            )
        )  # fmt: skip
        pending = db.session.scalar(
            sa.select(sa.func.count()).select_from(InboundEvent).where(
                InboundEvent.status == EventStatus.PENDING
            )
        )  # fmt: skip
        db.session.rollback()
        return unsettled == 0 and pending == 0 and entries >= self.plan.orders

    def _verify(self, shop: Any, store_id: int) -> Findings:
        db.session.rollback()
        store = db.session.get(Store, store_id)
        orders = list(woo_access.client_for(store).iterate("orders"))
        collections = {
            name: [
                row
                for row in _xero(self.xero_url, f"objects/{self.tenant_id}/{name}")[name]
                if row.get("Status") not in GONE
            ]
            for name in ("Invoices", "Payments", "CreditNotes")
        }
        outcome = Findings(orders=len(orders))
        outcome.fail("orders placed", [] if len(orders) == self.plan.orders else
                     [f"{len(orders)} in the store, {self.plan.orders} placed"])  # fmt: skip
        _check_documents(outcome, orders, collections)
        _check_deliveries(outcome, shop.sandbox.webhooks.log(), store_id)
        _check_audit(outcome, store_id, collections)
        _check_stuck(outcome, store_id)
        outcome.fail("connections waiting for a person", _disconnected(store_id))
        return outcome


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _check_documents(outcome: Findings, orders: list[dict], xero: dict[str, list[dict]]) -> None:
    invoices: dict[str, list[dict]] = defaultdict(list)
    for invoice in xero["Invoices"]:
        invoices[invoice.get("InvoiceNumber", "")].append(invoice)
    notes: dict[str, list[dict]] = defaultdict(list)
    for note in xero["CreditNotes"]:
        notes[note.get("CreditNoteNumber", "").rsplit("-R", 1)[0]].append(note)
    paid: dict[str, list[dict]] = defaultdict(list)
    for payment in xero["Payments"]:
        if payment["Invoice"]["Type"] == "ACCREC":
            paid[payment["Invoice"]["InvoiceNumber"]].append(payment)
    outcome.invoices = len(xero["Invoices"])
    outcome.payments = sum(len(p) for p in paid.values())
    outcome.credit_notes = len(xero["CreditNotes"])
    missing, twice, totals, payments, credit = [], [], [], [], []
    for order in orders:
        number = f"WC-{order['number']}"
        found = invoices.pop(number, [])
        if not found:
            missing.append(number)
            continue
        if len(found) > 1:
            twice.append(f"{number} {len(found)} times")
        total = _money(order["total"])
        totals += [
            f"{number}: {i['Total']} ≠ {total}" for i in found if _money(i["Total"]) != total
        ]
        amounts = sorted(_money(p["Amount"]) for p in paid.pop(number, []))
        if order.get("date_paid") and amounts != [total]:
            payments.append(f"{number}: paid {amounts or 'nothing'} for {total}")
        refunds = sorted(-_money(r["total"]) for r in order.get("refunds", []))
        outcome.refunds += len(refunds)
        credited = sorted(_money(n["Total"]) for n in notes.pop(number, []))
        if credited != refunds:
            credit.append(f"{number}: credit notes {credited} for refunds {refunds}")
    outcome.fail("invoices missing", missing)
    outcome.fail("invoices twice", twice)
    outcome.fail("invoices of no order", sorted(invoices))
    outcome.fail("invoice totals", totals)
    outcome.fail("payments", payments + [f"{n}: a payment of no order" for n in paid])
    outcome.fail("credit notes", credit + [f"{n}: credit notes of no order" for n in notes])


def _check_deliveries(outcome: Findings, log: list[dict], store_id: int) -> None:
    """Every delivery the store sent is a row in wooxero; none was refused."""
    sent = [entry for entry in log if entry["kind"] == "action"]
    outcome.deliveries = len(sent)
    stored = set(
        db.session.scalars(
            sa.select(InboundEvent.delivery_id).where(
                InboundEvent.store_id == store_id,
                InboundEvent.source == EventSource.WOOCOMMERCE_WEBHOOK,
            )
        )
    )
    outcome.swept = db.session.scalar(
        sa.select(sa.func.count()).select_from(InboundEvent).where(
            InboundEvent.store_id == store_id, InboundEvent.attempts > 0
        )
    )  # fmt: skip
    outcome.fail("deliveries refused", [
        f"{e['delivery_id']} ({e['topic']} {e['resource_id']}): {e['status'] or e['error']}"
        for e in sent if not e["success"]
    ])  # fmt: skip
    outcome.fail("deliveries not stored", [
        f"{e['delivery_id']} ({e['topic']} {e['resource_id']})"
        for e in sent if e["success"] and e["delivery_id"] not in stored
    ])  # fmt: skip


def _check_audit(outcome: Findings, store_id: int, xero: dict[str, list[dict]]) -> None:
    """A successful sync record for every invoice, payment and credit note in Xero."""
    recorded = set(
        db.session.scalars(
            sa.select(SyncRecord.xero_id).where(
                SyncRecord.store_id == store_id,
                SyncRecord.outcome.in_([Outcome.OK, Outcome.WARNING]),
            )
        )
    )
    bound = set(db.session.scalars(sa.select(Binding.xero_id).where(Binding.store_id == store_id)))
    ids = (
        [i["InvoiceID"] for i in xero["Invoices"]]
        + [n["CreditNoteID"] for n in xero["CreditNotes"]]
        + [p["PaymentID"] for p in xero["Payments"] if p["Invoice"]["Type"] == "ACCREC"]
    )
    outcome.fail("no sync record", [i for i in ids if i not in recorded])
    outcome.fail("no binding", [i for i in ids if i not in bound])


def _disconnected(store_id: int) -> list[str]:
    """The store's connections that only a person could mend (nothing moves meanwhile, so a
    run that meets one stops waiting and says so)."""
    found = []
    for name, model in (("WooCommerce", WooConnection), ("Xero", XeroConnection)):
        row = db.session.execute(
            sa.select(model.status, model.status_reason).where(model.store_id == store_id)
        ).first()
        db.session.rollback()
        if row is not None and row.status != ConnectionStatus.CONNECTED:
            found.append(f"{name} {row.status.value}: {row.status_reason}")
    return found


def _check_stuck(outcome: Findings, store_id: int) -> None:
    entries = db.session.execute(
        sa.select(OutboxEntry.number, OutboxEntry.status, OutboxEntry.error).where(
            OutboxEntry.store_id == store_id, OutboxEntry.status != OutboxStatus.DONE
        )
    ).all()
    outcome.fail("outbox entries not done", [f"{n} {s.value}: {e[:200]}" for n, s, e in entries])
    events = db.session.scalars(
        sa.select(InboundEvent).where(
            InboundEvent.status.in_([EventStatus.PENDING, EventStatus.FAILED])
        )
    ).all()
    outcome.fail("inbound events left", [_described(event) for event in events])


def _described(event: InboundEvent) -> str:
    """What a person needs to tell why an event was left: what it is, how old, how often
    the sweeper enqueued it and when it would have next."""
    now = utcnow()
    due = event.next_attempt_at
    return (
        f"{event.source.value} {event.topic} {event.resource} {event.resource_id} "
        f"{event.status.value}, received {(now - event.received_at).total_seconds():.0f} s "
        f"before the end, {event.attempts} attempts, next "
        f"{'any time' if due is None else f'in {(due - now).total_seconds():.0f} s'}: "
        f"{event.error[:200]}"
    )


def summary(plan: Plan, outcome: Findings, tally: Tally, injected: dict[str, int],
            elapsed: float) -> str:  # fmt: skip
    """The one line a run prints."""
    restarted = ", ".join(f"{name} {count}" for name, count in sorted(tally.restarted.items()))
    return (
        f"chaos: {outcome.orders} orders, {outcome.invoices} invoices, {outcome.payments} "
        f"payments, {outcome.credit_notes} credit notes for {outcome.refunds} refunds, "
        f"{outcome.deliveries} deliveries ({outcome.swept} events taken up by the sweeper); "
        f"injected {injected.get('429', 0)} 429s, "
        f"{injected.get('500', 0)} 500s, {injected.get('dropped', 0)} dropped answers, "
        f"{injected.get('latency_spike', 0)} latency spikes; {tally.workers_killed} workers "
        f"killed, {tally.redis_restarts} Redis restart(s)"
        + (f", exited and restarted: {restarted}" if restarted else "")
        + f"; {plan.workers} workers; {elapsed:.0f} s; "
        + ("OK" if not outcome.failures else "FAILED")
    )


def run(plan: Plan) -> tuple[str, list[str]]:
    """Run `plan`; the summary line and the failed checks (none: OK)."""
    directory = Path(tempfile.mkdtemp(prefix="wx-chaos-", dir="/tmp"))
    outcome, tally, injected, elapsed = Run(plan, directory).go()
    line = summary(plan, outcome, tally, injected, elapsed)
    failures = [*outcome.failures, f"logs in {directory}"] if outcome.failures else []
    if not outcome.failures:
        shutil.rmtree(directory, ignore_errors=True)
    return line, failures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = Plan()
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--refund-share", type=float, default=defaults.refund_share)
    parser.add_argument("--order-rate", type=float, default=defaults.order_rate,
                        help="orders placed a second")  # fmt: skip
    parser.add_argument("--kill-every", type=float, default=defaults.kill_every, metavar="SECONDS")
    parser.add_argument("--no-redis-restart", action="store_true")
    parser.add_argument(
        "--settle-bound",
        type=float,
        default=defaults.settle_bound,
        metavar="SECONDS",
        help="after the last order, before giving up",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    plan = Plan(
        orders=args.orders, workers=args.workers, refund_share=args.refund_share,
        order_rate=args.order_rate, kill_every=args.kill_every,
        redis_restart=not args.no_redis_restart, settle_bound=args.settle_bound, seed=args.seed,
    )  # fmt: skip
    line, failures = run(plan)
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    print(line, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
