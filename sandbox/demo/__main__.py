"""`python -m sandbox.demo` (`make demo`): start the Xero sandbox, the demo store's site and
`wooxero serve` (its own data directory, embedded defaults) on loopback ports; link the store
and connect both sides as a shop owner would; print the dashboard link and the operator's
login; then place an order every few seconds and say when its invoice is in Xero. Ctrl-C
(or SIGTERM) stops everything it started."""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import FrameType

import requests

from ..woocommerce.server import RunningStore
from .onboarding import (
    HTTP_TIMEOUT,
    SETUP_PATIENCE,
    Dashboard,
    DemoError,
    LinkedStore,
    activate,
    checked,
    switch_on,
    wait_for,
)
from .processes import Child, free_port
from .site import ChallengeRoute, serve_site

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "admin@localhost"
ORGANISATION = "Demo Company (NZ)"
XERO_CLIENT_ID = "wooxero-demo"
MARKER = ".wooxero-demo"
"""Marks a data directory as the demo's own, which each run erases and starts afresh."""
SERVE_GRACE = 60.0  # `serve` lets a running job finish before its worker stops
SANDBOX_GRACE = 10.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var/demo"),
        help="the server's data directory, erased at each start (default: var/demo)",
    )
    parser.add_argument(
        "--order-every",
        type=_seconds,
        default=20.0,
        metavar="SECONDS",
        help="place an order in the store this often (0: never; default: 20)",
    )
    return parser


def _seconds(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds < 86400:
        raise argparse.ArgumentTypeError("between 0 (never) and 86400 seconds")
    return seconds


@contextmanager
def demo_directory(data_dir: Path) -> Iterator[None]:
    """`data_dir` emptied for this run, and held so no other demo uses it meanwhile. A
    directory that is not a demo's own is never erased."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with data_dir.with_name(f"{data_dir.name}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoError(f"another demo uses {data_dir}") from None
        if data_dir.exists():
            if not (data_dir / MARKER).exists() and any(data_dir.iterdir()):
                raise DemoError(f"{data_dir} holds something else than a demo: choose --data-dir")
            shutil.rmtree(data_dir)
        data_dir.mkdir(mode=0o700)
        (data_dir / MARKER).touch()
        yield


def server_environment(data_dir: Path, port: int, xero: dict[str, str]) -> dict[str, str]:
    """`wooxero serve` on embedded defaults (none of this shell's WOOXERO_* settings), on
    its own data directory and port, letting the store be on plain http on this machine, and
    talking to the Xero sandbox."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WOOXERO_")}
    environment.update(
        {
            "PYTHONUNBUFFERED": "1",
            "WOOXERO_SERVER__DATA_DIR": str(data_dir),
            "WOOXERO_SERVER__HOST": "127.0.0.1",
            "WOOXERO_SERVER__PORT": str(port),
            "WOOXERO_WOOCOMMERCE__ALLOW_INSECURE_HTTP": "true",
            "WOOXERO_WOOCOMMERCE__ALLOW_PRIVATE_ADDRESSES": "true",
            **{f"WOOXERO_XERO__{key.upper()}": value for key, value in xero.items()},
        }
    )
    return environment


def xero_sandbox_options(port: int, server_url: str, secret: str, webhook_key: str) -> list[str]:
    """The Xero sandbox's command line for this demo: its client secret and webhook key with
    "=", as a random one may begin with "-", which argparse would take for an option."""
    return [
        "--port", str(port), "--auto-approve", "--client-id", XERO_CLIENT_ID,
        f"--client-secret={secret}", "--redirect-uri", f"{server_url}/xero/callback",
        "--webhook-url", f"{server_url}/webhooks/xero", f"--webhook-key={webhook_key}",
    ]  # fmt: skip


def _interrupt(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and a closed terminal stop the demo, even where its shell had it
    ignore SIGINT (a job started in the background); `nohup` keeps it running."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _interrupt)


class Demo:
    """Everything one run starts, and the store it set up."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.logs = data_dir / "logs"
        self.server_port, self.xero_port = free_port(), free_port()
        self.server_url = f"http://127.0.0.1:{self.server_port}"
        self.xero_url = f"http://127.0.0.1:{self.xero_port}"
        self.environment: dict[str, str] = {}
        self.xero: Child | None = None
        self.serve: Child | None = None
        self.site: RunningStore | None = None
        self.challenge_route: ChallengeRoute | None = None
        self.store: LinkedStore | None = None
        self.tenant_id = ""
        self.password = ""

    def start(self) -> None:
        """The Xero sandbox, the store's site and `wooxero serve`, each ready."""
        self.logs.mkdir()
        secret, webhook_key = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        options = xero_sandbox_options(self.xero_port, self.server_url, secret, webhook_key)
        xero_command = [sys.executable, "-m", "sandbox.xero", *options]
        self.xero = Child.start(
            "the Xero sandbox", xero_command, cwd=PROJECT_ROOT, env=dict(os.environ),
            log=self.logs / "xero-sandbox.log",
        )  # fmt: skip
        _log_requests_to(self.logs / "woocommerce-sandbox.log")
        self.site, self.challenge_route = serve_site()
        api = f"{self.xero_url}/api.xro/2.0"
        identity = f"{self.xero_url}/identity/connect"
        xero = {
            "client_id": XERO_CLIENT_ID, "client_secret": secret, "webhook_key": webhook_key,
            "authorize_url": f"{identity}/authorize", "token_url": f"{identity}/token",
            "revocation_url": f"{identity}/revocation",
            "connections_url": f"{self.xero_url}/connections", "api_url": api,
        }  # fmt: skip
        self.environment = server_environment(self.data_dir, self.server_port, xero)
        self.serve = Child.start(
            "wooxero serve", [sys.executable, "-m", "server", "serve"], cwd=self.data_dir,
            env=self.environment, log=self.logs / "serve.log",
        )  # fmt: skip
        wait_for(lambda: self._answers(f"{self.xero_url}/_sandbox/tenants"), "the Xero sandbox")
        wait_for(lambda: self._answers(f"{self.server_url}/readyz"), "wooxero serve to be ready")

    def set_up(self) -> None:
        """The operator's password, then the store linked, connected and switched on."""
        self.password = secrets.token_urlsafe(15)
        created = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "server", "create-admin", OPERATOR, "--password-stdin"],
            input=f"{self.password}\n", cwd=self.data_dir, env=self.environment,
            capture_output=True, text=True, timeout=SETUP_PATIENCE, check=False,
        )  # fmt: skip
        if created.returncode != 0:
            raise DemoError(f"wooxero create-admin: {created.stderr.strip()}")
        assert self.site is not None and self.challenge_route is not None
        tenants = requests.get(f"{self.xero_url}/_sandbox/tenants", timeout=HTTP_TIMEOUT).json()
        self.tenant_id = next(t["tenantId"] for t in tenants if t["name"] == ORGANISATION)
        # the person ticks this one organisation on Xero's consent page
        checked(
            requests.post(
                f"{self.xero_url}/_sandbox/config",
                json={"auto_approve_tenants": [self.tenant_id]},
                timeout=HTTP_TIMEOUT,
            ),
            "choosing the organisation in the Xero sandbox",
        )
        self.store = activate(
            self.server_url,
            self.challenge_route,
            self.site.base_url,
            self.site.sandbox.config().site_name,
        )
        dashboard = Dashboard(self.store)
        dashboard.connect("xero", "/xero/connected/")
        dashboard.connect("woocommerce", "/woocommerce/return/")
        wait_for(self._webhooks_installed, "the server's webhooks in the store")
        switch_on(dashboard)

    def announce(self, order_every: float) -> None:
        assert self.site is not None and self.store is not None
        store = self.site.base_url
        orders = f"an order is placed every {order_every:g} s; " if order_every else ""
        print(
            f"""
The demo is ready.

  Store dashboard  {self.store.dashboard_link()}
                   (opens once, within a minute; then use "Open the store's dashboard"
                   on the store's page in the admin panel)
  Admin panel      {self.server_url}/admin/
  Operator login   {OPERATOR}  /  {self.password}
  Sandbox store    {store}/
  Sandbox Xero     {self.xero_url}/_sandbox/objects/{self.tenant_id}/Invoices

Orders arrive as webhooks and become invoices in Xero: {orders}place one yourself with
  curl -X POST {store}/_sandbox/orders -H 'Content-Type: application/json' -d '{{}}'
Logs in {self.logs}. Ctrl-C stops everything.
""",
            flush=True,
        )

    def run(self, order_every: float) -> None:
        """Place orders and report invoices until interrupted or a child dies."""
        assert self.site is not None
        traffic = Traffic(self.site.base_url, self.xero_url, self.tenant_id)
        next_order = time.monotonic()
        while True:
            self._check_children()
            try:
                if order_every and time.monotonic() >= next_order:
                    next_order += order_every
                    traffic.place_order()
                traffic.report_invoices()
            except (requests.RequestException, DemoError) as error:
                print(f"demo: {error}", file=sys.stderr, flush=True)
            time.sleep(1)

    def stop(self) -> None:
        """`serve` first (its worker may be talking to the sandboxes), then the store's
        site and the Xero sandbox."""
        if self.serve is not None:
            self.serve.stop(SERVE_GRACE)
        if self.site is not None:
            self.site.shutdown()
        if self.xero is not None:
            self.xero.stop(SANDBOX_GRACE)

    def _answers(self, url: str) -> bool:
        self._check_children()
        try:
            return requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200
        except requests.RequestException:
            return False

    def _check_children(self) -> None:
        for child in (self.xero, self.serve):
            if child is not None and (code := child.exit_code()) is not None:
                raise DemoError(f"{child.name} exited with code {code}; see {child.log}")

    def _webhooks_installed(self) -> bool:
        assert self.site is not None
        answer = requests.get(f"{self.site.base_url}/_sandbox/webhooks", timeout=HTTP_TIMEOUT)
        webhooks = checked(answer, "the store's webhooks").json()["webhooks"]
        return any(w["topic"] == "order.created" and w["status"] == "active" for w in webhooks)


class Traffic:
    """Orders placed in the store, and each new invoice in Xero said once, with how long
    after its order it came."""

    def __init__(self, store_url: str, xero_url: str, tenant_id: str) -> None:
        self.store_url = store_url
        self.invoices_url = f"{xero_url}/_sandbox/objects/{tenant_id}/Invoices"
        self.placed: dict[str, float] = {}  # invoice number → when its order was placed
        self.seen: set[str] = set()

    def place_order(self) -> None:
        answer = requests.post(f"{self.store_url}/_sandbox/orders", json={}, timeout=HTTP_TIMEOUT)
        order = checked(answer, "placing an order").json()
        self.placed[f"WC-{order['number']}"] = time.monotonic()
        print(
            f"order {order['number']} placed: {order['currency']} {order['total']}, "
            f"{order['status']}",
            flush=True,
        )

    def report_invoices(self) -> None:
        answer = requests.get(self.invoices_url, timeout=HTTP_TIMEOUT)
        for invoice in checked(answer, "the Xero sandbox's invoices").json()["Invoices"]:
            if invoice["InvoiceID"] in self.seen:
                continue
            self.seen.add(invoice["InvoiceID"])
            number = invoice.get("InvoiceNumber", "")
            placed = self.placed.pop(number, None)
            after = f", {time.monotonic() - placed:.0f} s after its order" if placed else ""
            total = Decimal(str(invoice["Total"]))
            print(
                f"  invoice {number} in Xero: {invoice['CurrencyCode']} {total:.2f}, "
                f"{invoice['Status']}{after}",
                flush=True,
            )


def _log_requests_to(path: Path) -> None:
    """The store's request log (werkzeug's) to a file, not the terminal."""
    logger = logging.getLogger("werkzeug")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(logging.FileHandler(path))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _stop_on_signals()
    status = 0
    try:
        with demo_directory(args.data_dir.expanduser().absolute()):
            demo = Demo(args.data_dir.expanduser().absolute())
            try:
                print("Starting the sandboxes and the server…", flush=True)
                demo.start()
                print("Linking the demo store and connecting Xero and WooCommerce…", flush=True)
                demo.set_up()
                demo.announce(args.order_every)
                demo.run(args.order_every)
            except KeyboardInterrupt:
                pass
            finally:
                for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(number, signal.SIG_IGN)  # let the stop finish
                print("\nStopping everything…", flush=True)
                demo.stop()
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr, flush=True)
        status = 1
    except KeyboardInterrupt:
        pass
    return status


if __name__ == "__main__":
    sys.exit(main())
